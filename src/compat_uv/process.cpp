// uv_process_t (libuv 1.44 src/unix/process.c).
//
// uv_spawn forks and execs as libuv 1.44 does: the child resets signal
// dispositions, sets up stdio (IGNORE -> /dev/null for 0..2, INHERIT_FD /
// INHERIT_STREAM -> dup2, CREATE_PIPE -> one end of a socketpair), then
// setsid / chdir / setgid / setuid / environ, and execvp. A close-on-exec
// pipe carries the child's errno back when anything fails before exec, so
// uv_spawn reports ENOENT, EACCES ... synchronously (the failed child is
// reaped right there); the handle is initialised in every case.
//
// Exits are seen as libuv sees them: each loop with live children starts an
// internal SIGCHLD watcher (a uv_signal_t the loop owns, not in its handle
// queue and never ref'd), whose callback waitpid()s every child of that loop
// with WNOHANG and runs exit_cbs in the poll phase. A user's own SIGCHLD
// handle keeps working beside it: signal.cpp delivers to both.
#include <fcntl.h>
#include <grp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <array>
#include <cstring>
#include <vector>

#include "compat_uv/internal.hpp"
#include "compat_uv/stream.hpp"

extern char** environ;

using namespace veloq;
using namespace veloq::uvc;

namespace veloq::uvc {

struct ProcessLoop {
  uv_signal_t child_watcher;  // internal: SIGCHLD while process_handles is not empty
  Queue process_handles;      // ProcessState::queue of running children
};

}  // namespace veloq::uvc

