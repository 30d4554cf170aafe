// File: open options, positioned / sequential / vectored I/O, sync, size and
// allocation, metadata, close. Every case runs in its own temp dir and ends
// with no op slot left live. Backend-neutral (VELOQ_BACKEND=uring|epoll).
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "core/fs/fs.hpp"
#include "core/runtime/worker.hpp"
#include "support/fs_helpers.hpp"

using namespace veloq;
using namespace veloq::fs;
using veloq::test::TempDir;

namespace {

template <class T>
std::string errstr(const Result<T>& r) {
  return r ? std::string("ok") : r.error().message();
}

template <class T>
int errno_of(const Result<T>& r) {
  return r ? 0 : r.error().value();
}

FixedBuf text_buf(std::string_view s) { return FixedBuf::copy_of(s); }

std::string pattern(size_t n, unsigned seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; ++i) {
    x = x * 1103515245u + 12345u;
    s[i] = char('a' + (x >> 16) % 26);
  }
  return s;
}

// Run `t` on a fresh worker and check afterwards that no op slot is live.
template <class T>
T run(Task<T> t) {
  Worker w;
  if constexpr (std::is_void_v<T>) {
    w.block_on(std::move(t));
    cr_assert_eq(w.ops().live(), 0u, "op slots leaked: %zu", w.ops().live());
  } else {
    T v = w.block_on(std::move(t));
    cr_assert_eq(w.ops().live(), 0u, "op slots leaked: %zu", w.ops().live());
    return v;
  }
}

// ---------------------------------------------------------------------------

Task<void> round_trip(std::string path) {
  Result<File> f = co_await File::create(path);
  cr_assert(f, "create: %s", errstr(f).c_str());
  cr_assert_geq(f->fd(), 0);
  BufResult w = co_await f->write_at(text_buf("hello, veloq"), 0);
  cr_assert(w.first, "write_at: %s", errstr(w.first).c_str());
  cr_assert_eq(*w.first, 12u);
  cr_assert_eq(w.second.view(), std::string_view("hello, veloq"), "write gives the buffer back");
  Result<void> c = co_await f->close();
  cr_assert(c, "close: %s", errstr(c).c_str());

  Result<File> r = co_await File::open(path);
  cr_assert(r, "open: %s", errstr(r).c_str());
  BufResult rd = co_await r->read_at(FixedBuf::allocate(4096), 0);
  cr_assert(rd.first, "read_at: %s", errstr(rd.first).c_str());
  cr_assert_eq(*rd.first, 12u);
  cr_assert_eq(rd.second.view(), std::string_view("hello, veloq"));

  // Partial read from the middle, then reads at and past EOF give 0.
  rd = co_await r->read_at(std::move(rd.second), 7);
  cr_assert_eq(*rd.first, 5u);
  cr_assert_eq(rd.second.view(), std::string_view("veloq"));
  rd = co_await r->read_at(std::move(rd.second), 12);
  cr_assert(rd.first);
  cr_assert_eq(*rd.first, 0u);
  cr_assert_eq(rd.second.len(), 0u);
  rd = co_await r->read_at(std::move(rd.second), 1'000'000);
  cr_assert(rd.first);
  cr_assert_eq(*rd.first, 0u);

  Result<Metadata> md = co_await r->metadata();
  cr_assert(md, "metadata: %s", errstr(md).c_str());
  cr_assert_eq(md->size, 12u);
  cr_assert(md->is_file());
  cr_assert(!md->is_dir());
  cr_assert(!md->is_symlink());
}

Task<void> sequential(std::string path) {
  Result<File> f = co_await File::open(path, OpenOptions().read(true).write(true).create(true));
  cr_assert(f, "open: %s", errstr(f).c_str());
  BufResult w = co_await f->write(text_buf("abc"));
  cr_assert_eq(*w.first, 3u);
  w = co_await f->write(text_buf("def"));
  cr_assert_eq(*w.first, 3u);
  BufAllResult wa = co_await f->write_all(text_buf("ghi"));
  cr_assert(wa.first);
  // Positioned reads do not move the file position...
  BufResult rd = co_await f->read_at(FixedBuf::allocate(64), 0);
  cr_assert_eq(rd.second.view(), std::string_view("abcdefghi"));
  w = co_await f->write(text_buf("jk"));
  cr_assert_eq(*w.first, 2u);
  rd = co_await f->read_at(std::move(rd.second), 0);
  cr_assert_eq(rd.second.view(), std::string_view("abcdefghijk"));

  // ...sequential reads do.
  Result<File> r = co_await File::open(path);
  cr_assert(r);
  std::string got;
  FixedBuf small = FixedBuf::allocate(4096);
  for (;;) {
    BufResult x = co_await r->read(std::move(small));
    cr_assert(x.first, "read: %s", errstr(x.first).c_str());
    small = std::move(x.second);
    if (*x.first == 0) break;
    got.append(small.view());
  }
  cr_assert_eq(got, "abcdefghijk");
}

