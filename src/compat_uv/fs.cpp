// uv_fs_*: libuv 1.44's filesystem requests (src/unix/fs.c, src/uv-common.c).
//
// Sync forms (cb == NULL) run here, on the calling thread, with the plain
// syscalls libuv uses (fs_work); they never touch the loop, which may be
// NULL or run by another thread. Async forms become one driver Op each:
//  - requests with an io_uring opcode (open, close, read, write, stat family,
//    fsync, ftruncate, unlink, rmdir, rename, mkdir, link, symlink) are that
//    opcode; the ring runs them (epoll, or a kernel without the opcode: the
//    driver offloads the same syscall to the BlockingPool);
//  - the rest are OpCode::Custom ops whose function runs fs_work on the
//    BlockingPool.
// Completions arrive in the poll phase (where libuv's threadpool results
// arrive, through its async handle); the request's op is released, then its
// callback runs. Everything the kernel reads or writes for a ring op (path
// copies, the iovec array, the statx buffer) is owned by the op. A pool op
// works on the request's own fields: the request outlives it, since its
// callback (after which the user may free it) runs only after the op's last
// completion.
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "compat_uv/alloc.hpp"
#include "compat_uv/internal.hpp"
#include "compat_uv/stream.hpp"
#include "core/op/sync_exec.hpp"
#include "core/runtime/blocking_pool.hpp"
#include "veloq/uv_ext.h"

