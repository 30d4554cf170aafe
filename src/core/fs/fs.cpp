#include "core/fs/fs.hpp"

#include <dirent.h>
#include <fcntl.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "core/fs/fs_detail.hpp"
#include "core/runtime/io.hpp"

namespace veloq::fs {

namespace {

// One or two paths, AT_FDCWD-relative, result 0 or -errno. The field use
// per opcode is in op.hpp: fd2/addr = first path, fd/addr2 = second path.
Task<Result<void>> path_op(OpCode code, std::string path1, std::string path2, bool two_paths,
                           uint32_t flags, uint32_t mode) {
  IoOp op(code);
  const std::string_view second(path2);
  if (!detail::own_op_memory(*op, path1, two_paths ? &second : nullptr)) {
    co_return err<void>(EINVAL);
  }
  op->args.fd2 = AT_FDCWD;
  op->args.fd = AT_FDCWD;
  op->args.flags = flags;
  op->args.mode = mode;
  co_return void_from_res(co_await op);
}

// Layout of the records getdents64(2) returns (struct linux_dirent64).
struct LinuxDirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[1];  // NUL-terminated, padded to d_reclen
};
constexpr size_t kDirentName = offsetof(LinuxDirent64, d_name);

// Append the entries in `bytes` (whole records) to `out`. False if a record
// is malformed.
bool parse_dirents(const std::byte* bytes, size_t n, std::vector<DirEntry>& out) {
  size_t pos = 0;
  while (pos < n) {
    if (n - pos < kDirentName) return false;
    const std::byte* rec = bytes + pos;
    unsigned short reclen;
    std::memcpy(&reclen, rec + offsetof(LinuxDirent64, d_reclen), sizeof reclen);
    if (reclen <= kDirentName || reclen > n - pos) return false;
    uint64_t ino;
    std::memcpy(&ino, rec + offsetof(LinuxDirent64, d_ino), sizeof ino);
    const auto type = static_cast<uint8_t>(rec[offsetof(LinuxDirent64, d_type)]);
    const char* name = reinterpret_cast<const char*>(rec + kDirentName);
    const size_t len = strnlen(name, reclen - kDirentName);
    std::string_view nm(name, len);
    if (nm != "." && nm != "..") out.push_back(DirEntry{std::string(nm), ino, type});
    pos += reclen;
  }
  return true;
}

Task<Result<void>> write_owned(std::string path, FixedBuf data) {
  Result<File> f = co_await File::create(std::move(path));
  if (!f) co_return std::unexpected(f.error());
  if (data.len() > 0) {
    BufAllResult r = co_await f->write_all_at(std::move(data), 0);
    if (!r.first) co_return r.first;
  }
  co_return co_await f->close();
}

}  // namespace

Task<Result<Metadata>> metadata(std::string path, bool follow_symlinks) {
  return detail::statx_at(AT_FDCWD, std::move(path), follow_symlinks ? 0 : AT_SYMLINK_NOFOLLOW,
                          nullptr);
}

Task<Result<void>> remove_file(std::string path) {
  return path_op(OpCode::UnlinkAt, std::move(path), {}, false, 0, 0);
}

Task<Result<void>> remove_dir(std::string path) {
  return path_op(OpCode::UnlinkAt, std::move(path), {}, false, AT_REMOVEDIR, 0);
}

Task<Result<void>> create_dir(std::string path, uint32_t mode) {
  return path_op(OpCode::MkdirAt, std::move(path), {}, false, 0, mode);
}

Task<Result<void>> rename(std::string from, std::string to, uint32_t flags) {
  return path_op(OpCode::RenameAt, std::move(from), std::move(to), true, flags, 0);
}

Task<Result<void>> hard_link(std::string target, std::string link) {
  return path_op(OpCode::LinkAt, std::move(target), std::move(link), true, 0, 0);
}

Task<Result<void>> symlink(std::string target, std::string link) {
  return path_op(OpCode::SymlinkAt, std::move(target), std::move(link), true, 0, 0);
}

bool DirEntry::is_file() const { return type == DT_REG; }
bool DirEntry::is_dir() const { return type == DT_DIR; }
bool DirEntry::is_symlink() const { return type == DT_LNK; }

Task<Result<std::vector<DirEntry>>> read_dir(std::string path) {
  // The directory fd is opened through the ring; only getdents64 itself
  // needs the blocking pool.
  Result<File> dir =
      co_await File::open(std::move(path), OpenOptions().read(true).custom_flags(O_DIRECTORY));
  if (!dir) co_return std::unexpected(dir.error());
  std::vector<DirEntry> entries;
  FixedBuf buf = FixedBuf::allocate(32 * 1024);
  for (;;) {
    BufResult r = co_await dir->getdents(std::move(buf));
    buf = std::move(r.second);
    if (!r.first) {
      if (r.first.error().value() == EINTR) continue;
      co_return std::unexpected(r.first.error());
    }
    if (*r.first == 0) break;
    if (!parse_dirents(buf.data(), *r.first, entries)) co_return err<std::vector<DirEntry>>(EIO);
  }
  (void)co_await dir->close();  // read-only: nothing close could lose
  co_return entries;
}

Task<Result<std::string>> read_to_end(std::string path) {
  Result<File> f = co_await File::open(std::move(path));
  if (!f) co_return std::unexpected(f.error());
  std::string out;
  // The size is a hint only (it may change, /proc files report 0): read
  // until a read returns 0.
  size_t chunk = 64 * 1024;
  if (Result<Metadata> md = co_await f->metadata(); md && md->is_file() && md->size > 0) {
    out.reserve(md->size);
    chunk = std::clamp<size_t>(md->size + 1, 4096, 4 * 1024 * 1024);
  }
  FixedBuf buf = FixedBuf::allocate(chunk);
  uint64_t off = 0;
  for (;;) {
    BufResult r = co_await f->read_at(std::move(buf), off);
    buf = std::move(r.second);
    if (!r.first) {
      if (r.first.error().value() == EINTR) continue;
      co_return std::unexpected(r.first.error());
    }
    if (*r.first == 0) break;
    out.append(buf.view());
    off += *r.first;
  }
  (void)co_await f->close();
  co_return out;
}

Task<Result<void>> write(std::string path, std::span<const std::byte> bytes) {
  // Not a coroutine: the bytes are copied now, while the caller's span is
  // certainly alive; the returned Task owns its copy.
  return write_owned(std::move(path), FixedBuf::copy_of(bytes));
}

Task<Result<void>> write(std::string path, std::string_view bytes) {
  return write(std::move(path), std::as_bytes(std::span(bytes.data(), bytes.size())));
}

}  // namespace veloq::fs
