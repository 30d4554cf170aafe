// DumpOnSignal: Runtime::dump() reached from a signal (issue 7: the dump is
// "usable from a signal or a test").
#include <criterion/criterion.h>
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <string>

#include "core/runtime/dump_signal.hpp"
#include "runtime/scenarios.hpp"

using namespace veloq;
namespace sc = veloq::scenario;

namespace {

// Everything readable from fd within `ms`, until `want` shows up.
std::string read_until(int fd, const char* want, int ms) {
  std::string got;
  char buf[4096];
  for (int waited = 0; waited < ms && got.find(want) == std::string::npos; waited += 10) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10) <= 0) continue;
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) got.append(buf, size_t(n));
  }
  return got;
}

}  // namespace

Test(runtime_dump_signal, signal_writes_a_dump_of_every_worker, .timeout = 60) {
  Runtime rt(sc::opts(2));
  std::atomic<int> destroyed{0};
  std::atomic<bool> started{false};
  auto sleeper = rt.spawn_on(1, sc::sleeps_long(&destroyed, &started), "sleeper");
  cr_assert(sc::wait_thread([&] { return started.load(); }));
  int p[2];
  cr_assert_eq(::pipe(p), 0);
  {
    DumpOnSignal d(rt, SIGUSR2, p[1]);
    cr_assert_eq(::kill(::getpid(), SIGUSR2), 0);
    std::string text = read_until(p[0], "sleeper", 10000);
    cr_assert(text.find("worker 0") != std::string::npos, "%s", text.c_str());
    cr_assert(text.find("worker 1") != std::string::npos, "%s", text.c_str());
    cr_assert(text.find("sleeper") != std::string::npos, "%s", text.c_str());
    cr_assert(sc::wait_thread([&] { return d.dumps() == 1; }));
    // One instance per process.
    cr_assert_throw(DumpOnSignal(rt, SIGUSR1, p[1]), std::logic_error);
  }
  // The previous disposition is back.
  struct sigaction now {};
  cr_assert_eq(::sigaction(SIGUSR2, nullptr, &now), 0);
  cr_assert(now.sa_handler == SIG_DFL);
  ::close(p[0]);
  ::close(p[1]);
}

Test(runtime_dump_signal, uncatchable_signal_refused) {
  Runtime rt(sc::opts(1));
  cr_assert_throw(DumpOnSignal(rt, SIGKILL, 1), std::logic_error);
  cr_assert_throw(DumpOnSignal(rt, 0, 1), std::logic_error);
}