namespace veloq::uvc {

namespace {

constexpr unsigned kIovMax = IOV_MAX;  // libuv's uv__getiovmax() on Linux
constexpr uint64_t kCurrentPos = ~uint64_t{0};

enum : uint8_t { kPoolQueued = 0, kPoolRunning = 1, kPoolCancelled = 2 };

// Veloq's part of uv_fs_t (libuv's UV_FS_PRIVATE_FIELDS).
struct FsState {
  Op* op;                 // async op in flight, else nullptr
  const char* new_path;   // rename/link/symlink/copyfile target
  const uv_buf_t* bufs;   // sync read/write: the caller's array
  int64_t off;
  ssize_t pool_result;    // what fs_work returned on the pool
  ssize_t written;        // async write: bytes written by earlier passes
  size_t len;             // sendfile length
  double atime;
  double mtime;
  int file;
  int flags;              // open flags, access mode, symlink/copyfile flags, sendfile in_fd
  int mode;
  uint32_t nbufs;         // read/write buffers; scandir: the uv_fs_scandir_next cursor
  uv_uid_t uid;
  uv_gid_t gid;
  // uv_cancel won: the callback (UV_ECANCELED) runs from the next pending
  // phase. The queued / running / cancelled flag itself lives in the op
  // (pool_flag), which a pool thread may still read after that callback.
  PendingWork cancelled;
};
static_assert(sizeof(FsState) <= sizeof(((uv_fs_t*)nullptr)->veloq_fs));

inline FsState* fstate(const uv_fs_t* req) {
  return reinterpret_cast<FsState*>(const_cast<unsigned char*>(req->veloq_fs.storage));
}
inline DIR*& dir_stream(uv_dir_t* dir) {
  static_assert(sizeof(DIR*) <= sizeof(dir->veloq_dir));
  return *reinterpret_cast<DIR**>(dir->veloq_dir.storage);
}

inline ssize_t sys(ssize_t r) { return r < 0 ? -errno : r; }

// --- libuv's INIT / PATH / PATH2 ----------------------------------------------

void fs_init(uv_loop_t* loop, uv_fs_t* req, uv_fs_type type, uv_fs_cb cb) {
  req->type = UV_FS;
  req->fs_type = type;
  req->result = 0;
  req->ptr = nullptr;
  req->loop = loop;
  req->path = nullptr;
  req->cb = cb;
  FsState* st = fstate(req);
  st->op = nullptr;
  st->new_path = nullptr;
  st->bufs = nullptr;
  st->nbufs = 0;
  st->written = 0;
  st->pool_result = 0;
}

// Sync requests point at the caller's strings (as libuv); async ones copy
// them (one block for both paths, freed by uv_fs_req_cleanup).
int fs_path(uv_fs_t* req, const char* path, const char* new_path) {
  if (path == nullptr) return UV_EINVAL;  // libuv asserts
  if (req->cb == nullptr) {
    req->path = path;
    fstate(req)->new_path = new_path;
    return 0;
  }
  const size_t n1 = std::strlen(path) + 1;
  const size_t n2 = new_path ? std::strlen(new_path) + 1 : 0;
  char* p = static_cast<char*>(uv_malloc(n1 + n2));
  if (p == nullptr) return UV_ENOMEM;
  std::memcpy(p, path, n1);
  if (new_path) std::memcpy(p + n1, new_path, n2);
  req->path = p;
  fstate(req)->new_path = new_path ? p + n1 : nullptr;
  return 0;
}

// --- the work, as libuv's uv__fs_* helpers ------------------------------------

void statx_to_uv(const struct statx& sx, uv_stat_t* buf) {
  buf->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
  buf->st_mode = sx.stx_mode;
  buf->st_nlink = sx.stx_nlink;
  buf->st_uid = sx.stx_uid;
  buf->st_gid = sx.stx_gid;
  buf->st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
  buf->st_ino = sx.stx_ino;
  buf->st_size = sx.stx_size;
  buf->st_blksize = sx.stx_blksize;
  buf->st_blocks = sx.stx_blocks;
  buf->st_atim.tv_sec = sx.stx_atime.tv_sec;
  buf->st_atim.tv_nsec = sx.stx_atime.tv_nsec;
  buf->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
  buf->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
  buf->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
  buf->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
  buf->st_birthtim.tv_sec = sx.stx_btime.tv_sec;
  buf->st_birthtim.tv_nsec = sx.stx_btime.tv_nsec;
  buf->st_flags = 0;  // libuv's statx path leaves these 0 on Linux
  buf->st_gen = 0;
}

void stat_to_uv(const struct stat& s, uv_stat_t* buf) {
  buf->st_dev = s.st_dev;
  buf->st_mode = s.st_mode;
  buf->st_nlink = s.st_nlink;
  buf->st_uid = s.st_uid;
  buf->st_gid = s.st_gid;
  buf->st_rdev = s.st_rdev;
  buf->st_ino = s.st_ino;
  buf->st_size = s.st_size;
  buf->st_blksize = s.st_blksize;
  buf->st_blocks = s.st_blocks;
  buf->st_atim.tv_sec = s.st_atim.tv_sec;
  buf->st_atim.tv_nsec = s.st_atim.tv_nsec;
  buf->st_mtim.tv_sec = s.st_mtim.tv_sec;
  buf->st_mtim.tv_nsec = s.st_mtim.tv_nsec;
  buf->st_ctim.tv_sec = s.st_ctim.tv_sec;
  buf->st_ctim.tv_nsec = s.st_ctim.tv_nsec;
  buf->st_birthtim.tv_sec = s.st_ctim.tv_sec;  // libuv's stat fallback
  buf->st_birthtim.tv_nsec = s.st_ctim.tv_nsec;
  buf->st_flags = 0;
  buf->st_gen = 0;
}

constexpr unsigned kStatxMask = 0xFFF;  // STATX_BASIC_STATS | STATX_BTIME, as libuv

// uv__fs_statx, then the stat() fallback where statx is refused.
ssize_t do_stat(int dirfd, const char* path, int flags, uv_stat_t* buf) {
  struct statx sx;
  if (::statx(dirfd, path, flags, kStatxMask, &sx) == 0) {
    statx_to_uv(sx, buf);
    return 0;
  }
  if (errno != EINVAL && errno != EPERM && errno != ENOSYS && errno != EOPNOTSUPP) return -errno;
  struct stat s;
  int r;
  if (flags & AT_EMPTY_PATH) {
    r = ::fstat(dirfd, &s);
  } else if (flags & AT_SYMLINK_NOFOLLOW) {
    r = ::lstat(path, &s);
  } else {
    r = ::stat(path, &s);
  }
  if (r != 0) return -errno;
  stat_to_uv(s, buf);
  return 0;
}

timespec to_timespec(double time) {
  timespec ts;
  ts.tv_sec = static_cast<time_t>(time);
  ts.tv_nsec = static_cast<long>((time - static_cast<double>(ts.tv_sec)) * 1e9);
  ts.tv_nsec -= ts.tv_nsec % 1000;  // libuv keeps microseconds
  if (ts.tv_nsec < 0) {
    ts.tv_nsec += 1000000000;
    ts.tv_sec -= 1;
  }
  return ts;
}

ssize_t do_read(FsState* st) {
  unsigned n = st->nbufs > kIovMax ? kIovMax : st->nbufs;
  const uv_buf_t* b = st->bufs;
  const iovec* iov = reinterpret_cast<const iovec*>(b);
  ssize_t r;
  if (st->off < 0) {
    r = n == 1 ? ::read(st->file, b[0].base, b[0].len) : ::readv(st->file, iov, int(n));
  } else {
    r = n == 1 ? ::pread(st->file, b[0].base, b[0].len, st->off)
               : ::preadv(st->file, iov, int(n), st->off);
  }
  return sys(r);
}

// libuv's uv__fs_buf_offset: drop the buffers `size` bytes filled, trim a partial one.
size_t bufs_advance(iovec* bufs, size_t size) {
  size_t i = 0;
  for (; size > 0 && bufs[i].iov_len <= size; ++i) size -= bufs[i].iov_len;
  if (size > 0) {
    bufs[i].iov_base = static_cast<char*>(bufs[i].iov_base) + size;
    bufs[i].iov_len -= size;
  }
  return i;
}

// libuv's uv__fs_write_all: write until every buffer is out, an error, or 0.
ssize_t do_write_all(FsState* st) {
  iovec small[8];
  iovec* bufs = small;
  if (st->nbufs > 8) {
    bufs = static_cast<iovec*>(std::malloc(st->nbufs * sizeof(iovec)));
    if (bufs == nullptr) return UV_ENOMEM;
  }
  std::memcpy(bufs, st->bufs, st->nbufs * sizeof(iovec));
  iovec* cur = bufs;
  size_t left = st->nbufs;
  int64_t off = st->off;
  ssize_t total = 0;
  while (left > 0) {
    const unsigned n = left > kIovMax ? kIovMax : unsigned(left);
    ssize_t r;
    do {
      if (off < 0) {
        r = n == 1 ? ::write(st->file, cur[0].iov_base, cur[0].iov_len) : ::writev(st->file, cur, int(n));
      } else {
        r = n == 1 ? ::pwrite(st->file, cur[0].iov_base, cur[0].iov_len, off)
                   : ::pwritev(st->file, cur, int(n), off);
      }
    } while (r < 0 && errno == EINTR);
    if (r <= 0) {
      if (total == 0) total = r < 0 ? -errno : 0;
      break;
    }
    if (off >= 0) off += r;
    const size_t done = bufs_advance(cur, size_t(r));
    cur += done;
    left -= done;
    total += r;
  }
  if (bufs != small) std::free(bufs);
  return total;
}

int scandir_filter(const dirent* d) { return std::strcmp(d->d_name, ".") != 0 && std::strcmp(d->d_name, "..") != 0; }
int scandir_sort(const dirent** a, const dirent** b) { return std::strcmp((*a)->d_name, (*b)->d_name); }

uv_dirent_type_t dirent_type(unsigned char t) {
  switch (t) {
    case DT_DIR: return UV_DIRENT_DIR;
    case DT_REG: return UV_DIRENT_FILE;
    case DT_LNK: return UV_DIRENT_LINK;
    case DT_FIFO: return UV_DIRENT_FIFO;
    case DT_SOCK: return UV_DIRENT_SOCKET;
    case DT_CHR: return UV_DIRENT_CHAR;
    case DT_BLK: return UV_DIRENT_BLOCK;
    default: return UV_DIRENT_UNKNOWN;
  }
}

ssize_t do_scandir(uv_fs_t* req) {
  dirent** dents = nullptr;
  const int n = ::scandir(req->path, &dents, scandir_filter, scandir_sort);
  fstate(req)->nbufs = 0;  // the uv_fs_scandir_next cursor
  if (n == -1) return -errno;
  if (n == 0) {
    std::free(dents);
    dents = nullptr;
  }
  req->ptr = dents;
  return n;
}

ssize_t do_opendir(uv_fs_t* req) {
  auto* dir = static_cast<uv_dir_t*>(uv_malloc(sizeof(uv_dir_t)));
  if (dir == nullptr) return UV_ENOMEM;
  DIR* d = ::opendir(req->path);
  if (d == nullptr) {
    const int e = errno;
    uv_free(dir);
    req->ptr = nullptr;
    return -e;
  }
  dir->dirents = nullptr;
  dir->nentries = 0;
  dir_stream(dir) = d;
  req->ptr = dir;
  return 0;
}

ssize_t do_readdir(uv_fs_t* req) {
  auto* dir = static_cast<uv_dir_t*>(req->ptr);
  unsigned idx = 0;
  while (idx < dir->nentries) {
    errno = 0;
    dirent* res = ::readdir(dir_stream(dir));
    if (res == nullptr) {
      if (errno != 0) goto error;
      break;
    }
    if (std::strcmp(res->d_name, ".") == 0 || std::strcmp(res->d_name, "..") == 0) continue;
    dir->dirents[idx].name = uv_strdup(res->d_name);
    if (dir->dirents[idx].name == nullptr) {
      errno = ENOMEM;
      goto error;
    }
    dir->dirents[idx].type = dirent_type(res->d_type);
    ++idx;
  }
  return idx;
error:
  const int e = errno;
  for (unsigned i = 0; i < idx; ++i) {
    uv_free(const_cast<char*>(dir->dirents[i].name));
    dir->dirents[i].name = nullptr;
  }
  return -e;
}

ssize_t do_closedir(uv_fs_t* req) {
  auto* dir = static_cast<uv_dir_t*>(req->ptr);
  if (dir_stream(dir) != nullptr) {
    ::closedir(dir_stream(dir));
    dir_stream(dir) = nullptr;
  }
  uv_free(req->ptr);
  req->ptr = nullptr;
  return 0;
}

ssize_t do_statfs(uv_fs_t* req) {
  struct statfs buf;
  if (::statfs(req->path, &buf) != 0) return -errno;
  auto* out = static_cast<uv_statfs_t*>(uv_malloc(sizeof(uv_statfs_t)));
  if (out == nullptr) return UV_ENOMEM;
  out->f_type = uint64_t(buf.f_type);
  out->f_bsize = uint64_t(buf.f_bsize);
  out->f_blocks = buf.f_blocks;
  out->f_bfree = buf.f_bfree;
  out->f_bavail = buf.f_bavail;
  out->f_files = buf.f_files;
  out->f_ffree = buf.f_ffree;
  std::memset(out->f_spare, 0, sizeof out->f_spare);
  req->ptr = out;
  return 0;
}

ssize_t do_readlink(uv_fs_t* req) {
  long maxlen = ::pathconf(req->path, _PC_PATH_MAX);
  if (maxlen == -1) maxlen = PATH_MAX;
  auto* buf = static_cast<char*>(uv_malloc(size_t(maxlen)));
  if (buf == nullptr) return UV_ENOMEM;
  ssize_t len = ::readlink(req->path, buf, size_t(maxlen));
  if (len == -1) {
    const int e = errno;
    uv_free(buf);
    return -e;
  }
  if (len == maxlen) {
    buf = static_cast<char*>(uv_reallocf(buf, size_t(len) + 1));
    if (buf == nullptr) return UV_ENOMEM;
  }
  buf[len] = '\0';
  req->ptr = buf;
  return 0;
}

ssize_t do_realpath(uv_fs_t* req) {
  char* p = ::realpath(req->path, nullptr);
  if (p == nullptr) return -errno;
  // uv_fs_req_cleanup frees req->ptr with the libuv allocator.
  req->ptr = uv_strdup(p);
  std::free(p);
  return req->ptr ? 0 : UV_ENOMEM;
}

ssize_t do_mkstemp(uv_fs_t* req) {
  char* path = const_cast<char*>(req->path);
  const size_t n = std::strlen(path);
  int r;
  if (n < 6 || std::strcmp(path + n - 6, "XXXXXX") != 0) {
    errno = EINVAL;
    r = -1;
  } else {
    r = ::mkostemp(path, O_CLOEXEC);
  }
  if (r < 0) {
    const int e = errno;
    path[0] = '\0';  // libuv clobbers the template on failure
    return -e;
  }
  return r;
}

// libuv's uv__fs_sendfile_emul: pread/read + write, polling a non-blocking target.
ssize_t sendfile_emul(FsState* st) {
  const int in_fd = st->flags;
  const int out_fd = st->file;
  off_t offset = st->off;
  const size_t len = st->len;
  bool use_pread = true;
  ssize_t nsent = 0;
  char buf[8192];
  while (size_t(nsent) < len) {
    size_t buflen = len - size_t(nsent);
    if (buflen > sizeof buf) buflen = sizeof buf;
    ssize_t nread;
    do {
      nread = use_pread ? ::pread(in_fd, buf, buflen, offset) : ::read(in_fd, buf, buflen);
    } while (nread == -1 && errno == EINTR);
    if (nread == 0) break;
    if (nread == -1) {
      if (use_pread && nsent == 0 && (errno == EIO || errno == ESPIPE)) {
        use_pread = false;
        continue;
      }
      if (nsent == 0) nsent = -1;
      break;
    }
    for (ssize_t nwritten = 0; nwritten < nread;) {
      ssize_t n;
      do {
        n = ::write(out_fd, buf + nwritten, size_t(nread - nwritten));
      } while (n == -1 && errno == EINTR);
      if (n != -1) {
        nwritten += n;
        continue;
      }
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -errno;
      pollfd pfd{out_fd, POLLOUT, 0};
      do {
        n = ::poll(&pfd, 1, -1);
      } while (n == -1 && errno == EINTR);
      if (n == -1 || (pfd.revents & ~POLLOUT) != 0) return UV_EIO;
    }
    offset += nread;
    nsent += nread;
  }
  if (nsent == -1) return -errno;
  st->off = offset;
  return nsent;
}

std::atomic<bool> copy_file_range_ok{true};

// libuv's uv__fs_sendfile on Linux: copy_file_range, then sendfile, then
// the read/write emulation, with libuv's fallback rules.
ssize_t do_sendfile(FsState* st) {
  const int in_fd = st->flags;
  const int out_fd = st->file;
  off_t off = st->off;
  ssize_t r = -1;
  bool tried = false;
  if (copy_file_range_ok.load(std::memory_order_relaxed)) {
    r = ::copy_file_range(in_fd, &off, out_fd, nullptr, st->len, 0);
    if (r == -1 && errno == ENOSYS) {
      copy_file_range_ok.store(false, std::memory_order_relaxed);
    } else if (r == -1 && (errno == ENOTSUP || errno == EXDEV)) {
      // Another fs type, or not on the same mount: sendfile may do it.
    } else {
      tried = true;
    }
  }
  if (!tried) r = ::sendfile(out_fd, in_fd, &off, st->len);
  if (r != -1 || off > st->off) {
    r = off - st->off;
    st->off = off;
    return r;
  }
  if (errno == EINVAL || errno == EIO || errno == ENOTSOCK || errno == EXDEV) return sendfile_emul(st);
  return -errno;
}

ssize_t do_copyfile(uv_fs_t* req) {
  FsState* st = fstate(req);
  int err = 0;
  int dstfd = -1;
  struct stat src_st;
  struct stat dst_st;
  const int srcfd = ::open(req->path, O_RDONLY | O_CLOEXEC);
  if (srcfd < 0) return -errno;
  if (::fstat(srcfd, &src_st) != 0) {
    err = -errno;
    goto out;
  }
  {
    int dst_flags = O_WRONLY | O_CREAT | O_CLOEXEC;
    if (st->flags & UV_FS_COPYFILE_EXCL) dst_flags |= O_EXCL;
    dstfd = ::open(st->new_path, dst_flags, src_st.st_mode);
  }
  if (dstfd < 0) {
    err = -errno;
    goto out;
  }
  if ((st->flags & UV_FS_COPYFILE_EXCL) == 0) {
    if (::fstat(dstfd, &dst_st) != 0) {
      err = -errno;
      goto out;
    }
    // The same file: nothing to copy (and truncating would destroy it).
    if (src_st.st_dev == dst_st.st_dev && src_st.st_ino == dst_st.st_ino) goto out;
    if (::ftruncate(dstfd, 0) != 0) {
      err = -errno;
      goto out;
    }
  }
  if (::fchmod(dstfd, src_st.st_mode) == -1) {
    err = -errno;
    if (err != UV_EPERM) goto out;
    struct statfs s;
    if (::fstatfs(dstfd, &s) == -1) goto out;
    if (unsigned(s.f_type) != 0xFF534D42u) goto out;  // CIFS: fchmod is meaningless there
    err = 0;
  }
  if (st->flags & (UV_FS_COPYFILE_FICLONE | UV_FS_COPYFILE_FICLONE_FORCE)) {
    if (::ioctl(dstfd, FICLONE, srcfd) == 0) goto out;
    if (st->flags & UV_FS_COPYFILE_FICLONE_FORCE) {
      err = -errno;
      goto out;
    }
  }
  {
    off_t to_send = src_st.st_size;
    FsState chunk{};
    chunk.file = dstfd;
    chunk.flags = srcfd;
    chunk.off = 0;
    while (to_send != 0) {
      chunk.len = size_t(to_send);
      const ssize_t n = do_sendfile(&chunk);
      if (n < 0) {
        err = int(n);
        break;
      }
      if (n == 0) break;  // the source shrank under us
      to_send -= n;
    }
  }
out:
  int result = err;
  if (::close(srcfd) != 0 && result == 0) result = -errno;
  if (dstfd >= 0) {
    if (::close(dstfd) != 0 && result == 0) result = -errno;
    if (result != 0) ::unlink(st->new_path);
  }
  return result;
}

// libuv's uv__fs_work: one request, run here and now. Returns the result
// (>= 0) or a UV_E* code; EINTR is retried except for close and read.
ssize_t fs_work(uv_fs_t* req) {
  FsState* st = fstate(req);
  const bool retry = !(req->fs_type == UV_FS_CLOSE || req->fs_type == UV_FS_READ);
  ssize_t r;
  do {
    errno = 0;
    switch (req->fs_type) {
      case UV_FS_ACCESS: r = sys(::access(req->path, st->flags)); break;
      case UV_FS_CHMOD: r = sys(::chmod(req->path, mode_t(st->mode))); break;
      case UV_FS_CHOWN: r = sys(::chown(req->path, st->uid, st->gid)); break;
      case UV_FS_CLOSE:
        r = ::close(st->file);
        r = (r == -1 && errno != EINTR && errno != EINPROGRESS) ? -errno : 0;
        break;
      case UV_FS_COPYFILE: r = do_copyfile(req); break;
      case UV_FS_FCHMOD: r = sys(::fchmod(st->file, mode_t(st->mode))); break;
      case UV_FS_FCHOWN: r = sys(::fchown(st->file, st->uid, st->gid)); break;
      case UV_FS_LCHOWN: r = sys(::lchown(req->path, st->uid, st->gid)); break;
      case UV_FS_FDATASYNC: r = sys(::fdatasync(st->file)); break;
      case UV_FS_FSYNC: r = sys(::fsync(st->file)); break;
      case UV_FS_FSTAT: r = do_stat(st->file, "", AT_EMPTY_PATH, &req->statbuf); break;
      case UV_FS_STAT: r = do_stat(AT_FDCWD, req->path, 0, &req->statbuf); break;
      case UV_FS_LSTAT: r = do_stat(AT_FDCWD, req->path, AT_SYMLINK_NOFOLLOW, &req->statbuf); break;
      case UV_FS_FTRUNCATE: r = sys(::ftruncate(st->file, st->off)); break;
      case UV_FS_FUTIME: {
        const timespec ts[2] = {to_timespec(st->atime), to_timespec(st->mtime)};
        r = sys(::futimens(st->file, ts));
        break;
      }
      case UV_FS_UTIME:
      case UV_FS_LUTIME: {
        const timespec ts[2] = {to_timespec(st->atime), to_timespec(st->mtime)};
        r = sys(::utimensat(AT_FDCWD, req->path, ts, req->fs_type == UV_FS_LUTIME ? AT_SYMLINK_NOFOLLOW : 0));
        break;
      }
      case UV_FS_LINK: r = sys(::link(req->path, st->new_path)); break;
      case UV_FS_MKDIR: r = sys(::mkdir(req->path, mode_t(st->mode))); break;
      case UV_FS_MKDTEMP: r = ::mkdtemp(const_cast<char*>(req->path)) ? 0 : -errno; break;
      case UV_FS_MKSTEMP: r = do_mkstemp(req); break;
      case UV_FS_OPEN: r = sys(::open(req->path, st->flags | O_CLOEXEC, st->mode)); break;
      case UV_FS_READ: r = do_read(st); break;
      case UV_FS_WRITE: r = do_write_all(st); break;
      case UV_FS_SCANDIR: r = do_scandir(req); break;
      case UV_FS_OPENDIR: r = do_opendir(req); break;
      case UV_FS_READDIR: r = do_readdir(req); break;
      case UV_FS_CLOSEDIR: r = do_closedir(req); break;
      case UV_FS_READLINK: r = do_readlink(req); break;
      case UV_FS_REALPATH: r = do_realpath(req); break;
      case UV_FS_RENAME: r = sys(::rename(req->path, st->new_path)); break;
      case UV_FS_RMDIR: r = sys(::rmdir(req->path)); break;
      case UV_FS_SENDFILE: r = do_sendfile(st); break;
      case UV_FS_STATFS: r = do_statfs(req); break;
      case UV_FS_SYMLINK: r = sys(::symlink(req->path, st->new_path)); break;
      case UV_FS_UNLINK: r = sys(::unlink(req->path)); break;
      default: r = UV_EINVAL; break;
    }
  } while (r == UV_EINTR && retry);
  return r;
}

bool is_stat(uv_fs_type t) { return t == UV_FS_STAT || t == UV_FS_LSTAT || t == UV_FS_FSTAT; }

// --- async: one driver op per request ----------------------------------------

// The io_uring opcode of a request, or Custom (BlockingPool).
OpCode ring_code(uv_fs_type t) {
  switch (t) {
    case UV_FS_OPEN: return OpCode::OpenAt;
    case UV_FS_CLOSE: return OpCode::Close;
    case UV_FS_READ: return OpCode::Read;
    case UV_FS_WRITE: return OpCode::Write;
    case UV_FS_STAT:
    case UV_FS_LSTAT:
    case UV_FS_FSTAT: return OpCode::Statx;
    case UV_FS_FSYNC:
    case UV_FS_FDATASYNC: return OpCode::Fsync;
    case UV_FS_FTRUNCATE: return OpCode::Ftruncate;
    case UV_FS_UNLINK:
    case UV_FS_RMDIR: return OpCode::UnlinkAt;
    case UV_FS_RENAME: return OpCode::RenameAt;
    case UV_FS_MKDIR: return OpCode::MkdirAt;
    case UV_FS_LINK: return OpCode::LinkAt;
    case UV_FS_SYMLINK: return OpCode::SymlinkAt;
    default: return OpCode::Custom;
  }
}

inline uv_fs_t* op_req(const Op* op) { return static_cast<uv_fs_t*>(op->owner); }

// A pool request's queued -> running | cancelled flag, in op-owned memory
// (fs_submit): it outlives the request, which its callback may free.
inline std::atomic<uint8_t>* pool_flag(const Op* op) { return static_cast<std::atomic<uint8_t>*>(op->custom_arg); }

// Runs on a BlockingPool thread. A request cancelled while queued never runs,
// and is not even looked at: uv_cancel detached the op from it and its
// callback may have run (and freed it) already.
int32_t pool_run(Op* op) {
  uint8_t expect = kPoolQueued;
  if (!pool_flag(op)->compare_exchange_strong(expect, kPoolRunning, std::memory_order_acq_rel)) {
    return -ECANCELED;
  }
  uv_fs_t* req = op_req(op);
  fstate(req)->pool_result = fs_work(req);
  return 0;
}

// Read/write buffers as the op's arguments: Read/Write for one buffer,
// Readv/Writev over an op-owned copy of the array otherwise (at most IOV_MAX
// per pass, as libuv).
void set_rw_args(Op* op, const uv_buf_t* bufs, unsigned nbufs, bool write) {
  if (nbufs == 1) {
    op->code = write ? OpCode::Write : OpCode::Read;
    op->args.addr = bufs[0].base;
    op->args.len = bufs[0].len;
    return;
  }
  // A write keeps every buffer (it goes on until all are out); a read
  // takes the first IOV_MAX, as libuv.
  const unsigned keep = write ? nbufs : (nbufs > kIovMax ? kIovMax : nbufs);
  auto* iov = reinterpret_cast<iovec*>(op->own_bytes(keep * sizeof(iovec)));
  std::memcpy(iov, bufs, keep * sizeof(iovec));
  op->code = write ? OpCode::Writev : OpCode::Readv;
  op->args.addr = iov;
  op->args.len = keep > kIovMax ? kIovMax : keep;
}

// An async write wrote `n` bytes: queue the rest (true) or say it is done.
bool write_continue(Op* op, FsState* st, size_t n) {
  if (op->code == OpCode::Write) {
    if (n >= op->args.len) return false;
    op->args.addr = static_cast<char*>(op->args.addr) + n;
    op->args.len -= n;
  } else {
    auto* iov = static_cast<iovec*>(op->args.addr);
    const size_t done = bufs_advance(iov, n);
    st->nbufs -= uint32_t(done);
    if (st->nbufs == 0) return false;
    op->args.addr = iov + done;
    op->args.len = st->nbufs > kIovMax ? kIovMax : st->nbufs;
  }
  if (st->off >= 0) {
    st->off += int64_t(n);
    op->args.off = uint64_t(st->off);
  }
  return true;
}

bool ran_on_ring(const LoopState* ls, const Op* op) {
  return op->code != OpCode::Custom && !op->force_blocking && ls->driver->backend() == Backend::Uring &&
         ls->driver->features().opcode[size_t(op->code)];
}

void fs_complete(Op* op, int32_t res, uint32_t /*flags*/) {
  uv_fs_t* req = op_req(op);
  FsState* st = fstate(req);
  uv_loop_t* loop = req->loop;
  LoopState* ls = loop_state(loop);
  ssize_t r = res;
  switch (op->code) {
    case OpCode::Custom:
      if (res == 0) r = st->pool_result;
      break;
    case OpCode::Write:
    case OpCode::Writev:
      if (res > 0) {
        st->written += res;
        if (write_continue(op, st, size_t(res))) {
          ls->driver->prepare(op);  // same op, the rest of the data
          return;
        }
      }
      if (st->written > 0) r = st->written;  // an error after progress reports the progress
      break;
    case OpCode::Close:
      if (res == -EINTR || res == -EINPROGRESS) r = 0;
      break;
    case OpCode::Statx:
      if (res == 0) {
        statx_to_uv(*static_cast<const struct statx*>(op->args.addr2), &req->statbuf);
      } else if (res == -EINVAL || res == -EOPNOTSUPP || res == -ENOSYS || res == -EPERM) {
        // Refused statx (libuv falls back to stat): rare; do it here.
        const int flags = req->fs_type == UV_FS_FSTAT ? AT_EMPTY_PATH
                          : req->fs_type == UV_FS_LSTAT ? AT_SYMLINK_NOFOLLOW
                                                        : 0;
        r = do_stat(req->fs_type == UV_FS_FSTAT ? st->file : AT_FDCWD,
                    req->fs_type == UV_FS_FSTAT ? "" : req->path, flags, &req->statbuf);
      }
      break;
    default: break;
  }
  if (ran_on_ring(ls, op)) {
    ls->fs_ring_reqs++;
  } else {
    ls->fs_pool_reqs++;
  }
  ls->ops.release(op);
  st->op = nullptr;
  st->bufs = nullptr;
  req->result = r;
  if (r == 0 && is_stat(req->fs_type)) req->ptr = &req->statbuf;
  req_unregister(loop);
  req->cb(req);
}

int fs_submit(uv_fs_t* req) {
  uv_loop_t* loop = req->loop;
  if (loop == nullptr) return UV_EINVAL;
  LoopState* ls = loop_state(loop);
  FsState* st = fstate(req);
  const OpCode code = ring_code(req->fs_type);
  Op* op = ls->ops.acquire(code);
  op->owner = req;
  op->on_complete = &fs_complete;
  OpArgs& a = op->args;
  switch (req->fs_type) {
    case UV_FS_OPEN:
      a.fd2 = AT_FDCWD;
      op->own_path(req->path);
      a.flags = uint32_t(st->flags | O_CLOEXEC);
      a.mode = uint32_t(st->mode);
      break;
    case UV_FS_CLOSE:
    case UV_FS_FSYNC:
      a.fd = st->file;
      break;
    case UV_FS_FDATASYNC:
      a.fd = st->file;
      a.flags = 1;  // IORING_FSYNC_DATASYNC
      break;
    case UV_FS_FTRUNCATE:
      a.fd = st->file;
      a.off = uint64_t(st->off);
      break;
    case UV_FS_READ:
    case UV_FS_WRITE:
      a.fd = st->file;
      a.off = st->off < 0 ? kCurrentPos : uint64_t(st->off);
      set_rw_args(op, st->bufs, st->nbufs, req->fs_type == UV_FS_WRITE);
      break;
    case UV_FS_STAT:
    case UV_FS_LSTAT:
    case UV_FS_FSTAT:
      // The statx buffer first: 256 bytes, it takes the op's inline storage.
      a.addr2 = op->own_bytes(sizeof(struct statx));
      a.mask = kStatxMask;
      if (req->fs_type == UV_FS_FSTAT) {
        a.fd2 = st->file;
        a.addr = const_cast<char*>("");
        a.flags = AT_EMPTY_PATH;
      } else {
        a.fd2 = AT_FDCWD;
        op->own_path(req->path);
        a.flags = req->fs_type == UV_FS_LSTAT ? AT_SYMLINK_NOFOLLOW : 0;
      }
      break;
    case UV_FS_UNLINK:
    case UV_FS_RMDIR:
      a.fd2 = AT_FDCWD;
      op->own_path(req->path);
      a.flags = req->fs_type == UV_FS_RMDIR ? AT_REMOVEDIR : 0;
      break;
    case UV_FS_MKDIR:
      a.fd2 = AT_FDCWD;
      op->own_path(req->path);
      a.mode = uint32_t(st->mode);
      break;
    case UV_FS_RENAME:
    case UV_FS_LINK:
      a.fd2 = AT_FDCWD;
      a.fd = AT_FDCWD;
      op->own_path(req->path);
      op->own_path2(st->new_path);
      break;
    case UV_FS_SYMLINK:
      a.fd = AT_FDCWD;
      op->own_path(req->path);
      op->own_path2(st->new_path);
      break;
    default:
      op->custom_fn = &pool_run;
      op->custom_arg = new (op->own_bytes(sizeof(std::atomic<uint8_t>))) std::atomic<uint8_t>(kPoolQueued);
      break;
  }
  st->op = op;
  req_register(loop);
  ls->driver->prepare(op);
  return 0;
}

// libuv's POST: run now (sync) or hand to the loop (async).
int fs_post(uv_fs_t* req) {
  if (req->cb != nullptr) return fs_submit(req);
  const ssize_t r = fs_work(req);
  req->result = r;
  if (r == 0 && is_stat(req->fs_type)) req->ptr = &req->statbuf;
  return int(r);
}

// Frees the entries uv_fs_scandir_next has not handed out, then the array
// (libuv's uv__fs_scandir_cleanup).
void scandir_cleanup(uv_fs_t* req) {
  // uv_fs_scandir_next frees (and clears) an entry when it hands out the
  // next one, so the one handed out last is still ours. (libuv leaks it
  // when the user stops right after the last entry.)
  auto** dents = static_cast<dirent**>(req->ptr);
  const uint32_t cursor = fstate(req)->nbufs;
  const auto n = uint32_t(req->result);
  if (cursor > 0) std::free(dents[cursor - 1]);
  for (uint32_t i = cursor; i < n; i++) std::free(dents[i]);
  std::free(dents);
  req->ptr = nullptr;
}

void readdir_cleanup(uv_fs_t* req) {
  auto* dir = static_cast<uv_dir_t*>(req->ptr);
  req->ptr = nullptr;
  if (dir == nullptr || dir->dirents == nullptr) return;
  for (ssize_t i = 0; i < req->result; ++i) {
    uv_free(const_cast<char*>(dir->dirents[i].name));
    dir->dirents[i].name = nullptr;
  }
}

}  // namespace

void install_pool_offload(LoopState* ls) {
  PoolLink* link = &ls->pool;
  link->driver = ls->driver.get();
  // Two pointers: std::function keeps the job inline (no allocation).
  ls->driver->set_offload([link](Op* op) {
    link->pending.fetch_add(1, std::memory_order_relaxed);
    const bool queued = BlockingPool::shared().submit([link, op] {
      link->driver->post_completion(op, execute_sync(*op));
      link->pending.fetch_sub(1, std::memory_order_release);  // last touch of the loop
    });
    if (!queued) {  // no pool thread could be started: fail the op, not the loop
      link->driver->post_completion(op, -EAGAIN);
      link->pending.fetch_sub(1, std::memory_order_release);
    }
  });
}

PoolLink::~PoolLink() {
  // A pool thread that posted a completion may still be inside the driver's
  // wake(): the driver must outlive that.
  while (pending.load(std::memory_order_acquire) != 0) std::this_thread::yield();
}

// libuv succeeds only for a request still queued in its threadpool; here
// that is a pool op no thread has started. Ring ops cannot be taken back.
//
// Won, the callback does not wait for a pool thread to dequeue the job (all
// may be blocked for long): as libuv, it runs on the next loop turn. The op
// is detached: op_dispatch releases it when the pool thread, finding the
// flag cancelled, posts its -ECANCELED; nothing touches the request then.
void report_cancelled(uv_loop_t* loop, PendingWork* w) {
  auto* st = reinterpret_cast<FsState*>(reinterpret_cast<char*>(w) - offsetof(FsState, cancelled));
  auto* req = reinterpret_cast<uv_fs_t*>(reinterpret_cast<char*>(st) - offsetof(uv_fs_t, veloq_fs.storage));
  st->bufs = nullptr;
  req->result = UV_ECANCELED;
  req_unregister(loop);
  req->cb(req);
}

int fs_cancel(uv_fs_t* req) {
  FsState* st = fstate(req);
  Op* op = st->op;
  if (op == nullptr || op->code != OpCode::Custom) return UV_EBUSY;
  uint8_t expect = kPoolQueued;
  if (!pool_flag(op)->compare_exchange_strong(expect, kPoolCancelled, std::memory_order_acq_rel)) {
    return UV_EBUSY;
  }
  op->detached = true;
  op->owner = nullptr;
  st->op = nullptr;
  st->cancelled.run = &report_cancelled;
  pending_add(req->loop, &st->cancelled);
  return 0;
}

}  // namespace veloq::uvc