namespace {

struct ProcessState {  // fits UV_PROCESS_PRIVATE_FIELDS (24 bytes)
  Queue queue;         // in ProcessLoop::process_handles while the child runs
  int status;          // from waitpid
};
static_assert(sizeof(ProcessState) <= sizeof(((uv_process_t*)nullptr)->veloq_process));

ProcessState* pstate(const uv_process_t* h) {
  return reinterpret_cast<ProcessState*>(const_cast<unsigned char*>(h->veloq_process.storage));
}
uv_process_t* process_of_queue(Queue* q) {
  return reinterpret_cast<uv_process_t*>(reinterpret_cast<char*>(q) - offsetof(ProcessState, queue) -
                                         offsetof(uv_process_t, veloq_process.storage));
}

ProcessLoop* process_loop(uv_loop_t* loop, int* err) {
  LoopState* ls = loop_state(loop);
  if (ls->processes != nullptr) return ls->processes;
  ProcessLoop* pl = new ProcessLoop;
  pl->process_handles.init();
  std::memset(static_cast<void*>(&pl->child_watcher), 0, sizeof pl->child_watcher);
  // Set up by hand: the watcher is the loop's, not the user's (no handle
  // queue, no ref), so uv_walk, uv_loop_alive and uv_loop_close ignore it.
  pl->child_watcher.loop = loop;
  pl->child_watcher.type = UV_SIGNAL;
  hstate(reinterpret_cast<uv_handle_t*>(&pl->child_watcher))->flags = 0;
  if ((*err = signal_init_internal(loop, &pl->child_watcher)) != 0) {
    delete pl;
    return nullptr;
  }
  ls->processes = pl;
  return pl;
}

// uv__chld: reap every child of this loop that has exited, then run their
// exit_cbs (collected first: an exit_cb may spawn or close).
void on_sigchld(uv_signal_t* watcher, int) {
  uv_loop_t* loop = watcher->loop;
  ProcessLoop* pl = loop_state(loop)->processes;
  Queue done;
  done.init();
  Queue* q = pl->process_handles.next;
  while (q != &pl->process_handles) {
    uv_process_t* p = process_of_queue(q);
    q = q->next;
    int status;
    pid_t pid;
    do pid = ::waitpid(p->pid, &status, WNOHANG);
    while (pid == -1 && errno == EINTR);
    if (pid == 0) continue;
    if (pid == -1) {
      if (errno != ECHILD) abort();  // as libuv
      continue;
    }
    pstate(p)->status = status;
    pstate(p)->queue.remove();
    done.insert_tail(&pstate(p)->queue);
  }
  while (!done.empty()) {
    uv_process_t* p = process_of_queue(done.next);
    pstate(p)->queue.remove();
    pstate(p)->queue.init();
    handle_stop(reinterpret_cast<uv_handle_t*>(p));
    if (p->exit_cb == nullptr) continue;
    const int status = pstate(p)->status;
    const int64_t exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 0;
    const int term_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    p->exit_cb(p, exit_status, term_signal);
  }
}

// The child reports failure as -errno on the error pipe, then exits 127.
[[noreturn]] void child_fail(int error_fd, int err) {
  ssize_t r;
  do r = ::write(error_fd, &err, sizeof err);
  while (r == -1 && errno == EINTR);
  _exit(127);
}

// uv__process_child_init: only async-signal-safe calls from here on.
[[noreturn]] void child_init(const uv_process_options_t* options, int stdio_count, int (*pipes)[2], int error_fd) {
  // Dispositions back to default (1..31: glibc owns the RT signals).
  for (int n = 1; n < 32; n++) {
    if (n == SIGKILL || n == SIGSTOP) continue;
    if (::signal(n, SIG_DFL) == SIG_ERR) child_fail(error_fd, -errno);
  }
  if (options->flags & UV_PROCESS_DETACHED) ::setsid();
  // Move low fds that would be overwritten out of the way first (swapping
  // stdout and stderr must not make both the same).
  for (int fd = 0; fd < stdio_count; fd++) {
    const int use_fd = pipes[fd][1];
    if (use_fd < 0 || use_fd >= fd) continue;
    pipes[fd][1] = ::fcntl(use_fd, F_DUPFD_CLOEXEC, stdio_count);
    if (pipes[fd][1] == -1) child_fail(error_fd, -errno);
  }
  for (int fd = 0; fd < stdio_count; fd++) {
    int close_fd = -1;
    int use_fd = pipes[fd][1];
    if (use_fd < 0) {
      if (fd >= 3) continue;
      // stdin, stdout and stderr go to /dev/null when ignored.
      ::close(fd);
      use_fd = ::open("/dev/null", fd == 0 ? O_RDONLY : O_RDWR);
      close_fd = use_fd;
      if (use_fd < 0) child_fail(error_fd, -errno);
    }
    int target = fd;
    if (fd == use_fd) {
      if (close_fd == -1) {
        const int fl = ::fcntl(use_fd, F_GETFD);
        if (fl == -1 || ::fcntl(use_fd, F_SETFD, fl & ~FD_CLOEXEC) == -1) child_fail(error_fd, -errno);
      }
    } else {
      target = ::dup2(use_fd, fd);
    }
    if (target == -1) child_fail(error_fd, -errno);
    if (target <= 2 && close_fd == -1) {
      // The child's stdio starts blocking, as libuv leaves it.
      const int fl = ::fcntl(target, F_GETFL);
      if (fl != -1 && (fl & O_NONBLOCK)) ::fcntl(target, F_SETFL, fl & ~O_NONBLOCK);
    }
    if (close_fd >= stdio_count) ::close(close_fd);
  }
  if (options->cwd != nullptr && ::chdir(options->cwd) != 0) child_fail(error_fd, -errno);
  if (options->flags & (UV_PROCESS_SETUID | UV_PROCESS_SETGID)) {
    // Drop supplementary groups when leaving root; fails harmlessly otherwise.
    const int saved = errno;
    ::setgroups(0, nullptr);
    errno = saved;
  }
  if ((options->flags & UV_PROCESS_SETGID) && ::setgid(options->gid) != 0) child_fail(error_fd, -errno);
  if ((options->flags & UV_PROCESS_SETUID) && ::setuid(options->uid) != 0) child_fail(error_fd, -errno);
  // libuv 1.44 sets environ, then execvp: PATH is looked up in the new env.
  if (options->env != nullptr) environ = options->env;
  sigset_t none;
  sigemptyset(&none);
  if (::sigprocmask(SIG_SETMASK, &none, nullptr) != 0) abort();
  ::execvp(options->file, options->args);
  child_fail(error_fd, -errno);
}

// uv__spawn_and_init_child: fork, then wait for exec (EOF on the error
// pipe) or for the child's errno. Returns 0 or a UV_E* code.
int fork_and_exec(const uv_process_options_t* options, int stdio_count, int (*pipes)[2], pid_t* pid) {
  int err_pipe[2];
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) return -errno;
  // The child starts with almost every signal blocked (a handler inherited
  // from the parent must not run there), program faults still kill it.
  sigset_t block, old;
  sigfillset(&block);
  for (int s : {SIGKILL, SIGSTOP, SIGTRAP, SIGSEGV, SIGBUS, SIGILL, SIGSYS, SIGABRT}) sigdelset(&block, s);
  if (pthread_sigmask(SIG_BLOCK, &block, &old) != 0) abort();
  *pid = ::fork();
  if (*pid == 0) child_init(options, stdio_count, pipes, err_pipe[1]);
  const int fork_errno = errno;
  if (pthread_sigmask(SIG_SETMASK, &old, nullptr) != 0) abort();
  ::close(err_pipe[1]);
  int err = 0;
  if (*pid == -1) {
    err = -fork_errno;
  } else {
    int exec_errno = 0;
    ssize_t r;
    do r = ::read(err_pipe[0], &exec_errno, sizeof exec_errno);
    while (r == -1 && errno == EINTR);
    if (r == 0) {
      err = 0;  // EOF: exec succeeded (the pipe was close-on-exec)
    } else {
      // The child failed before exec: reap it now; its pid stays in the handle.
      int status;
      pid_t w;
      do w = ::waitpid(*pid, &status, 0);
      while (w == -1 && errno == EINTR);
      err = r == sizeof exec_errno ? exec_errno : UV_EPIPE;
    }
  }
  ::close(err_pipe[0]);
  return err;
}

