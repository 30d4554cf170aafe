// Coroutine time API on a real Worker: sleep/sleep_until never wake early
// and wake in deadline order; timeout()/deadline() return the value of a
// fast task and ETIMEDOUT for a slow one, whose in-flight op is cancelled.
// No assertion bounds lateness (the machine is shared): only "not early".
#include <criterion/criterion.h>

#include <fcntl.h>
#include <linux/time_types.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <stdexcept>
#include <vector>

#include "support/io_helpers.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "core/time/sleep.hpp"

using namespace veloq;
using namespace std::chrono_literals;

namespace {

struct Wake {
  int id;
  uint64_t deadline;
  uint64_t at;
  bool armed;  // started before its deadline, so it really waited on a timer
};
std::vector<Wake>* g_wakes = nullptr;

Task<void> sleeper(int id, uint64_t deadline) {
  // A deadline already past when the sleeper starts completes at once (no
  // timer): such a sleeper is exempt from the ordering check.
  const bool armed = monotonic_ns() + 1'000'000 < deadline;
  co_await sleep_until(deadline);
  g_wakes->push_back({id, deadline, monotonic_ns(), armed});
}

Task<int> spawn_sleepers(int n) {
  std::mt19937 rng(99);
  const uint64_t base = monotonic_ns();
  std::vector<JoinHandle<void>> hs;
  for (int i = 0; i < n; ++i) {
    // 20..50 ms ahead (margin for spawning under sanitizers), ns precision.
    uint64_t d = base + 20'000'000 + (rng() % 30'000'000);
    hs.push_back(spawn_local(sleeper(i, d)));
  }
  int joined = 0;
  for (auto& h : hs)
    if (co_await h) ++joined;
  co_return joined;
}

Task<uint64_t> sleep_for(std::chrono::nanoseconds d) {
  const uint64_t start = monotonic_ns();
  co_await sleep(d);
  co_return monotonic_ns() - start;
}

// Drive the worker until the registry is empty (cancelled ops' last CQEs).
void drain(Worker& w) {
  for (int i = 0; i < 1000 && w.ops().live() > 0; ++i) w.run_turn(false);
}

Task<int> fast_value() {
  IoOp op(OpCode::Nop);
  int r = co_await op;
  co_return 42 + r;
}

Task<Result<int>> result_fast() { co_return 7; }
Task<Result<int>> result_err() { co_return err<int>(ENOENT); }
Task<Result<int>> result_slow() {
  co_await sleep(10s);
  co_return 1;
}

Task<int> thrower() {
  co_await sleep(1ms);
  throw std::runtime_error("inner boom");
}

Task<Result<int>> timeout_fast() { co_return co_await timeout(fast_value(), 5s); }
Task<Result<int>> timeout_slow_op() { co_return co_await timeout(test::kernel_timeout(10'000'000'000), 20ms); }
Task<Result<int>> timeout_pipe(int fd) { co_return co_await timeout(test::read_pipe(fd), 20ms); }
Task<bool> flattened() {
  Result<int> a = co_await timeout(result_fast(), 5s);
  Result<int> b = co_await timeout(result_err(), 5s);
  Result<int> c = co_await timeout(result_slow(), 10ms);
  co_return a && *a == 7 && !b && b.error().value() == ENOENT && !c &&
      c.error().value() == ETIMEDOUT;
}
Task<bool> deadline_past() {
  // Already expired: the inner task is aborted before it ran.
  Result<int> r = co_await deadline(fast_value(), monotonic_ns() - 1);
  co_return !r && r.error().value() == ETIMEDOUT;
}
Task<bool> timeout_rethrows() {
  bool caught = false;
  try {
    (void)co_await timeout(thrower(), 5s);
  } catch (const std::runtime_error&) {
    caught = true;
  }
  co_return caught;
}

}  // namespace

Test(timer_sleep, sleepers_wake_in_deadline_order_never_early) {
  Worker w;
  std::vector<Wake> wakes;
  g_wakes = &wakes;
  cr_assert_eq(w.block_on(spawn_sleepers(200)), 200);
  cr_assert_eq(wakes.size(), 200u);
  const Wake* prev = nullptr;
  size_t armed = 0;
  for (const Wake& wk : wakes) {
    cr_assert(wk.at >= wk.deadline, "sleeper %d woke early", wk.id);
    if (!wk.armed) continue;
    ++armed;
    if (prev) cr_assert(prev->deadline <= wk.deadline, "%d and %d out of order", prev->id, wk.id);
    prev = &wk;
  }
  cr_assert(armed >= 100u, "too few sleepers armed a timer (%zu)", armed);
  cr_assert_eq(w.timers().size(), 0u);
}

Test(timer_sleep, sleep_is_not_early) {
  Worker w;
  cr_assert(w.block_on(sleep_for(3ms)) >= 3'000'000u);
  cr_assert(w.block_on(sleep_for(250us)) >= 250'000u);
  cr_assert(w.block_on(sleep_for(300ms)) >= 300'000'000u);  // level 1: cascades
  (void)w.block_on(sleep_for(0ns));
  (void)w.block_on(sleep_for(-5ms));
}

Test(timer_sleep, timeout_of_fast_task_returns_value) {
  Worker w;
  Result<int> r = w.block_on(timeout_fast());
  cr_assert(r.has_value());
  cr_assert_eq(*r, 42);
  cr_assert_eq(w.timers().size(), 0u);
  drain(w);
  cr_assert_eq(w.ops().live(), 0u);
}

Test(timer_sleep, timeout_of_slow_op_is_etimedout_and_op_cancelled) {
  Worker w;
  const uint64_t start = monotonic_ns();
  Result<int> r = w.block_on(timeout_slow_op());
  const uint64_t took = monotonic_ns() - start;
  cr_assert(!r.has_value());
  cr_assert_eq(r.error().value(), ETIMEDOUT);
  cr_assert(took >= 20'000'000u, "timed out early");
  cr_assert(took < 5'000'000'000u, "waited for the 10 s op");
  cr_assert_eq(w.timers().size(), 0u);
  cr_assert_eq(w.executor().live_tasks(), 0u);
  drain(w);
  cr_assert_eq(w.ops().live(), 0u);
}

Test(timer_sleep, timeout_of_pipe_read_is_etimedout) {
  int p[2];
  cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
  {
    Worker w;
    Result<int> r = w.block_on(timeout_pipe(p[0]));
    cr_assert(!r.has_value());
    cr_assert_eq(r.error().value(), ETIMEDOUT);
    drain(w);
    cr_assert_eq(w.ops().live(), 0u);
  }
  close(p[0]);
  close(p[1]);
}

Test(timer_sleep, timeout_flattens_result) {
  Worker w;
  cr_assert(w.block_on(flattened()));
  cr_assert(w.block_on(deadline_past()));
  cr_assert_eq(w.executor().live_tasks(), 0u);
}

Test(timer_sleep, timeout_rethrows_inner_exception) {
  Worker w;
  cr_assert(w.block_on(timeout_rethrows()));
  cr_assert_eq(w.timers().size(), 0u);
}

namespace {
uint64_t cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}
Task<void> sleep_chain() {
  // Mid-tick deadlines (level 0) and one that cascades from level 1.
  for (int i = 0; i < 20; ++i) co_await sleep(std::chrono::nanoseconds(2'500'000 + i * 77'777));
  co_await sleep(280ms);
}
}  // namespace

// The worker's single ring wait must end at the nearest deadline and not
// spin until it: a sleeping worker uses little CPU. (Bound is generous: a
// spinning worker would burn ~all of the ~340 ms.)
Test(timer_sleep, sleeping_worker_does_not_spin) {
  Worker w;
  const uint64_t wall0 = monotonic_ns();
  const uint64_t cpu0 = cpu_ns();
  w.block_on(sleep_chain());
  const uint64_t cpu = cpu_ns() - cpu0;
  const uint64_t wall = monotonic_ns() - wall0;
  cr_assert(wall >= 330'000'000u);
  cr_assert(cpu < wall / 4, "worker spun: cpu %llu ns over wall %llu ns",
            (unsigned long long)cpu, (unsigned long long)wall);
}
