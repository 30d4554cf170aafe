// Placement: spawn_on runs on its worker, spawn() by power of two choices,
// stealing of unstarted tasks only, cross-core JoinHandle, block_on.
#include <criterion/criterion.h>
#include <sched.h>

#include "runtime/scenarios.hpp"

using namespace veloq;
namespace sc = veloq::scenario;

namespace {
Task<int> forty_two() { co_return 42; }
Task<int> throws_here() {
  co_await yield_now();
  throw std::runtime_error("root boom");
}
Task<int> where() { co_return Runtime::current_index(); }
Task<int> current_cpu() { co_return sched_getcpu(); }
Task<int> cpu_of(Runtime* rt, size_t i) {
  auto r = co_await rt->spawn_on(i, current_cpu());
  co_return r ? *r : -1;
}
}  // namespace

Test(runtime_spawn, default_size_is_available_cpus_pinned) {
  Runtime rt;
  cr_assert_eq(rt.size(), Runtime::available_cpus());
  size_t pinned = 0;
  for (size_t i = 0; i < rt.size(); ++i) {
    cr_assert_neq(rt.thread_id(i), std::this_thread::get_id());
    cr_assert_geq(rt.cpu(i), 0);
    // Pinning is best effort (a sandbox may refuse it); where it took, the
    // worker's tasks run on that CPU.
    if (!rt.pinned(i)) continue;
    ++pinned;
    auto cpu = rt.block_on(cpu_of(&rt, i));
    cr_assert_eq(cpu, rt.cpu(i), "worker %zu pinned to cpu %d runs on %d", i, rt.cpu(i), cpu);
  }
  if (pinned == 0) cr_log_warn("no worker could be pinned here");
}

Test(runtime_spawn, block_on_runs_on_worker_zero) {
  Runtime rt(sc::opts(2));
  cr_assert_eq(rt.block_on(forty_two()), 42);
  cr_assert_eq(rt.block_on(where()), 0);
  cr_assert_throw(rt.block_on(throws_here()), std::runtime_error);
  cr_assert_eq(Runtime::current(), nullptr);
}

Test(runtime_spawn, spawn_on_right_thread_and_cross_core_join, .timeout = 120) {
  std::string err = sc::spawn_and_join(3);
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_spawn, more_workers_than_cpus, .timeout = 120) {
  std::string err = sc::spawn_and_join(Runtime::available_cpus() + 2);
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_spawn, p2c_balance_10000, .timeout = 240) {
  sc::Balance b;
  // Power of two choices over 4 workers whose queues only grow: the gap
  // between the fullest and the emptiest stays tiny (random placement would
  // give a spread in the hundreds).
  std::string err = sc::p2c_balance(4, 10'000, 16, &b);
  cr_assert(err.empty(), "%s (placed %llu %llu %llu %llu)", err.c_str(),
            (unsigned long long)b.placed[0], (unsigned long long)b.placed[1],
            (unsigned long long)b.placed[2], (unsigned long long)b.placed[3]);
}

Test(runtime_spawn, steals_only_unstarted_tasks, .timeout = 240) {
  std::string err = sc::stealing(3, 200);
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_spawn, spawn_after_shutdown_is_cancelled) {
  Runtime rt(sc::opts(2));
  rt.shutdown();
  auto h1 = rt.spawn_on(1, forty_two());
  auto h2 = rt.spawn(forty_two());
  cr_assert(h1.finished());
  cr_assert(h2.finished());
  cr_assert(!rt.post(0, [] {}));
  cr_assert_throw(rt.block_on(forty_two()), std::system_error);
}