// uv__process_init_stdio: the fd the child gets in pipes[i][1]; a created
// pipe's parent end in pipes[i][0].
int init_stdio(const uv_stdio_container_t* c, int fds[2]) {
  switch (c->flags & (UV_IGNORE | UV_CREATE_PIPE | UV_INHERIT_FD | UV_INHERIT_STREAM)) {
    case UV_IGNORE: return 0;
    case UV_CREATE_PIPE: {
      if (c->data.stream == nullptr || c->data.stream->type != UV_NAMED_PIPE) return UV_EINVAL;
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return -errno;
      return 0;
    }
    case UV_INHERIT_FD:
    case UV_INHERIT_STREAM: {
      int fd;
      if (c->flags & UV_INHERIT_FD) {
        fd = c->data.fd;
      } else {
        if (c->data.stream == nullptr) return UV_EINVAL;
        uv_os_fd_t ofd;
        fd = uv_fileno(reinterpret_cast<const uv_handle_t*>(c->data.stream), &ofd) == 0 ? ofd : -1;
      }
      if (fd == -1) return UV_EINVAL;
      fds[1] = fd;
      return 0;
    }
    default: return UV_EINVAL;  // libuv asserts on mixed flags
  }
}

// uv__process_open_stream: the parent's end of a created pipe goes into the
// user's uv_pipe_t. UV_WRITABLE_PIPE is the child's view: the parent reads.
int open_stream(const uv_stdio_container_t* c, int fds[2]) {
  if (!(c->flags & UV_CREATE_PIPE) || fds[0] < 0) return 0;
  ::close(fds[1]);
  fds[1] = -1;
  uint32_t flags = 0;
  if (c->flags & UV_WRITABLE_PIPE) flags |= kReadable;
  if (c->flags & UV_READABLE_PIPE) flags |= kWritable;
  const int fl = ::fcntl(fds[0], F_GETFL);
  if (fl != -1) ::fcntl(fds[0], F_SETFL, fl | O_NONBLOCK);
  return stream_open(c->data.stream, fds[0], flags);
}

constexpr unsigned kKnownFlags = UV_PROCESS_SETUID | UV_PROCESS_SETGID | UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS |
                                 UV_PROCESS_DETACHED | UV_PROCESS_WINDOWS_HIDE | UV_PROCESS_WINDOWS_HIDE_CONSOLE |
                                 UV_PROCESS_WINDOWS_HIDE_GUI;

}  // namespace