Task<void> vectored(std::string path) {
  Result<File> f = co_await File::open(path, OpenOptions().read(true).write(true).create(true));
  cr_assert(f);
  const std::string a(3000, 'a'), b(5000, 'b'), c(10, 'c');
  std::vector<FixedBuf> out;
  out.push_back(text_buf(a));
  out.push_back(text_buf(b));
  out.push_back(text_buf(c));
  const std::byte* p1 = out[1].data();
  BufsResult w = co_await f->writev_at(std::move(out), 0);
  cr_assert(w.first, "writev_at: %s", errstr(w.first).c_str());
  cr_assert_eq(*w.first, 8010u);
  cr_assert_eq(w.second.size(), 3u, "all buffers come back");
  cr_assert_eq(w.second[1].data(), p1, "the same buffers, in order");
  cr_assert_eq(w.second[2].view(), std::string_view(c));

  std::vector<FixedBuf> in;
  in.push_back(FixedBuf::allocate(4096));
  in.push_back(FixedBuf::allocate(4096));
  BufsResult r = co_await f->readv_at(std::move(in), 0);
  cr_assert(r.first, "readv_at: %s", errstr(r.first).c_str());
  cr_assert_eq(*r.first, 8010u);
  cr_assert_eq(r.second.size(), 2u);
  cr_assert_eq(r.second[0].len(), 4096u);
  cr_assert_eq(r.second[1].len(), 8010u - 4096u);
  const std::string whole = a + b + c;
  std::string got = std::string(r.second[0].view()) + std::string(r.second[1].view());
  cr_assert(got == whole, "readv content differs");

  // Vectored read at an offset near the end, and past it.
  r = co_await f->readv_at(std::move(r.second), 8000);
  cr_assert_eq(*r.first, 10u);
  cr_assert_eq(r.second[0].view(), std::string_view(c));
  cr_assert_eq(r.second[1].len(), 0u);
  r = co_await f->readv_at(std::move(r.second), 9000);
  cr_assert_eq(*r.first, 0u);

  // An empty vector transfers nothing; a moved-from (empty) buffer is EINVAL.
  BufsResult e = co_await f->readv_at({}, 0);
  cr_assert(e.first);
  cr_assert_eq(*e.first, 0u);
  std::vector<FixedBuf> bad;
  bad.push_back(FixedBuf());
  e = co_await f->writev_at(std::move(bad), 0);
  cr_assert_eq(errno_of(e.first), EINVAL);
}

Task<void> append_mode(std::string path) {
  Result<void> w0 = co_await fs::write(path, std::string_view("first"));
  cr_assert(w0, "write: %s", errstr(w0).c_str());
  Result<File> f = co_await File::open(path, OpenOptions().append(true));
  cr_assert(f, "open append: %s", errstr(f).c_str());
  // O_APPEND: the kernel writes at the end whatever offset is given.
  BufResult w = co_await f->write_at(text_buf("-second"), 0);
  cr_assert(w.first, "write_at: %s", errstr(w.first).c_str());
  w = co_await f->write(text_buf("-third"));
  cr_assert(w.first);
  // Append-only: reading is not allowed.
  BufResult rd = co_await f->read_at(FixedBuf::allocate(16), 0);
  cr_assert_eq(errno_of(rd.first), EBADF);
  Result<std::string> all = co_await read_to_end(path);
  cr_assert(all);
  cr_assert_eq(*all, "first-second-third");
}

