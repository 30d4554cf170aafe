// File: a regular file (or any fd opened by path) driven through the Worker's
// ring — or the blocking pool where the ring has no opcode for an operation.
//
//   auto f = co_await File::open("data.bin", OpenOptions().read(true));
//   if (!f) return f.error();
//   auto [n, buf] = co_await f->read_at(FixedBuf::allocate(4096), 0);
//
// Ownership rules (DESIGN §2.2):
// - Reads take a FixedBuf by value and hand it back with the result; writes
//   take it by value and hand it back too. While an op is in flight the
//   buffer belongs to the op, so an aborted task never frees memory the
//   kernel is writing into.
// - Paths are copied into the op, so they outlive an aborted task.
// - The fd is shared (refcounted) between the File and each of its in-flight
//   ops. Dropping a File closes the fd synchronously when no op uses it;
//   otherwise the last such op closes it on its final completion. The fd
//   number therefore never gets reused under an op that was handed the old
//   one (on the blocking pool an op may start long after its task died).
//
// Every call returns Result<...>; errors are positive errno values.
// Methods are coroutines that take `this`: the File must outlive the call.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/mem/fixed_buf.hpp"
#include "core/op/op.hpp"
#include "core/runtime/result.hpp"
#include "core/runtime/task.hpp"

struct statx;

namespace veloq::fs {

// What a read/write returns: bytes transferred (or the error) and the buffer.
using BufResult = std::pair<Result<size_t>, FixedBuf>;
using BufsResult = std::pair<Result<size_t>, std::vector<FixedBuf>>;
// write_all_at: success means every byte of buf.len() was written.
using BufAllResult = std::pair<Result<void>, FixedBuf>;

// How to open a file; the same rules as Rust's std::fs::OpenOptions.
// O_CLOEXEC is always set.
class OpenOptions {
 public:
  OpenOptions() = default;
  OpenOptions& read(bool on) { read_ = on; return *this; }
  OpenOptions& write(bool on) { write_ = on; return *this; }
  // Every write goes to the end of the file (O_APPEND); implies write.
  OpenOptions& append(bool on) { append_ = on; return *this; }
  OpenOptions& create(bool on) { create_ = on; return *this; }
  // Fail with EEXIST if the file exists (O_CREAT|O_EXCL); overrides
  // create/truncate.
  OpenOptions& create_new(bool on) { create_new_ = on; return *this; }
  OpenOptions& truncate(bool on) { truncate_ = on; return *this; }
  // Permission bits for a created file (before umask). Default 0666.
  OpenOptions& mode(uint32_t m) { mode_ = m; return *this; }
  // Extra O_* flags OR'ed in (access-mode bits are ignored).
  OpenOptions& custom_flags(int f) { custom_ = f; return *this; }
  // O_DIRECT: buffers, offsets and lengths must be aligned to the
  // filesystem's block size; FixedBufs are 4 KiB aligned with capacities
  // that are multiples of 4 KiB. Filesystems without O_DIRECT (tmpfs) make
  // open fail with EINVAL.
  OpenOptions& direct(bool on) { direct_ = on; return *this; }

  // The open(2) flags these options stand for, or EINVAL for a contradictory
  // set (no access mode; create/truncate without write; append+truncate).
  Result<int> flags() const;
  uint32_t mode() const { return mode_; }

 private:
  bool read_ = false;
  bool write_ = false;
  bool append_ = false;
  bool create_ = false;
  bool create_new_ = false;
  bool truncate_ = false;
  bool direct_ = false;
  int custom_ = 0;
  uint32_t mode_ = 0666;
};

// What statx reports about a file.
struct Metadata {
  uint64_t size = 0;
  uint32_t mode = 0;       // type and permission bits (st_mode)
  uint64_t ino = 0;
  uint64_t nlink = 0;
  uint32_t uid = 0;
  uint32_t gid = 0;
  uint64_t blocks = 0;     // 512-byte units allocated
  uint32_t blksize = 0;    // preferred I/O size
  uint32_t dev_major = 0;
  uint32_t dev_minor = 0;
  int64_t atime_ns = 0;    // nanoseconds since the epoch
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  int64_t btime_ns = 0;    // creation time; 0 unless has_btime
  bool has_btime = false;  // the filesystem reported a birth time
  // O_DIRECT alignment (statx STATX_DIOALIGN, Linux 6.1+): buffer address
  // and file offset/length alignment in bytes; 0 when unknown or when the
  // file does not support direct I/O. FixedBufs (4 KiB aligned, 4 KiB
  // multiples) satisfy any dio_mem_align up to 4096.
  uint32_t dio_mem_align = 0;
  uint32_t dio_offset_align = 0;