namespace veloq::uvc {

// uv__process_close: the child is not reaped (libuv leaves that to exit);
// the loop stops watching SIGCHLD when its last child is gone.
void process_close(uv_process_t* h) {
  pstate(h)->queue.remove();
  pstate(h)->queue.init();
  handle_stop(reinterpret_cast<uv_handle_t*>(h));
  ProcessLoop* pl = loop_state(h->loop)->processes;
  if (pl != nullptr && pl->process_handles.empty()) signal_stop_internal(&pl->child_watcher);
}

void process_loop_close(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  if (ls->processes == nullptr) return;
  signal_stop_internal(&ls->processes->child_watcher);
  delete ls->processes;
  ls->processes = nullptr;
}

}  // namespace veloq::uvc

extern "C" {

int uv_spawn(uv_loop_t* loop, uv_process_t* process, const uv_process_options_t* options) {
  if (loop == nullptr || process == nullptr || options == nullptr) return UV_EINVAL;
  handle_init(loop, reinterpret_cast<uv_handle_t*>(process), UV_PROCESS);
  ProcessState* ps = pstate(process);
  ps->queue.init();
  ps->status = 0;
  // libuv asserts on these; Veloq answers UV_EINVAL with the handle initialised.
  if (options->file == nullptr || (options->flags & ~kKnownFlags) != 0) return UV_EINVAL;
  if (options->stdio_count < 0 || (options->stdio_count > 0 && options->stdio == nullptr)) return UV_EINVAL;

  const int stdio_count = options->stdio_count < 3 ? 3 : options->stdio_count;
  std::vector<std::array<int, 2>> pipes(size_t(stdio_count), std::array<int, 2>{-1, -1});
  auto raw = reinterpret_cast<int(*)[2]>(pipes.data());
  static_assert(sizeof(std::array<int, 2>) == sizeof(int[2]));
  int err = 0;
  for (int i = 0; i < options->stdio_count && err == 0; i++) err = init_stdio(&options->stdio[i], raw[i]);
  ProcessLoop* pl = err == 0 ? process_loop(loop, &err) : nullptr;
  if (err != 0) {
    for (int i = 0; i < stdio_count; i++) {
      if (i < options->stdio_count && (options->stdio[i].flags & (UV_INHERIT_FD | UV_INHERIT_STREAM))) continue;
      if (raw[i][0] != -1) ::close(raw[i][0]);
      if (raw[i][1] != -1) ::close(raw[i][1]);
    }
    return err;
  }
  signal_start_internal(&pl->child_watcher, &on_sigchld, SIGCHLD);

  pid_t pid = -1;
  const int exec_err = fork_and_exec(options, stdio_count, raw, &pid);
  // A child that exec'd is watched even if a stdio stream fails below, so
  // it is reaped.
  if (exec_err == 0) {
    pl->process_handles.insert_tail(&ps->queue);
    handle_start(reinterpret_cast<uv_handle_t*>(process));
  } else if (pl->process_handles.empty()) {
    signal_stop_internal(&pl->child_watcher);
  }
  process->pid = pid;
  process->exit_cb = options->exit_cb;

  for (int i = 0; i < options->stdio_count; i++) {
    err = open_stream(&options->stdio[i], raw[i]);
    if (err == 0) continue;
    // Streams opened before stay with their uv_pipe_t (closing it closes
    // them); the failed one and those not reached are closed here.
    for (int j = i; j < options->stdio_count; j++) {
      if (!(options->stdio[j].flags & UV_CREATE_PIPE)) continue;
      if (raw[j][0] != -1) ::close(raw[j][0]);
      if (raw[j][1] != -1) ::close(raw[j][1]);
    }
    return err;
  }
  return exec_err;
}

int uv_process_kill(uv_process_t* process, int signum) {
  if (process == nullptr) return UV_EINVAL;
  return uv_kill(process->pid, signum);
}

int uv_kill(int pid, int signum) {
  if (::kill(pid, signum) != 0) return -errno;
  return 0;
}

uv_pid_t uv_process_get_pid(const uv_process_t* process) { return process->pid; }

// libuv: close-on-exec on fds 0..15 unconditionally, then up to the first
// fd that is not open (src/unix/process.c, uv__cloexec with FIOCLEX).
void uv_disable_stdio_inheritance(void) {
  for (int fd = 0;; fd++) {
    int rc;
    do rc = ::ioctl(fd, FIOCLEX);
    while (rc == -1 && errno == EINTR);
    if (rc != 0 && fd > 15) break;
  }
}

}  // extern "C"