using namespace veloq::uvc;

extern "C" {

#define FS_INIT(kind)                   \
  do {                                  \
    if (req == nullptr) return UV_EINVAL; \
    fs_init(loop, req, UV_FS_##kind, cb); \
  } while (0)
#define FS_PATH(p, np)                     \
  do {                                     \
    if (int e_ = fs_path(req, p, np); e_ != 0) return e_; \
  } while (0)

int uv_fs_access(uv_loop_t* loop, uv_fs_t* req, const char* path, int flags, uv_fs_cb cb) {
  FS_INIT(ACCESS);
  FS_PATH(path, nullptr);
  fstate(req)->flags = flags;
  return fs_post(req);
}

int uv_fs_chmod(uv_loop_t* loop, uv_fs_t* req, const char* path, int mode, uv_fs_cb cb) {
  FS_INIT(CHMOD);
  FS_PATH(path, nullptr);
  fstate(req)->mode = mode;
  return fs_post(req);
}

int uv_fs_chown(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_uid_t uid, uv_gid_t gid, uv_fs_cb cb) {
  FS_INIT(CHOWN);
  FS_PATH(path, nullptr);
  fstate(req)->uid = uid;
  fstate(req)->gid = gid;
  return fs_post(req);
}

int uv_fs_lchown(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_uid_t uid, uv_gid_t gid, uv_fs_cb cb) {
  FS_INIT(LCHOWN);
  FS_PATH(path, nullptr);
  fstate(req)->uid = uid;
  fstate(req)->gid = gid;
  return fs_post(req);
}

int uv_fs_close(uv_loop_t* loop, uv_fs_t* req, uv_file file, uv_fs_cb cb) {
  FS_INIT(CLOSE);
  fstate(req)->file = file;
  return fs_post(req);
}

int uv_fs_fchmod(uv_loop_t* loop, uv_fs_t* req, uv_file file, int mode, uv_fs_cb cb) {
  FS_INIT(FCHMOD);
  fstate(req)->file = file;
  fstate(req)->mode = mode;
  return fs_post(req);
}

int uv_fs_fchown(uv_loop_t* loop, uv_fs_t* req, uv_file file, uv_uid_t uid, uv_gid_t gid, uv_fs_cb cb) {
  FS_INIT(FCHOWN);
  fstate(req)->file = file;
  fstate(req)->uid = uid;
  fstate(req)->gid = gid;
  return fs_post(req);
}

int uv_fs_fdatasync(uv_loop_t* loop, uv_fs_t* req, uv_file file, uv_fs_cb cb) {
  FS_INIT(FDATASYNC);
  fstate(req)->file = file;
  return fs_post(req);
}

int uv_fs_fstat(uv_loop_t* loop, uv_fs_t* req, uv_file file, uv_fs_cb cb) {
  FS_INIT(FSTAT);
  fstate(req)->file = file;
  return fs_post(req);
}

int uv_fs_fsync(uv_loop_t* loop, uv_fs_t* req, uv_file file, uv_fs_cb cb) {
  FS_INIT(FSYNC);
  fstate(req)->file = file;
  return fs_post(req);
}

int uv_fs_ftruncate(uv_loop_t* loop, uv_fs_t* req, uv_file file, int64_t off, uv_fs_cb cb) {
  FS_INIT(FTRUNCATE);
  fstate(req)->file = file;
  fstate(req)->off = off;
  return fs_post(req);
}

int uv_fs_futime(uv_loop_t* loop, uv_fs_t* req, uv_file file, double atime, double mtime, uv_fs_cb cb) {
  FS_INIT(FUTIME);
  fstate(req)->file = file;
  fstate(req)->atime = atime;
  fstate(req)->mtime = mtime;
  return fs_post(req);
}

int uv_fs_lutime(uv_loop_t* loop, uv_fs_t* req, const char* path, double atime, double mtime, uv_fs_cb cb) {
  FS_INIT(LUTIME);
  FS_PATH(path, nullptr);
  fstate(req)->atime = atime;
  fstate(req)->mtime = mtime;
  return fs_post(req);
}

int uv_fs_utime(uv_loop_t* loop, uv_fs_t* req, const char* path, double atime, double mtime, uv_fs_cb cb) {
  FS_INIT(UTIME);
  FS_PATH(path, nullptr);
  fstate(req)->atime = atime;
  fstate(req)->mtime = mtime;
  return fs_post(req);
}

int uv_fs_lstat(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(LSTAT);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_stat(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(STAT);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_statfs(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(STATFS);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_link(uv_loop_t* loop, uv_fs_t* req, const char* path, const char* new_path, uv_fs_cb cb) {
  FS_INIT(LINK);
  if (new_path == nullptr) return UV_EINVAL;
  FS_PATH(path, new_path);
  return fs_post(req);
}

int uv_fs_symlink(uv_loop_t* loop, uv_fs_t* req, const char* path, const char* new_path, int flags,
                  uv_fs_cb cb) {
  FS_INIT(SYMLINK);
  if (new_path == nullptr) return UV_EINVAL;
  FS_PATH(path, new_path);
  fstate(req)->flags = flags;
  return fs_post(req);
}

int uv_fs_rename(uv_loop_t* loop, uv_fs_t* req, const char* path, const char* new_path, uv_fs_cb cb) {
  FS_INIT(RENAME);
  if (new_path == nullptr) return UV_EINVAL;
  FS_PATH(path, new_path);
  return fs_post(req);
}

int uv_fs_copyfile(uv_loop_t* loop, uv_fs_t* req, const char* path, const char* new_path, int flags,
                   uv_fs_cb cb) {
  FS_INIT(COPYFILE);
  if (flags & ~(UV_FS_COPYFILE_EXCL | UV_FS_COPYFILE_FICLONE | UV_FS_COPYFILE_FICLONE_FORCE)) return UV_EINVAL;
  if (new_path == nullptr) return UV_EINVAL;
  FS_PATH(path, new_path);
  fstate(req)->flags = flags;
  return fs_post(req);
}

int uv_fs_mkdir(uv_loop_t* loop, uv_fs_t* req, const char* path, int mode, uv_fs_cb cb) {
  FS_INIT(MKDIR);
  FS_PATH(path, nullptr);
  fstate(req)->mode = mode;
  return fs_post(req);
}

// mkdtemp/mkstemp always copy the template: the result is written into it.
int uv_fs_mkdtemp(uv_loop_t* loop, uv_fs_t* req, const char* tpl, uv_fs_cb cb) {
  FS_INIT(MKDTEMP);
  if (tpl == nullptr) return UV_EINVAL;
  req->path = uv_strdup(tpl);
  if (req->path == nullptr) return UV_ENOMEM;
  return fs_post(req);
}

int uv_fs_mkstemp(uv_loop_t* loop, uv_fs_t* req, const char* tpl, uv_fs_cb cb) {
  FS_INIT(MKSTEMP);
  if (tpl == nullptr) return UV_EINVAL;
  req->path = uv_strdup(tpl);
  if (req->path == nullptr) return UV_ENOMEM;
  return fs_post(req);
}

int uv_fs_open(uv_loop_t* loop, uv_fs_t* req, const char* path, int flags, int mode, uv_fs_cb cb) {
  FS_INIT(OPEN);
  FS_PATH(path, nullptr);
  fstate(req)->flags = flags;
  fstate(req)->mode = mode;
  return fs_post(req);
}

int uv_fs_read(uv_loop_t* loop, uv_fs_t* req, uv_file file, const uv_buf_t bufs[], unsigned int nbufs, int64_t off,
               uv_fs_cb cb) {
  FS_INIT(READ);
  if (bufs == nullptr || nbufs == 0) return UV_EINVAL;
  FsState* st = fstate(req);
  st->file = file;
  st->bufs = bufs;
  st->nbufs = nbufs;
  st->off = off;
  return fs_post(req);
}

int uv_fs_write(uv_loop_t* loop, uv_fs_t* req, uv_file file, const uv_buf_t bufs[], unsigned int nbufs,
                int64_t off, uv_fs_cb cb) {
  FS_INIT(WRITE);
  if (bufs == nullptr || nbufs == 0) return UV_EINVAL;
  FsState* st = fstate(req);
  st->file = file;
  st->bufs = bufs;
  st->nbufs = nbufs;
  st->off = off;
  return fs_post(req);
}

int uv_fs_scandir(uv_loop_t* loop, uv_fs_t* req, const char* path, int flags, uv_fs_cb cb) {
  FS_INIT(SCANDIR);
  FS_PATH(path, nullptr);
  fstate(req)->flags = flags;
  return fs_post(req);
}

int uv_fs_scandir_next(uv_fs_t* req, uv_dirent_t* ent) {
  if (req->result < 0) return int(req->result);
  if (req->ptr == nullptr) return UV_EOF;  // cancelled, empty, or already at the end
  auto** dents = static_cast<dirent**>(req->ptr);
  uint32_t& cursor = fstate(req)->nbufs;
  if (cursor > 0) {
    std::free(dents[cursor - 1]);
    dents[cursor - 1] = nullptr;
  }
  if (cursor == uint32_t(req->result)) {
    std::free(dents);
    req->ptr = nullptr;
    return UV_EOF;
  }
  dirent* d = dents[cursor++];
  ent->name = d->d_name;
  ent->type = dirent_type(d->d_type);
  return 0;
}

int uv_fs_opendir(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(OPENDIR);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_readdir(uv_loop_t* loop, uv_fs_t* req, uv_dir_t* dir, uv_fs_cb cb) {
  FS_INIT(READDIR);
  if (dir == nullptr || dir_stream(dir) == nullptr || dir->dirents == nullptr) return UV_EINVAL;
  req->ptr = dir;
  return fs_post(req);
}

int uv_fs_closedir(uv_loop_t* loop, uv_fs_t* req, uv_dir_t* dir, uv_fs_cb cb) {
  FS_INIT(CLOSEDIR);
  if (dir == nullptr) return UV_EINVAL;
  req->ptr = dir;
  return fs_post(req);
}

int uv_fs_readlink(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(READLINK);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_realpath(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(REALPATH);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_rmdir(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(RMDIR);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_unlink(uv_loop_t* loop, uv_fs_t* req, const char* path, uv_fs_cb cb) {
  FS_INIT(UNLINK);
  FS_PATH(path, nullptr);
  return fs_post(req);
}

int uv_fs_sendfile(uv_loop_t* loop, uv_fs_t* req, uv_file out_fd, uv_file in_fd, int64_t off, size_t len,
                   uv_fs_cb cb) {
  FS_INIT(SENDFILE);
  FsState* st = fstate(req);
  st->flags = in_fd;
  st->file = out_fd;
  st->off = off;
  st->len = len;
  return fs_post(req);
}

// Frees what the request owns, as libuv: the async path copy (and the
// mkdtemp/mkstemp template, always a copy), scandir entries not yet handed
// out, readdir names, and the result buffer (readlink, realpath, statfs).
void uv_fs_req_cleanup(uv_fs_t* req) {
  if (req == nullptr) return;
  FsState* st = fstate(req);
  if (req->path != nullptr &&
      (req->cb != nullptr || req->fs_type == UV_FS_MKDTEMP || req->fs_type == UV_FS_MKSTEMP)) {
    uv_free(const_cast<char*>(req->path));  // new_path shares the block
  }
  req->path = nullptr;
  st->new_path = nullptr;
  if (req->fs_type == UV_FS_READDIR && req->ptr != nullptr) readdir_cleanup(req);
  if (req->fs_type == UV_FS_SCANDIR && req->ptr != nullptr) scandir_cleanup(req);
  st->bufs = nullptr;
  if (req->fs_type != UV_FS_OPENDIR && req->ptr != &req->statbuf) uv_free(req->ptr);
  req->ptr = nullptr;
}

// Accessors of public fields (src/uv-common.c, src/unix/fs.c).
uv_fs_type uv_fs_get_type(const uv_fs_t* req) { return req->fs_type; }
ssize_t uv_fs_get_result(const uv_fs_t* req) { return req->result; }
int uv_fs_get_system_error(const uv_fs_t* req) { return static_cast<int>(-req->result); }
void* uv_fs_get_ptr(const uv_fs_t* req) { return req->ptr; }
const char* uv_fs_get_path(const uv_fs_t* req) { return req->path; }
uv_stat_t* uv_fs_get_statbuf(uv_fs_t* req) { return &req->statbuf; }
// On Unix an OS handle is the fd itself (src/unix/core.c).
uv_os_fd_t uv_get_osfhandle(int fd) { return fd; }
int uv_open_osfhandle(uv_os_fd_t os_fd) { return os_fd; }

int veloq_uv_fs_stats(uv_loop_t* loop, veloq_uv_fs_stats_t* stats) {
  if (loop == nullptr || stats == nullptr || loop_state(loop) == nullptr) return UV_EINVAL;
  const LoopState* ls = loop_state(loop);
  stats->ring = ls->fs_ring_reqs;
  stats->pool = ls->fs_pool_reqs;
  stats->uring = ls->driver->backend() == veloq::Backend::Uring ? 1 : 0;
  return 0;
}

}  // extern "C"
