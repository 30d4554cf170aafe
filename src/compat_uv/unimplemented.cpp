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
//  - a void function that cannot report ENOSYS says so once on stderr.
// No stub runs a callback or initialises a handle (except uv_spawn: libuv
// initialises the process handle even when spawning fails, and callers
// uv_close it); only the dl pair allocates (the uv_dlerror text, which
// uv_dlclose frees, as in libuv). Each group names the issue that replaces it; when it lands,
// its lines move out of this file and test/abi/enosys_probe.c loses its case.
// Signatures come from <uv.h>: a mismatch is a compile error (extern "C").
#include <dlfcn.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "compat_uv/internal.hpp"

namespace {

// One line on stderr the first time an unimplemented void function runs.
void report_unimplemented(std::atomic<bool>& reported, const char* name) {
  if (!reported.exchange(true, std::memory_order_relaxed))
    std::fprintf(stderr, "veloq: %s is not implemented yet (see README)\n", name);
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

extern "C" {

// ===== issue 5: streams, tcp, pipe, tty, udp, poll, addresses ===============

// streams
VELOQ_UV_ENOSYS(uv_write2, uv_write_t*, uv_stream_t*, const uv_buf_t[], unsigned int, uv_stream_t*, uv_write_cb)
VELOQ_UV_ENOSYS(uv_try_write2, uv_stream_t*, const uv_buf_t[], unsigned int, uv_stream_t*)
VELOQ_UV_ENOSYS(uv_stream_set_blocking, uv_stream_t*, int)

// tcp
VELOQ_UV_ENOSYS(uv_socketpair, int, int, uv_os_sock_t[2], int, int)

// pipe
VELOQ_UV_ENOSYS(uv_pipe, uv_file[2], int, int)
VELOQ_UV_ENOSYS(uv_pipe_init, uv_loop_t*, uv_pipe_t*, int)
VELOQ_UV_ENOSYS(uv_pipe_open, uv_pipe_t*, uv_file)
VELOQ_UV_ENOSYS(uv_pipe_bind, uv_pipe_t*, const char*)
VELOQ_UV_ENOSYS(uv_pipe_getsockname, const uv_pipe_t*, char*, size_t*)
VELOQ_UV_ENOSYS(uv_pipe_getpeername, const uv_pipe_t*, char*, size_t*)
VELOQ_UV_ENOSYS(uv_pipe_chmod, uv_pipe_t*, int)
// libuv reports connect errors through the callback, from the loop; that
// needs issue 5's stream machinery (and a pipe can't be initialised yet).
void uv_pipe_connect(uv_connect_t*, uv_pipe_t*, const char*, uv_connect_cb) {
  static std::atomic<bool> reported{false};
  report_unimplemented(reported, "uv_pipe_connect");
}
// Windows only: libuv on Unix ignores it (src/unix/pipe.c).
void uv_pipe_pending_instances(uv_pipe_t*, int) {}
int uv_pipe_pending_count(uv_pipe_t*) { return 0; }  // nothing can be received yet
uv_handle_type uv_pipe_pending_type(uv_pipe_t*) { return UV_UNKNOWN_HANDLE; }

// tty
VELOQ_UV_ENOSYS(uv_tty_init, uv_loop_t*, uv_tty_t*, uv_file, int)
VELOQ_UV_ENOSYS(uv_tty_set_mode, uv_tty_t*, uv_tty_mode_t)
VELOQ_UV_ENOSYS(uv_tty_get_winsize, uv_tty_t*, int*, int*)
// uv_tty_set_mode never changed a mode, so there is none to restore: libuv
// returns 0 in that state too. Must change with uv_tty_set_mode.
int uv_tty_reset_mode(void) { return 0; }
// Windows only; as Linux libuv (src/unix/tty.c).
void uv_tty_set_vterm_state(uv_tty_vtermstate_t) {}
int uv_tty_get_vterm_state(uv_tty_vtermstate_t*) { return UV_ENOTSUP; }

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

// fs: fs.cpp

// threadpool
VELOQ_UV_ENOSYS(uv_queue_work, uv_loop_t*, uv_work_t*, uv_work_cb, uv_after_work_cb)

// dns
VELOQ_UV_ENOSYS(uv_getaddrinfo, uv_loop_t*, uv_getaddrinfo_t*, uv_getaddrinfo_cb, const char*, const char*,
                const struct addrinfo*)
VELOQ_UV_ENOSYS(uv_getnameinfo, uv_loop_t*, uv_getnameinfo_t*, uv_getnameinfo_cb, const struct sockaddr*, int)
void uv_freeaddrinfo(struct addrinfo* ai) {
  if (ai != nullptr) freeaddrinfo(ai);
}

// process
// libuv initialises the handle before it tries to spawn, and callers close it
// after a failed spawn (upstream test spawn_fails): keep that true.
int uv_spawn(uv_loop_t* loop, uv_process_t* process, const uv_process_options_t* options) {
  if (loop == nullptr || process == nullptr || options == nullptr) return UV_EINVAL;
  veloq::uvc::handle_init(loop, reinterpret_cast<uv_handle_t*>(process), UV_PROCESS);
  return UV_ENOSYS;
}
VELOQ_UV_ENOSYS(uv_process_kill, uv_process_t*, int)
VELOQ_UV_ENOSYS(uv_kill, int, int)
uv_pid_t uv_process_get_pid(const uv_process_t* process) { return process->pid; }
// libuv: close-on-exec on fds 0..15 unconditionally, then up to the first
// fd that is not open (src/unix/process.c, uv__cloexec with FIOCLEX).
void uv_disable_stdio_inheritance(void) {
  for (int fd = 0;; fd++) {
    int rc;
    do rc = ioctl(fd, FIOCLEX);
    while (rc == -1 && errno == EINTR);
    if (rc != 0 && fd > 15) break;
  }
}

// signal
VELOQ_UV_ENOSYS(uv_signal_init, uv_loop_t*, uv_signal_t*)
VELOQ_UV_ENOSYS(uv_signal_start, uv_signal_t*, uv_signal_cb, int)
VELOQ_UV_ENOSYS(uv_signal_start_oneshot, uv_signal_t*, uv_signal_cb, int)
VELOQ_UV_ENOSYS(uv_signal_stop, uv_signal_t*)

// fs_event (fs_poll: fs_poll.cpp)
VELOQ_UV_ENOSYS(uv_fs_event_init, uv_loop_t*, uv_fs_event_t*)
VELOQ_UV_ENOSYS(uv_fs_event_start, uv_fs_event_t*, uv_fs_event_cb, const char*, unsigned int)
VELOQ_UV_ENOSYS(uv_fs_event_stop, uv_fs_event_t*)
VELOQ_UV_ENOSYS(uv_fs_event_getpath, uv_fs_event_t*, char*, size_t*)

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