Task<void> open_errors(std::string dir) {
  const std::string file = dir + "/existing";
  Result<void> wr = co_await fs::write(file, std::string_view("x"));
  cr_assert(wr);

  Result<File> e = co_await File::open(file, OpenOptions().write(true).create_new(true));
  cr_assert_eq(errno_of(e), EEXIST, "create_new on existing: %s", errstr(e).c_str());
  e = co_await File::open(dir + "/fresh", OpenOptions().write(true).create_new(true));
  cr_assert(e, "create_new on missing: %s", errstr(e).c_str());

  e = co_await File::open(dir + "/missing");
  cr_assert_eq(errno_of(e), ENOENT);
  e = co_await File::open(dir + "/no/such/dir", OpenOptions().write(true).create(true));
  cr_assert_eq(errno_of(e), ENOENT);
  e = co_await File::open(file, OpenOptions().write(true));  // no create: fine, exists
  cr_assert(e);

  // A directory: opening for write is EISDIR; opened read-only, reading it is EISDIR.
  e = co_await File::open(dir, OpenOptions().write(true));
  cr_assert_eq(errno_of(e), EISDIR);
  Result<File> d = co_await File::open(dir);
  cr_assert(d, "open dir read-only: %s", errstr(d).c_str());
  BufResult rd = co_await d->read_at(FixedBuf::allocate(64), 0);
  cr_assert_eq(errno_of(rd.first), EISDIR);
  // A file used as a directory.
  e = co_await File::open(file + "/child");
  cr_assert_eq(errno_of(e), ENOTDIR);
  e = co_await File::open(file, OpenOptions().read(true).custom_flags(O_DIRECTORY));
  cr_assert_eq(errno_of(e), ENOTDIR);

  // Contradictory options and bad paths are EINVAL, not a crash.
  e = co_await File::open(file, OpenOptions());
  cr_assert_eq(errno_of(e), EINVAL);
  e = co_await File::open(file, OpenOptions().read(true).truncate(true));
  cr_assert_eq(errno_of(e), EINVAL);
  e = co_await File::open(file, OpenOptions().read(true).create(true));
  cr_assert_eq(errno_of(e), EINVAL);
  e = co_await File::open(file, OpenOptions().append(true).truncate(true));
  cr_assert_eq(errno_of(e), EINVAL);
  e = co_await File::open(std::string("bad\0path", 8));
  cr_assert_eq(errno_of(e), EINVAL);
  e = co_await File::open("");
  cr_assert_eq(errno_of(e), ENOENT);
}

Task<void> sync_alloc_len(std::string path) {
  Result<File> f = co_await File::open(path, OpenOptions().read(true).write(true).create(true));
  cr_assert(f);
  const std::string data = pattern(100, 1);
  BufAllResult w = co_await f->write_all_at(text_buf(data), 0);
  cr_assert(w.first);

  Result<void> r = co_await f->fsync();
  cr_assert(r, "fsync: %s", errstr(r).c_str());
  r = co_await f->fdatasync();
  cr_assert(r, "fdatasync: %s", errstr(r).c_str());
  r = co_await f->sync_range(0, 100, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                         SYNC_FILE_RANGE_WAIT_AFTER);
  cr_assert(r, "sync_range: %s", errstr(r).c_str());
  r = co_await f->sync_range(0, 100, 0xffu);  // unknown flag bits
  cr_assert_eq(errno_of(r), EINVAL);

  // allocate(0, 1 MiB) extends the file and reserves its blocks.
  Result<Metadata> md = co_await f->metadata();
  const uint64_t blocks0 = md->blocks;
  r = co_await f->allocate(0, 1 << 20);
  cr_assert(r, "allocate: %s", errstr(r).c_str());
  md = co_await f->metadata();
  cr_assert_eq(md->size, uint64_t{1} << 20);
  cr_assert_geq(md->blocks * 512, uint64_t{1} << 20, "blocks %llu", (unsigned long long)md->blocks);
  cr_assert_gt(md->blocks, blocks0);
  // KEEP_SIZE reserves beyond EOF without changing the size.
  r = co_await f->allocate(1 << 20, 1 << 20, FALLOC_FL_KEEP_SIZE);
  cr_assert(r, "allocate keep_size: %s", errstr(r).c_str());
  md = co_await f->metadata();
  cr_assert_eq(md->size, uint64_t{1} << 20);
  cr_assert_geq(md->blocks * 512, uint64_t{2} << 20);

  // set_len: shrink, then grow (zero-filled).
  r = co_await f->set_len(12345);
  cr_assert(r, "set_len: %s", errstr(r).c_str());
  md = co_await f->metadata();
  cr_assert_eq(md->size, 12345u);
  r = co_await f->set_len(10);
  cr_assert(r);
  r = co_await f->set_len(20);
  cr_assert(r);
  BufResult rd = co_await f->read_at(FixedBuf::allocate(4096), 0);
  cr_assert_eq(*rd.first, 20u);
  cr_assert(rd.second.view().substr(0, 10) == std::string_view(data).substr(0, 10));
  cr_assert(rd.second.view().substr(10) == std::string_view("\0\0\0\0\0\0\0\0\0\0", 10));

  // Read-only fds refuse size changes.
  Result<File> ro = co_await File::open(path);
  r = co_await ro->set_len(0);
  cr_assert(!r, "set_len on a read-only fd must fail");
  cr_assert(errno_of(r) == EINVAL || errno_of(r) == EBADF, "got %s", errstr(r).c_str());
  r = co_await ro->allocate(0, 4096);
  cr_assert_eq(errno_of(r), EBADF);
}

