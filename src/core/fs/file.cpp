#include "core/fs/file.hpp"

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "core/fs/fs_detail.hpp"
#include "core/runtime/io.hpp"

namespace veloq::fs {

namespace {
// Offset meaning "the file position" (pread vs read; io_uring's -1).
constexpr uint64_t kCurrentPos = ~uint64_t{0};
// Linux transfers at most this much per read/write call (MAX_RW_COUNT).
constexpr size_t kMaxRw = 0x7ffff000;
// STATX_DIOALIGN (Linux 6.1) and where its two fields sit in the 256-byte
// statx buffer; glibc 2.36's struct statx still calls that area padding.
constexpr uint32_t kStatxDioAlign = 0x2000;
constexpr size_t kDioMemAlignOff = 0x98;
constexpr size_t kDioOffsetAlignOff = 0x9c;
}  // namespace

// ---------------------------------------------------------------------------
// detail

namespace detail {

bool own_op_memory(Op& op, std::string_view path1, const std::string_view* path2,
                   size_t prefix_bytes, std::byte** prefix) {
  if (path1.find('\0') != std::string_view::npos) return false;
  if (path2 != nullptr && path2->find('\0') != std::string_view::npos) return false;
  const size_t pre = (prefix_bytes + 15) & ~size_t{15};
  const size_t n1 = path1.size() + 1;
  const size_t n2 = path2 != nullptr ? path2->size() + 1 : 0;
  std::byte* block = op.own_bytes(pre + n1 + n2);
  auto* p1 = reinterpret_cast<char*>(block + pre);
  std::memcpy(p1, path1.data(), path1.size());
  p1[path1.size()] = '\0';
  op.args.addr = p1;
  if (path2 != nullptr) {
    char* p2 = p1 + n1;
    std::memcpy(p2, path2->data(), path2->size());
    p2[path2->size()] = '\0';
    op.args.addr2 = p2;
  }
  if (prefix != nullptr) *prefix = prefix_bytes != 0 ? block : nullptr;
  return true;
}

Task<Result<Metadata>> statx_at(int dirfd, std::string path, int flags,
                                std::shared_ptr<void> keep) {
  IoOp op(OpCode::Statx);
  std::byte* sx = nullptr;
  if (!own_op_memory(*op, path, nullptr, sizeof(struct statx), &sx)) {
    co_return err<Metadata>(EINVAL);
  }
  op->args.fd2 = dirfd;
  op->args.flags = uint32_t(flags);
  op->args.mask = STATX_BASIC_STATS | STATX_BTIME | kStatxDioAlign;
  op->args.addr2 = sx;  // after own_op_memory, which only sets addr here
  op->keep_alive = std::move(keep);
  int32_t res = co_await op;
  if (res < 0) co_return err<Metadata>(res);
  struct statx st;
  std::memcpy(&st, sx, sizeof st);
  co_return Metadata::from_statx(st);
}

}  // namespace detail

// ---------------------------------------------------------------------------
// OpenOptions, Metadata

Result<int> OpenOptions::flags() const {
  int access;
  if (append_) {
    access = (read_ ? O_RDWR : O_WRONLY) | O_APPEND;
  } else if (read_ && write_) {
    access = O_RDWR;
  } else if (write_) {
    access = O_WRONLY;
  } else if (read_) {
    access = O_RDONLY;
  } else {
    return err<int>(EINVAL);  // no access mode asked for
  }
  // Creating or truncating needs write access; truncating an append-only
  // file is contradictory unless it is created new (then empty anyway).
  if (!write_ && !append_ && (truncate_ || create_ || create_new_)) return err<int>(EINVAL);
  if (append_ && truncate_ && !create_new_) return err<int>(EINVAL);
  int creation = 0;
  if (create_new_) {
    creation = O_CREAT | O_EXCL;
  } else {
    if (create_) creation |= O_CREAT;
    if (truncate_) creation |= O_TRUNC;
  }
  int f = access | creation | O_CLOEXEC | (custom_ & ~O_ACCMODE);
  if (direct_) f |= O_DIRECT;
  return f;
}

bool Metadata::is_file() const { return S_ISREG(mode); }
bool Metadata::is_dir() const { return S_ISDIR(mode); }
bool Metadata::is_symlink() const { return S_ISLNK(mode); }

Metadata Metadata::from_statx(const struct statx& st) {
  auto ns = [](const statx_timestamp& t) { return int64_t(t.tv_sec) * 1'000'000'000 + t.tv_nsec; };
  Metadata m;
  m.size = st.stx_size;
  m.mode = st.stx_mode;
  m.ino = st.stx_ino;
  m.nlink = st.stx_nlink;
  m.uid = st.stx_uid;
  m.gid = st.stx_gid;
  m.blocks = st.stx_blocks;
  m.blksize = st.stx_blksize;
  m.dev_major = st.stx_dev_major;
  m.dev_minor = st.stx_dev_minor;
  m.atime_ns = ns(st.stx_atime);
  m.mtime_ns = ns(st.stx_mtime);
  m.ctime_ns = ns(st.stx_ctime);
  m.has_btime = (st.stx_mask & STATX_BTIME) != 0;
  m.btime_ns = m.has_btime ? ns(st.stx_btime) : 0;
  static_assert(sizeof(struct statx) >= kDioOffsetAlignOff + 4);
  if (st.stx_mask & kStatxDioAlign) {
    const auto* raw = reinterpret_cast<const std::byte*>(&st);
    std::memcpy(&m.dio_mem_align, raw + kDioMemAlignOff, 4);
    std::memcpy(&m.dio_offset_align, raw + kDioOffsetAlignOff, 4);
  }
  return m;
}

// ---------------------------------------------------------------------------
// File

struct File::FdHandle {
  int fd;
  explicit FdHandle(int f) : fd(f) {}
  FdHandle(const FdHandle&) = delete;
  FdHandle& operator=(const FdHandle&) = delete;
  // The last owner (the File, or the last op still using the fd) closes it.
  ~FdHandle() {
    if (fd >= 0) ::close(fd);
  }
};

File::File(int fd) : h_(std::make_shared<FdHandle>(fd)) {}

File File::from_raw_fd(int fd) { return fd >= 0 ? File(fd) : File(); }

int File::fd() const { return h_ ? h_->fd : -1; }

Task<Result<File>> File::open(std::string path, OpenOptions opts) {
  Result<int> flags = opts.flags();
  if (!flags) co_return std::unexpected(flags.error());
  IoOp op(OpCode::OpenAt);
  if (!detail::own_op_memory(*op, path, nullptr)) co_return err<File>(EINVAL);
  op->args.fd2 = AT_FDCWD;
  op->args.flags = uint32_t(*flags);
  op->args.mode = opts.mode();
  // An fd this open produces is never leaked by an abort: op_dispatch
  // closes it for a detached op, ~IoOp for a completed one never resumed.
  int32_t res = co_await op;
  if (res < 0) co_return err<File>(res);
  co_return File(res);
}

Task<Result<File>> File::open(std::string path) {
  return open(std::move(path), OpenOptions().read(true));
}

Task<Result<File>> File::create(std::string path) {
  return open(std::move(path), OpenOptions().write(true).create(true).truncate(true));
}

Task<BufResult> File::rw(bool is_write, FixedBuf buf, size_t start, uint64_t offset) {
  if (fd() < 0) co_return BufResult{err<size_t>(EBADF), std::move(buf)};
  if (!buf) co_return BufResult{err<size_t>(EINVAL), std::move(buf)};
  // A write sends [start, len); a read fills [start, capacity).
  const size_t end = is_write ? buf.len() : buf.capacity();
  start = std::min(start, end);
  IoOp op(is_write ? OpCode::Write : OpCode::Read);
  op->args.fd = h_->fd;
  op->args.addr = buf.data() + start;
  op->args.len = std::min(end - start, kMaxRw);
  op->args.off = offset;
  op->keep_alive = h_;
  op->buf = std::move(buf);
  int32_t res = co_await op;
  FixedBuf back = std::move(op->buf);
  if (!is_write && res >= 0) back.set_len(start + size_t(res));
  co_return BufResult{from_res<size_t>(res), std::move(back)};
}

Task<BufResult> File::read_at(FixedBuf buf, uint64_t offset) {
  return rw(false, std::move(buf), 0, offset);
}
Task<BufResult> File::write_at(FixedBuf buf, uint64_t offset) {
  return rw(true, std::move(buf), 0, offset);
}
Task<BufResult> File::read(FixedBuf buf) { return rw(false, std::move(buf), 0, kCurrentPos); }
Task<BufResult> File::write(FixedBuf buf) { return rw(true, std::move(buf), 0, kCurrentPos); }

Task<BufAllResult> File::write_all_at(FixedBuf buf, uint64_t offset) {
  const size_t total = buf.len();
  size_t done = 0;
  while (done < total) {
    const uint64_t off = offset == kCurrentPos ? kCurrentPos : offset + done;
    BufResult r = co_await rw(true, std::move(buf), done, off);
    buf = std::move(r.second);
    if (!r.first) {
      if (r.first.error().value() == EINTR) continue;
      co_return BufAllResult{std::unexpected(r.first.error()), std::move(buf)};
    }
    // A write that makes no progress would loop forever.
    if (*r.first == 0) co_return BufAllResult{err<void>(EIO), std::move(buf)};
    done += *r.first;
  }
  co_return BufAllResult{Result<void>{}, std::move(buf)};
}

Task<BufAllResult> File::write_all(FixedBuf buf) {
  return write_all_at(std::move(buf), kCurrentPos);
}

Task<BufsResult> File::rwv(bool is_write, std::vector<FixedBuf> bufs, uint64_t offset) {
  if (fd() < 0) co_return BufsResult{err<size_t>(EBADF), std::move(bufs)};
  if (bufs.size() > IOV_MAX) co_return BufsResult{err<size_t>(EINVAL), std::move(bufs)};
  for (const FixedBuf& b : bufs) {
    if (!b) co_return BufsResult{err<size_t>(EINVAL), std::move(bufs)};
  }
  if (bufs.empty()) co_return BufsResult{size_t{0}, std::move(bufs)};
  IoOp op(is_write ? OpCode::Writev : OpCode::Readv);
  // The op owns the buffers (op->bufs) and keeps the fd alive (keep_alive).
  op->bufs = std::move(bufs);
  const size_t n = op->bufs.size();
  auto* iov = reinterpret_cast<iovec*>(op->own_bytes(n * sizeof(iovec)));
  for (size_t i = 0; i < n; ++i) {
    FixedBuf& b = op->bufs[i];
    iov[i].iov_base = b.data();
    iov[i].iov_len = is_write ? b.len() : b.capacity();
  }
  op->args.fd = h_->fd;
  op->args.addr = iov;
  op->args.len = n;
  op->args.off = offset;
  op->keep_alive = h_;
  int32_t res = co_await op;
  std::vector<FixedBuf> back = std::move(op->bufs);
  if (!is_write && res >= 0) {
    // Buffers are filled in order, each up to its capacity.
    size_t left = size_t(res);
    for (FixedBuf& b : back) {
      size_t take = std::min(left, b.capacity());
      b.set_len(take);
      left -= take;
    }
  }
  co_return BufsResult{from_res<size_t>(res), std::move(back)};
}

Task<BufsResult> File::readv_at(std::vector<FixedBuf> bufs, uint64_t offset) {
  return rwv(false, std::move(bufs), offset);
}
Task<BufsResult> File::writev_at(std::vector<FixedBuf> bufs, uint64_t offset) {
  return rwv(true, std::move(bufs), offset);
}

Task<Result<void>> File::simple(OpCode code, uint64_t off, uint64_t len, uint32_t flags,
                                uint32_t mode) {
  if (fd() < 0) co_return err<void>(EBADF);
  IoOp op(code);
  op->args.fd = h_->fd;
  op->args.off = off;
  op->args.len = len;
  op->args.flags = flags;
  op->args.mode = mode;
  op->keep_alive = h_;
  co_return void_from_res(co_await op);
}

Task<Result<void>> File::fsync() { return simple(OpCode::Fsync, 0, 0, 0, 0); }
// IORING_FSYNC_DATASYNC == 1 (sync_exec maps it to fdatasync).
Task<Result<void>> File::fdatasync() { return simple(OpCode::Fsync, 0, 0, 1, 0); }
Task<Result<void>> File::sync_range(uint64_t offset, uint64_t len, uint32_t flags) {
  return simple(OpCode::SyncFileRange, offset, len, flags, 0);
}
Task<Result<void>> File::allocate(uint64_t offset, uint64_t len, int mode) {
  return simple(OpCode::Fallocate, offset, len, 0, uint32_t(mode));
}
// The uring driver sends FTRUNCATE to the ring on 6.9+ kernels and to the
// blocking pool otherwise.
Task<Result<void>> File::set_len(uint64_t len) { return simple(OpCode::Ftruncate, len, 0, 0, 0); }

Task<BufResult> File::getdents(FixedBuf buf) {
  if (fd() < 0) co_return BufResult{err<size_t>(EBADF), std::move(buf)};
  if (!buf) co_return BufResult{err<size_t>(EINVAL), std::move(buf)};
  IoOp op(OpCode::Getdents);
  op->force_blocking = true;  // no ring opcode; say so rather than rely on the probe
  op->args.fd = h_->fd;
  op->args.addr = buf.data();
  op->args.len = std::min(buf.capacity(), size_t{INT_MAX});
  op->keep_alive = h_;
  op->buf = std::move(buf);
  int32_t res = co_await op;
  FixedBuf back = std::move(op->buf);
  back.set_len(res >= 0 ? size_t(res) : 0);
  co_return BufResult{from_res<size_t>(res), std::move(back)};
}

Task<Result<Metadata>> File::metadata() {
  if (fd() < 0) co_return err<Metadata>(EBADF);
  co_return co_await detail::statx_at(h_->fd, std::string(), AT_EMPTY_PATH, h_);
}

Task<Result<void>> File::close() {
  std::shared_ptr<FdHandle> h = std::move(h_);
  if (!h || h->fd < 0) co_return err<void>(EBADF);
  // Ops of other tasks still hold the fd: the last of them closes it (the
  // number must not be reused under them). Nothing to report from here.
  if (h.use_count() > 1) co_return Result<void>{};
  const int fd = std::exchange(h->fd, -1);
  h.reset();
  IoOp op(OpCode::Close);
  op->args.fd = fd;
  co_return void_from_res(co_await op);
}

}  // namespace veloq::fs
