// The rest of libuv 1.44's exports: every function whose issue has not landed
// yet, so that any program built against libuv 1.44 loads against Veloq's
// libuv.so.1 and gets a clear answer instead of a missing symbol.
//
// Rules (README, "libuv compatibility"):
//  - an int function returns UV_ENOSYS (dl* return -1 with a uv_dlerror text,
//    libuv's own failure convention for them);
//  - a function with a documented failure or neutral value returns that
//    (UV_UNKNOWN_HANDLE, 0 for counts and memory sizes);
//  - a function that is small, self-contained and exactly libuv's on Linux is
//    real (accessors of public fields, free functions, getpid, loadavg ...);
// No stub runs a callback or initialises a handle; only the dl pair
// allocates (the uv_dlerror text, which uv_dlclose frees, as in libuv). Each group names the issue that replaces it; when it lands,
// its lines move out of this file and test/abi/enosys_probe.c loses its case.
// Signatures come from <uv.h>: a mismatch is a compile error (extern "C").
#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
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

// libuv's uv__dlerror: the message lives in lib->errmsg until uv_dlclose.
int dl_enosys(uv_lib_t* lib, const char* name) {
  char text[96];
  std::snprintf(text, sizeof text, "veloq: %s is not implemented yet (see README)", name);
  std::free(lib->errmsg);
  lib->errmsg = strdup(text);  // NULL on ENOMEM: uv_dlerror then says "no error", as libuv
  return -1;
}