  bool is_file() const;
  bool is_dir() const;
  bool is_symlink() const;
  uint32_t permissions() const { return mode & 07777; }

  static Metadata from_statx(const struct statx& st);
};

class File {
 public:
  File() = default;
  File(File&&) noexcept = default;
  File& operator=(File&&) noexcept = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  // Closes the fd (synchronously) unless close() was awaited; deferred to the
  // last in-flight op if some are still running.
  ~File() = default;

  // Adopt an fd (it is closed by this File from now on).
  static File from_raw_fd(int fd);

  static Task<Result<File>> open(std::string path, OpenOptions opts);
  // Read-only.
  static Task<Result<File>> open(std::string path);
  // Write-only, created if missing, truncated if present (mode 0666 & ~umask).
  static Task<Result<File>> create(std::string path);

  int fd() const;
  bool is_open() const { return fd() >= 0; }

  // Read up to buf.capacity() bytes at `offset`; buf.len() is set to the
  // count. 0 at end of file.
  Task<BufResult> read_at(FixedBuf buf, uint64_t offset);
  // Write buf.len() bytes at `offset` (in append mode the kernel writes at
  // the end instead). May write fewer bytes than asked.
  Task<BufResult> write_at(FixedBuf buf, uint64_t offset);
  // Write all buf.len() bytes at `offset`, retrying short writes.
  Task<BufAllResult> write_all_at(FixedBuf buf, uint64_t offset);
  // At (and advancing) the file position.
  Task<BufResult> read(FixedBuf buf);
  Task<BufResult> write(FixedBuf buf);
  Task<BufAllResult> write_all(FixedBuf buf);

  // Vectored: read fills the buffers in order (each up to its capacity; the
  // lens say how much each got); write sends each buffer's len() bytes.
  // At most IOV_MAX (1024) buffers.
  Task<BufsResult> readv_at(std::vector<FixedBuf> bufs, uint64_t offset);
  Task<BufsResult> writev_at(std::vector<FixedBuf> bufs, uint64_t offset);

  Task<Result<void>> fsync();
  Task<Result<void>> fdatasync();
  // sync_file_range(2); flags are SYNC_FILE_RANGE_*.
  Task<Result<void>> sync_range(uint64_t offset, uint64_t len, uint32_t flags);
  // fallocate(2); mode 0 allocates (and extends), FALLOC_FL_* otherwise.
  Task<Result<void>> allocate(uint64_t offset, uint64_t len, int mode = 0);
  // ftruncate(2): grow (with zeros) or shrink to `len`.
  Task<Result<void>> set_len(uint64_t len);
  Task<Result<Metadata>> metadata();

  // Raw getdents64(2) on a directory fd: fills buf with linux_dirent64
  // records, buf.len() = bytes; 0 at the end. Runs on the blocking pool (no
  // ring opcode). read_dir() is the convenient face.
  Task<BufResult> getdents(FixedBuf buf);

  // Close through the driver and report close(2)'s error. The File is closed
  // afterwards whatever the outcome (EBADF if it already was).
  Task<Result<void>> close();

  // The fd's shared owner (internal: ops keep it alive while in flight).
  struct FdHandle;

 private:
  explicit File(int fd);
  Task<BufResult> rw(bool is_write, FixedBuf buf, size_t start, uint64_t offset);
  Task<BufsResult> rwv(bool is_write, std::vector<FixedBuf> bufs, uint64_t offset);
  // An op whose result is only success or -errno (fsync, ftruncate...).
  Task<Result<void>> simple(OpCode code, uint64_t off, uint64_t len, uint32_t flags,
                            uint32_t mode);

  std::shared_ptr<FdHandle> h_;
};

}  // namespace veloq::fs
