// Standalone multi-core runtime test: the same scenarios as the Criterion
// tests (test/core/runtime_*.cpp), in a plain program that ThreadSanitizer
// can run (it cannot run Criterion binaries, Criterion issue #274).
// Prints one line per case and `N passed, M failed`; exit status 1 on failure.
// ctest: runtime.tsan_program, label `runtime` (scripts/test --tsan).
#include <cstdio>
#include <cstring>
#include <string>

#include "runtime/scenarios.hpp"
#include "support/fd_helpers.hpp"

using namespace veloq;
namespace sc = veloq::scenario;

namespace {
int passed = 0;
int failed = 0;

void report(const char* name, const std::string& err) {
  if (err.empty()) {
    ++passed;
    std::printf("ok   %s\n", name);
  } else {
    ++failed;
    std::printf("FAIL %s: %s\n", name, err.c_str());
  }
  std::fflush(stdout);
}

template <class F>
void run(const char* name, F f) {
  try {
    report(name, f());
  } catch (const std::exception& e) {
    report(name, std::string("exception: ") + e.what());
  }
}
}  // namespace

int main(int argc, char** argv) {
  // Sizes are modest: under TSan everything runs ~10x slower.
  const char* only = argc > 1 ? argv[1] : nullptr;
  auto want = [&](const char* n) { return only == nullptr || std::strstr(n, only) != nullptr; };
  if (want("mesh_order")) run("mesh_order", [] { return sc::ordering(20'000, 64); });
  if (want("mesh_full_ring")) run("mesh_full_ring", [] { return sc::full_ring(3'000); });
  if (want("mesh_parked_wake")) {
    run("mesh_parked_wake", [] {
      sc::WakeResult r = sc::parked_wake(200);
      if (r.missed != 0) return sc::fmt("%d missed wakes: %s", r.missed, r.detail.c_str());
      if (r.never_parked != 0) return sc::fmt("worker never parked %d times", r.never_parked);
      if (r.msg_ring + r.eventfd == 0) return std::string("no wake sent");
      if (r.busy_wakes != 0) return sc::fmt("busy worker woken %llu times", (unsigned long long)r.busy_wakes);
      return std::string();
    });
  }
  if (want("spawn_on_join")) run("spawn_on_join", [] { return sc::spawn_and_join(3); });
  if (want("stealing")) run("stealing", [] { return sc::stealing(3, 100); });
  if (want("p2c")) run("p2c", [] { return sc::p2c_balance(4, 2'000, 16); });
  if (want("preemption")) run("preemption", [] { return sc::preemption_in_runtime(); });
  if (want("watchdog")) run("watchdog", [] { return sc::watchdog_reports(); });
  if (want("fixedbuf")) run("fixedbuf_goes_home", [] { return sc::fixedbuf_goes_home(); });
  if (want("dump")) run("debug_dump", [] { return sc::dump_lists_tasks(); });
  if (want("trace")) run("trace_json", [] { return sc::trace_export(3); });
  if (want("shutdown")) {
    run("shutdown", [] { return sc::shutdown_in_flight(&veloq::test::count_open_fds); });
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