// Arrays libuv hands out with one heap string per element (freed by the
// matching uv_free_* / uv_os_free_*).
template <class T>
void free_array(T* items, int count, char* T::*owned) {
  for (int i = 0; i < count; i++) std::free(items[i].*owned);
  std::free(items);
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

// tcp
VELOQ_UV_ENOSYS(uv_socketpair, int, int, uv_os_sock_t[2], int, int)

// udp
VELOQ_UV_ENOSYS(uv_udp_init, uv_loop_t*, uv_udp_t*)
VELOQ_UV_ENOSYS(uv_udp_init_ex, uv_loop_t*, uv_udp_t*, unsigned int)
VELOQ_UV_ENOSYS(uv_udp_open, uv_udp_t*, uv_os_sock_t)
VELOQ_UV_ENOSYS(uv_udp_bind, uv_udp_t*, const struct sockaddr*, unsigned int)
VELOQ_UV_ENOSYS(uv_udp_connect, uv_udp_t*, const struct sockaddr*)
VELOQ_UV_ENOSYS(uv_udp_getpeername, const uv_udp_t*, struct sockaddr*, int*)
VELOQ_UV_ENOSYS(uv_udp_getsockname, const uv_udp_t*, struct sockaddr*, int*)
VELOQ_UV_ENOSYS(uv_udp_set_membership, uv_udp_t*, const char*, const char*, uv_membership)
VELOQ_UV_ENOSYS(uv_udp_set_source_membership, uv_udp_t*, const char*, const char*, const char*, uv_membership)
VELOQ_UV_ENOSYS(uv_udp_set_multicast_loop, uv_udp_t*, int)
VELOQ_UV_ENOSYS(uv_udp_set_multicast_ttl, uv_udp_t*, int)
VELOQ_UV_ENOSYS(uv_udp_set_multicast_interface, uv_udp_t*, const char*)
VELOQ_UV_ENOSYS(uv_udp_set_broadcast, uv_udp_t*, int)
VELOQ_UV_ENOSYS(uv_udp_set_ttl, uv_udp_t*, int)
VELOQ_UV_ENOSYS(uv_udp_send, uv_udp_send_t*, uv_udp_t*, const uv_buf_t[], unsigned int, const struct sockaddr*, uv_udp_send_cb)
VELOQ_UV_ENOSYS(uv_udp_try_send, uv_udp_t*, const uv_buf_t[], unsigned int, const struct sockaddr*)
VELOQ_UV_ENOSYS(uv_udp_recv_start, uv_udp_t*, uv_alloc_cb, uv_udp_recv_cb)
VELOQ_UV_ENOSYS(uv_udp_recv_stop, uv_udp_t*)
// Documented as 1 or 0, no error value: no Veloq udp handle uses recvmmsg.
int uv_udp_using_recvmmsg(const uv_udp_t*) { return 0; }
size_t uv_udp_get_send_queue_size(const uv_udp_t* handle) { return handle->send_queue_size; }
size_t uv_udp_get_send_queue_count(const uv_udp_t* handle) { return handle->send_queue_count; }

// handle fds and socket buffers
VELOQ_UV_ENOSYS(uv_send_buffer_size, uv_handle_t*, int*)
VELOQ_UV_ENOSYS(uv_recv_buffer_size, uv_handle_t*, int*)

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

// threadpool
VELOQ_UV_ENOSYS(uv_queue_work, uv_loop_t*, uv_work_t*, uv_work_cb, uv_after_work_cb)

// dns
VELOQ_UV_ENOSYS(uv_getaddrinfo, uv_loop_t*, uv_getaddrinfo_t*, uv_getaddrinfo_cb, const char*, const char*,
                const struct addrinfo*)
VELOQ_UV_ENOSYS(uv_getnameinfo, uv_loop_t*, uv_getnameinfo_t*, uv_getnameinfo_cb, const struct sockaddr*, int)
void uv_freeaddrinfo(struct addrinfo* ai) {
  if (ai != nullptr) freeaddrinfo(ai);
}

// fs_poll
VELOQ_UV_ENOSYS(uv_fs_poll_init, uv_loop_t*, uv_fs_poll_t*)
VELOQ_UV_ENOSYS(uv_fs_poll_start, uv_fs_poll_t*, uv_fs_poll_cb, const char*, unsigned int)
VELOQ_UV_ENOSYS(uv_fs_poll_stop, uv_fs_poll_t*)
VELOQ_UV_ENOSYS(uv_fs_poll_getpath, uv_fs_poll_t*, char*, size_t*)

// system info
// Output arrays start empty, as libuv sets them first: the uv_free_* below
// are then no-ops on them.
int uv_cpu_info(uv_cpu_info_t** cpu_infos, int* count) {
  if (cpu_infos != nullptr) *cpu_infos = nullptr;
  if (count != nullptr) *count = 0;
  return UV_ENOSYS;
}
int uv_interface_addresses(uv_interface_address_t** addresses, int* count) {
  if (addresses != nullptr) *addresses = nullptr;
  if (count != nullptr) *count = 0;
  return UV_ENOSYS;
}
int uv_os_environ(uv_env_item_t** envitems, int* count) {
  if (envitems != nullptr) *envitems = nullptr;
  if (count != nullptr) *count = 0;
  return UV_ENOSYS;
}
// libuv's layouts: one string per element (env name and value share it);
// a passwd is one block starting at username. free(NULL) is a no-op.
void uv_free_cpu_info(uv_cpu_info_t* cpu_infos, int count) { free_array(cpu_infos, count, &uv_cpu_info_t::model); }
void uv_free_interface_addresses(uv_interface_address_t* addresses, int count) {
  free_array(addresses, count, &uv_interface_address_t::name);
}
void uv_os_free_environ(uv_env_item_t* envitems, int count) { free_array(envitems, count, &uv_env_item_t::name); }
void uv_os_free_passwd(uv_passwd_t* pwd) {
  if (pwd == nullptr) return;
  std::free(pwd->username);
  pwd->username = nullptr;
  pwd->shell = nullptr;
  pwd->homedir = nullptr;
}
VELOQ_UV_ENOSYS(uv_os_get_passwd, uv_passwd_t*)
VELOQ_UV_ENOSYS(uv_os_homedir, char*, size_t*)
VELOQ_UV_ENOSYS(uv_os_tmpdir, char*, size_t*)
VELOQ_UV_ENOSYS(uv_os_getenv, const char*, char*, size_t*)
VELOQ_UV_ENOSYS(uv_os_setenv, const char*, const char*)
VELOQ_UV_ENOSYS(uv_os_unsetenv, const char*)
VELOQ_UV_ENOSYS(uv_os_gethostname, char*, size_t*)
VELOQ_UV_ENOSYS(uv_os_uname, uv_utsname_t*)
VELOQ_UV_ENOSYS(uv_os_getpriority, uv_pid_t, int*)
VELOQ_UV_ENOSYS(uv_os_setpriority, uv_pid_t, int)
VELOQ_UV_ENOSYS(uv_uptime, double*)
VELOQ_UV_ENOSYS(uv_resident_set_memory, size_t*)
VELOQ_UV_ENOSYS(uv_getrusage, uv_rusage_t*)
VELOQ_UV_ENOSYS(uv_exepath, char*, size_t*)
VELOQ_UV_ENOSYS(uv_cwd, char*, size_t*)
VELOQ_UV_ENOSYS(uv_chdir, const char*)
// 0 is libuv's "unknown" for the memory figures.
uint64_t uv_get_free_memory(void) { return 0; }
uint64_t uv_get_total_memory(void) { return 0; }
uint64_t uv_get_constrained_memory(void) { return 0; }
uv_pid_t uv_os_getpid(void) { return getpid(); }
uv_pid_t uv_os_getppid(void) { return getppid(); }
// libuv 1.44 on Linux: the affinity mask, else the online CPUs, at least 1.
unsigned int uv_available_parallelism(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  long rc = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
  return rc < 1 ? 1u : static_cast<unsigned>(rc);
}
// libuv 1.44 on Linux: /proc/loadavg, else sysinfo(2); untouched if both fail.
void uv_loadavg(double avg[3]) {
  char buf[128];
  int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n;
    do n = read(fd, buf, sizeof buf - 1);
    while (n == -1 && errno == EINTR);
    close(fd);
    if (n > 0) {
      buf[n] = '\0';
      if (std::sscanf(buf, "%lf %lf %lf", &avg[0], &avg[1], &avg[2]) == 3) return;
    }
  }
  struct sysinfo info;
  if (sysinfo(&info) < 0) return;
  for (int i = 0; i < 3; i++) avg[i] = static_cast<double>(info.loads[i]) / 65536.0;
}

// dl: libuv returns -1 and keeps the text for uv_dlerror.
int uv_dlopen(const char*, uv_lib_t* lib) {
  lib->handle = nullptr;
  lib->errmsg = nullptr;
  return dl_enosys(lib, "uv_dlopen");
}
int uv_dlsym(uv_lib_t* lib, const char*, void** ptr) {
  *ptr = nullptr;
  return dl_enosys(lib, "uv_dlsym");
}
void uv_dlclose(uv_lib_t* lib) {
  std::free(lib->errmsg);
  lib->errmsg = nullptr;
  if (lib->handle != nullptr) {
    dlclose(lib->handle);  // errors ignored, as libuv
    lib->handle = nullptr;
  }
}
const char* uv_dlerror(const uv_lib_t* lib) { return lib->errmsg != nullptr ? lib->errmsg : "no error"; }

// process title: libuv may take over argv; Veloq keeps the caller's.
char** uv_setup_args(int, char** argv) { return argv; }
VELOQ_UV_ENOSYS(uv_get_process_title, char*, size_t)
VELOQ_UV_ENOSYS(uv_set_process_title, const char*)

// random
VELOQ_UV_ENOSYS(uv_random, uv_loop_t*, uv_random_t*, void*, size_t, unsigned, uv_random_cb)

}  // extern "C"
