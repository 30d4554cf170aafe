// Automatic fallback io_uring -> epoll (issue 3), proven by really making
// io_uring_setup fail: a forked child installs a seccomp filter returning
// EPERM for io_uring_setup, then builds a driver / Worker and does I/O.
// Each scenario runs in its own child and reports through its exit code.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string>

#include "core/driver/driver.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;

namespace {

// Exit codes of the child; 0 = every check passed.
enum : int { kOk = 0, kSeccomp = 10, kWrongBackend, kIoFailed, kUnexpected, kThrew };

bool block_io_uring_setup() {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (ctx == nullptr) return false;
  bool ok = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0) == 0 &&
            seccomp_load(ctx) == 0;
  seccomp_release(ctx);
  return ok;
}

// Run `body` in a forked child, return its exit code (or 100 + signal).
template <class F>
int in_child(F body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int code = kThrew;
    try {
      code = body();
    } catch (...) {
      code = kThrew;
    }
    ::_exit(code);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 100 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

Task<std::string> pipe_echo(int rfd, int wfd) {
  {
    IoOp w(OpCode::Write);
    w->buf = FixedBuf::copy_of(std::string_view("through epoll"));
    w->args.fd = wfd;
    w->args.addr = w->buf.data();
    w->args.len = w->buf.len();
    w->args.off = ~uint64_t{0};
    if (co_await w != 13) co_return "write failed";
  }
  IoOp r(OpCode::Read);
  r->buf = FixedBuf::allocate(64);
  r->args.fd = rfd;
  r->args.addr = r->buf.data();
  r->args.len = 64;
  r->args.off = ~uint64_t{0};
  int32_t n = co_await r;
  if (n < 0) co_return "read failed";
  co_return std::string(reinterpret_cast<const char*>(r->buf.data()), size_t(n));
}

int worker_falls_back() {
  ::unsetenv("VELOQ_BACKEND");  // default options: prefer io_uring
  if (!block_io_uring_setup()) return kSeccomp;
  Worker w;  // WorkerOptions{}: DriverOptions::from_env(), allow_fallback
  if (w.backend() != Backend::Epoll) return kWrongBackend;
  int p[2];
  if (::pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return kUnexpected;
  std::string got = w.block_on(pipe_echo(p[0], p[1]));
  if (got != "through epoll") return kIoFailed;
  return kOk;
}

int no_fallback_reports_eperm() {
  if (!block_io_uring_setup()) return kSeccomp;
  DriverOptions o;
  o.backend = Backend::Uring;
  o.allow_fallback = false;
  int err = 0;
  auto d = make_driver(o, &err);
  if (d != nullptr) return kWrongBackend;
  return err == EPERM ? kOk : kUnexpected;
}

int env_forces_epoll() {
  ::setenv("VELOQ_BACKEND", "epoll", 1);
  DriverOptions o = DriverOptions::from_env();
  auto d = make_driver(o);
  if (d == nullptr) return kUnexpected;
  if (d->backend() != Backend::Epoll) return kWrongBackend;
  Worker w;  // also through the Worker's default options
  return w.backend() == Backend::Epoll ? kOk : kWrongBackend;
}

int uring_without_filter() {
  ::unsetenv("VELOQ_BACKEND");
  DriverOptions o;
  o.allow_fallback = false;
  int err = 0;
  auto d = make_driver(o, &err);
  if (d == nullptr) return err == 0 ? kUnexpected : 50;  // io_uring unavailable here
  return d->backend() == Backend::Uring ? kOk : kWrongBackend;
}

}  // namespace

Test(fallback, worker_falls_back_to_epoll_when_io_uring_setup_fails) {
  int code = in_child(worker_falls_back);
  cr_assert_eq(code, kOk, "child exit code %d", code);
}

Test(fallback, no_fallback_returns_null_with_eperm) {
  int code = in_child(no_fallback_reports_eperm);
  cr_assert_eq(code, kOk, "child exit code %d", code);
}

Test(fallback, veloq_backend_env_forces_epoll) {
  int code = in_child(env_forces_epoll);
  cr_assert_eq(code, kOk, "child exit code %d", code);
}

// Control: the seccomp filter is what made the difference above.
Test(fallback, uring_chosen_without_the_filter) {
  int code = in_child(uring_without_filter);
  if (code == 50) cr_skip_test("io_uring unavailable on this machine");
  cr_assert_eq(code, kOk, "child exit code %d", code);
}