Task<void> metadata_fields(std::string path) {
  const auto before = std::chrono::system_clock::now();
  ::umask(022);
  Result<File> f = co_await File::open(path, OpenOptions().write(true).create(true).mode(0640));
  cr_assert(f);
  BufAllResult w = co_await f->write_all_at(text_buf(pattern(5000, 2)), 0);
  cr_assert(w.first);
  Result<Metadata> md = co_await f->metadata();
  cr_assert(md);
  struct stat st;
  cr_assert_eq(::stat(path.c_str(), &st), 0);
  cr_assert_eq(md->permissions(), 0640u);
  cr_assert_eq(md->mode, uint32_t(st.st_mode));
  cr_assert_eq(md->ino, uint64_t(st.st_ino));
  cr_assert_eq(md->nlink, 1u);
  cr_assert_eq(md->uid, uint32_t(::getuid()));
  cr_assert_eq(md->gid, uint32_t(st.st_gid));
  cr_assert_eq(md->size, 5000u);
  cr_assert_eq(md->blocks, uint64_t(st.st_blocks));
  cr_assert_gt(md->blksize, 0u);
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const int64_t before_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                before.time_since_epoch())
                                .count();
  // Filesystem timestamps are coarse (jiffies): allow 1 s of slack.
  cr_assert(md->mtime_ns >= before_ns - 1'000'000'000 && md->mtime_ns <= now_ns + 1'000'000'000);
  cr_assert_eq(md->mtime_ns, int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec);
  cr_assert_eq(md->ctime_ns, int64_t(st.st_ctim.tv_sec) * 1'000'000'000 + st.st_ctim.tv_nsec);
  cr_assert_eq(md->atime_ns, int64_t(st.st_atim.tv_sec) * 1'000'000'000 + st.st_atim.tv_nsec);
  if (md->has_btime) cr_assert(md->btime_ns > 0 && md->btime_ns <= now_ns + 1'000'000'000);

  // Direct-I/O alignment, compared with a raw statx(2) of the same file.
  struct statx raw;
  cr_assert_eq(::statx(AT_FDCWD, path.c_str(), 0, 0x2000u /* STATX_DIOALIGN */, &raw), 0);
  uint32_t mem_align = 0, off_align = 0;
  if (raw.stx_mask & 0x2000u) {
    std::memcpy(&mem_align, reinterpret_cast<const char*>(&raw) + 0x98, 4);
    std::memcpy(&off_align, reinterpret_cast<const char*>(&raw) + 0x9c, 4);
  }
  cr_assert_eq(md->dio_mem_align, mem_align);
  cr_assert_eq(md->dio_offset_align, off_align);

  // Path metadata agrees with fd metadata.
  Result<Metadata> pm = co_await fs::metadata(path);
  cr_assert(pm);
  cr_assert_eq(pm->ino, md->ino);
  cr_assert_eq(pm->size, md->size);
  Result<Metadata> missing = co_await fs::metadata(path + ".nope");
  cr_assert_eq(errno_of(missing), ENOENT);
}

Task<void> close_semantics(std::string path) {
  Result<File> f = co_await File::create(path);
  cr_assert(f);
  const int fd = f->fd();
  cr_assert_geq(::fcntl(fd, F_GETFD), 0);
  cr_assert(::fcntl(fd, F_GETFD) & FD_CLOEXEC, "O_CLOEXEC is always set");
  Result<void> c = co_await f->close();
  cr_assert(c, "close: %s", errstr(c).c_str());
  cr_assert_eq(f->fd(), -1);
  cr_assert(!f->is_open());
  cr_assert_eq(::fcntl(fd, F_GETFD), -1, "fd %d still open after close()", fd);
  c = co_await f->close();
  cr_assert_eq(errno_of(c), EBADF);
  BufResult rd = co_await f->read_at(FixedBuf::allocate(16), 0);
  cr_assert_eq(errno_of(rd.first), EBADF);
  cr_assert(rd.second, "the buffer comes back even on error");
  Result<Metadata> md = co_await f->metadata();
  cr_assert_eq(errno_of(md), EBADF);
  Result<void> s = co_await f->fsync();
  cr_assert_eq(errno_of(s), EBADF);

  // Dropping an unclosed File closes its fd.
  int fd2;
  {
    Result<File> g = co_await File::open(path);
    cr_assert(g);
    fd2 = g->fd();
    cr_assert_geq(::fcntl(fd2, F_GETFD), 0);
  }
  cr_assert_eq(::fcntl(fd2, F_GETFD), -1, "dropped File left fd %d open", fd2);
  // Moving a File moves the fd; the moved-from File is closed.
  Result<File> h = co_await File::open(path);
  File moved = std::move(*h);
  cr_assert_eq(h->fd(), -1);
  cr_assert_geq(moved.fd(), 0);
}

Task<void> large_write_all(std::string path) {
  const std::string big = pattern((3 << 20) + 123, 7);
  Result<void> w = co_await fs::write(path, big);
  cr_assert(w, "write: %s", errstr(w).c_str());
  Result<std::string> back = co_await read_to_end(path);
  cr_assert(back, "read_to_end: %s", errstr(back).c_str());
  cr_assert_eq(back->size(), big.size());
  cr_assert(*back == big, "content differs");

  // write_all_at at an offset leaves a hole of zeros before it.
  Result<File> f = co_await File::open(path, OpenOptions().write(true).truncate(true));
  cr_assert(f);
  BufAllResult wa = co_await f->write_all_at(text_buf(big), 4096);
  cr_assert(wa.first);
  cr_assert_eq(wa.second.len(), big.size());
  back = co_await read_to_end(path);
  cr_assert_eq(back->size(), big.size() + 4096);
  cr_assert(back->substr(0, 4096) == std::string(4096, '\0'));
  cr_assert(back->substr(4096) == big);

  Result<std::string> empty = co_await read_to_end(path + ".none");
  cr_assert_eq(errno_of(empty), ENOENT);
  Result<void> wr = co_await fs::write(path, std::string_view());
  cr_assert(wr);
  empty = co_await read_to_end(path);
  cr_assert(empty);
  cr_assert(empty->empty());
}

}  // namespace

Test(fs_file, create_write_read_round_trip) {
  TempDir d;
  cr_assert(d.ok());
  run(round_trip(d.join("a.txt")));
}

Test(fs_file, sequential_position_io) {
  TempDir d;
  run(sequential(d.join("seq")));
}

Test(fs_file, vectored_io) {
  TempDir d;
  run(vectored(d.join("vec")));
}

Test(fs_file, append_mode_writes_at_end) {
  TempDir d;
  run(append_mode(d.join("log")));
}

Test(fs_file, open_errors) {
  TempDir d;
  run(open_errors(d.path()));
}

Test(fs_file, sync_allocate_set_len) {
  TempDir d;
  run(sync_alloc_len(d.join("sized")));
}

Test(fs_file, metadata_matches_stat) {
  TempDir d;
  run(metadata_fields(d.join("meta")));
}

Test(fs_file, close_and_drop) {
  TempDir d;
  const size_t fds = veloq::test::count_open_fds();
  {
    run(close_semantics(d.join("c")));
  }
  cr_assert_eq(veloq::test::count_open_fds(), fds);
}

Test(fs_file, large_write_all_and_read_to_end) {
  TempDir d;
  run(large_write_all(d.join("big")));
}
