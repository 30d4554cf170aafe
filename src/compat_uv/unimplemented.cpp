// The rest of libuv 1.44's exports: every function whose issue has not landed
// yet, so that any program built against libuv 1.44 loads against Veloq's
// libuv.so.1 and gets a clear answer instead of a missing symbol.
//
// Rules (README, "libuv compatibility"):
//  - an int function returns UV_ENOSYS;
//  - a function with a documented failure or neutral value returns that
//    (UV_UNKNOWN_HANDLE, 0 for counts and memory sizes);
//  - a function that is small, self-contained and exactly libuv's on Linux is
//    real (accessors of public fields, OS handles ...).
// No stub runs a callback or initialises a handle; none allocates. Each group names the issue that replaces it; when it lands,
// its lines move out of this file and test/abi/enosys_probe.c loses its case.
// Signatures come from <uv.h>: a mismatch is a compile error (extern "C").
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "compat_uv/internal.hpp"

namespace {

// What libuv's INIT does to a uv_fs_t, then the failure a sync call reports
// in req->result; uv_fs_req_cleanup and the uv_fs_get_* accessors work on it.
int fs_enosys(uv_loop_t* loop, uv_fs_t* req, uv_fs_type type, uv_fs_cb cb) {
  if (req == nullptr) return UV_EINVAL;  // as libuv
  req->type = UV_FS;
  req->fs_type = type;
  req->loop = loop;
  req->cb = cb;
  req->result = UV_ENOSYS;
  req->ptr = nullptr;
  req->path = nullptr;
  return UV_ENOSYS;
}

}  // namespace

// `int name(types...)` returning UV_ENOSYS; parameters are unnamed (unused).
#define VELOQ_UV_ENOSYS(name, ...) \
  int name(__VA_ARGS__) { return UV_ENOSYS; }
// uv_fs_*(loop, req, ..., cb): see fs_enosys.
#define VELOQ_UV_FS_ENOSYS(name, kind, ...) \
  int name(uv_loop_t* loop, uv_fs_t* req, __VA_ARGS__, uv_fs_cb cb) { return fs_enosys(loop, req, UV_FS_##kind, cb); }

extern "C" {

// ===== issue 5: streams, tcp, pipe, tty, udp, poll, addresses ===============


// ===== issue 6: fs, threadpool, dns, process, signal, fs_event, fs_poll, ====
// =====          system info, dl, process title, random ====================

// fs
VELOQ_UV_FS_ENOSYS(uv_fs_open, OPEN, const char*, int, int)
VELOQ_UV_FS_ENOSYS(uv_fs_close, CLOSE, uv_file)
VELOQ_UV_FS_ENOSYS(uv_fs_read, READ, uv_file, const uv_buf_t[], unsigned int, int64_t)
VELOQ_UV_FS_ENOSYS(uv_fs_write, WRITE, uv_file, const uv_buf_t[], unsigned int, int64_t)
VELOQ_UV_FS_ENOSYS(uv_fs_sendfile, SENDFILE, uv_file, uv_file, int64_t, size_t)
VELOQ_UV_FS_ENOSYS(uv_fs_stat, STAT, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_lstat, LSTAT, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_fstat, FSTAT, uv_file)
VELOQ_UV_FS_ENOSYS(uv_fs_statfs, STATFS, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_ftruncate, FTRUNCATE, uv_file, int64_t)
VELOQ_UV_FS_ENOSYS(uv_fs_utime, UTIME, const char*, double, double)
VELOQ_UV_FS_ENOSYS(uv_fs_futime, FUTIME, uv_file, double, double)
VELOQ_UV_FS_ENOSYS(uv_fs_lutime, LUTIME, const char*, double, double)
VELOQ_UV_FS_ENOSYS(uv_fs_access, ACCESS, const char*, int)
VELOQ_UV_FS_ENOSYS(uv_fs_chmod, CHMOD, const char*, int)
VELOQ_UV_FS_ENOSYS(uv_fs_fchmod, FCHMOD, uv_file, int)
VELOQ_UV_FS_ENOSYS(uv_fs_fsync, FSYNC, uv_file)
VELOQ_UV_FS_ENOSYS(uv_fs_fdatasync, FDATASYNC, uv_file)
VELOQ_UV_FS_ENOSYS(uv_fs_unlink, UNLINK, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_rmdir, RMDIR, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_mkdir, MKDIR, const char*, int)
VELOQ_UV_FS_ENOSYS(uv_fs_mkdtemp, MKDTEMP, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_mkstemp, MKSTEMP, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_rename, RENAME, const char*, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_scandir, SCANDIR, const char*, int)
VELOQ_UV_FS_ENOSYS(uv_fs_opendir, OPENDIR, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_readdir, READDIR, uv_dir_t*)
VELOQ_UV_FS_ENOSYS(uv_fs_closedir, CLOSEDIR, uv_dir_t*)
VELOQ_UV_FS_ENOSYS(uv_fs_link, LINK, const char*, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_symlink, SYMLINK, const char*, const char*, int)
VELOQ_UV_FS_ENOSYS(uv_fs_readlink, READLINK, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_realpath, REALPATH, const char*)
VELOQ_UV_FS_ENOSYS(uv_fs_copyfile, COPYFILE, const char*, const char*, int)
VELOQ_UV_FS_ENOSYS(uv_fs_chown, CHOWN, const char*, uv_uid_t, uv_gid_t)
VELOQ_UV_FS_ENOSYS(uv_fs_fchown, FCHOWN, uv_file, uv_uid_t, uv_gid_t)
VELOQ_UV_FS_ENOSYS(uv_fs_lchown, LCHOWN, const char*, uv_uid_t, uv_gid_t)
VELOQ_UV_ENOSYS(uv_fs_scandir_next, uv_fs_t*, uv_dirent_t*)
// No fs request can have started (each fails above before allocating), so
// Veloq owns nothing in `req`: clear what libuv clears. NULL is allowed.
void uv_fs_req_cleanup(uv_fs_t* req) {
  if (req == nullptr) return;
  req->path = nullptr;
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

// fs_poll
VELOQ_UV_ENOSYS(uv_fs_poll_init, uv_loop_t*, uv_fs_poll_t*)
VELOQ_UV_ENOSYS(uv_fs_poll_start, uv_fs_poll_t*, uv_fs_poll_cb, const char*, unsigned int)
VELOQ_UV_ENOSYS(uv_fs_poll_stop, uv_fs_poll_t*)
VELOQ_UV_ENOSYS(uv_fs_poll_getpath, uv_fs_poll_t*, char*, size_t*)

}  // extern "C"
