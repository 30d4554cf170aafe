// Task semantics on one Worker: FIFO spawn order, yield_now() fairness (also
// towards the ring), JoinHandle::abort() of tasks waiting on a timer or an
// IoOp (joiner sees ECANCELED, the op's last CQE still arrives, the registry
// empties), abort after finish, exceptions (joined and detached), and a
// Worker destroyed with live tasks and in-flight ops.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <linux/time_types.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/io_helpers.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "core/runtime/yield.hpp"
#include "core/time/sleep.hpp"

using namespace veloq;
using namespace std::chrono_literals;

namespace {

std::vector<int>* g_seq = nullptr;

Task<void> push_id(int id) {
  g_seq->push_back(id);
  co_return;
}

Task<void> spawn_in_order(int n) {
  std::vector<JoinHandle<void>> hs;
  for (int i = 0; i < n; ++i) hs.push_back(spawn_local(push_id(i)));
  for (auto& h : hs) (void)co_await h;
}

Task<void> yielder(int id, int rounds) {
  for (int i = 0; i < rounds; ++i) {
    g_seq->push_back(id);
    co_await yield_now();
  }
}

Task<void> interleave() {
  auto a = spawn_local(yielder(1, 5));
  auto b = spawn_local(yielder(2, 5));
  (void)co_await a;
  (void)co_await b;
}

bool g_io_done = false;
Task<void> nop_then_flag() {
  IoOp op(OpCode::Nop);
  (void)co_await op;
  g_io_done = true;
}
Task<long> spin_until_io() {
  auto h = spawn_local(nop_then_flag());
  long spins = 0;
  while (!g_io_done && spins < 10'000'000) {
    co_await yield_now();
    ++spins;
  }
  (void)co_await h;
  co_return spins;
}

Task<int> sleep_long() {
  co_await sleep(10s);
  co_return 1;
}

// Let `h` reach its suspension point, abort it, join it: the error code.
Task<int> abort_after_start(JoinHandle<int> h) {
  co_await sleep(2ms);
  cr_assert(!h.finished());
  h.abort();
  h.abort();  // twice is harmless
  Result<int> r = co_await h;
  co_return r ? 0 : r.error().value();
}
Task<int> abort_sleeper() { co_return co_await abort_after_start(spawn_local(sleep_long())); }
Task<int> abort_timeout_op() { co_return co_await abort_after_start(spawn_local(test::kernel_timeout(10'000'000'000))); }
Task<int> abort_pipe_reader(int fd) { co_return co_await abort_after_start(spawn_local(test::read_pipe(fd))); }

Task<int> abort_before_run() {
  auto h = spawn_local(sleep_long());
  h.abort();  // never ran
  Result<int> r = co_await h;
  co_return r ? 0 : r.error().value();
}

Task<int> value(int v) { co_return v; }
Task<int> abort_after_finish() {
  auto h = spawn_local(value(5));
  co_await sleep(1ms);
  cr_assert(h.finished());
  h.abort();  // no-op: the value is kept
  Result<int> r = co_await h;
  co_return r ? *r : -r.error().value();
}

Task<int> throws_after_sleep() {
  co_await sleep(1ms);
  throw std::runtime_error("joined boom");
}
Task<std::string> join_rethrows() {
  auto h = spawn_local(throws_after_sleep());
  std::string what;
  try {
    (void)co_await h;
  } catch (const std::runtime_error& e) {
    what = e.what();
  }
  co_return what;
}

Task<void> detached_thrower() {
  co_await yield_now();
  throw std::logic_error("detached boom");
}
int g_unhandled = 0;
std::string g_unhandled_what;
void on_unhandled(const TaskHeader&, std::exception_ptr e) {
  ++g_unhandled;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    g_unhandled_what = ex.what();
  }
}
Task<int> detach_and_keep_running() {
  { auto h = spawn_local(detached_thrower()); }  // dropped: detached
  co_await sleep(2ms);
  co_return co_await value(9);  // the worker still runs tasks
}

}  // namespace

Test(task_semantics, spawn_local_runs_fifo) {
  Worker w;
  std::vector<int> seq;
  g_seq = &seq;
  w.block_on(spawn_in_order(50));
  cr_assert_eq(seq.size(), 50u);
  for (int i = 0; i < 50; ++i) cr_assert_eq(seq[i], i);
}

Test(task_semantics, yield_now_interleaves) {
  Worker w;
  std::vector<int> seq;
  g_seq = &seq;
  w.block_on(interleave());
  cr_assert_eq(seq.size(), 10u);
  for (size_t i = 0; i < seq.size(); ++i) cr_assert_eq(seq[i], i % 2 == 0 ? 1 : 2);
}

Test(task_semantics, yielding_task_does_not_starve_the_ring) {
  WorkerOptions o;
  o.budget = 16;
  Worker w(o);
  g_io_done = false;
  long spins = w.block_on(spin_until_io());
  cr_assert(g_io_done);
  cr_assert(spins < 10'000'000, "I/O never reaped while a task yielded");
}

Test(task_semantics, abort_sleeping_task) {
  Worker w;
  cr_assert_eq(w.block_on(abort_sleeper()), ECANCELED);
  cr_assert_eq(w.timers().size(), 0u, "aborted sleep left its timer armed");
  cr_assert_eq(w.executor().live_tasks(), 0u);
}

static void drain(Worker& w) {
  for (int i = 0; i < 1000 && w.driver().in_flight() > 0; ++i) w.run_turn(false);
}

Test(task_semantics, abort_task_waiting_on_timeout_op) {
  Worker w;
  const uint64_t start = monotonic_ns();
  cr_assert_eq(w.block_on(abort_timeout_op()), ECANCELED);
  drain(w);
  cr_assert_eq(w.driver().in_flight(), 0u, "cancelled op's last CQE never came");
  cr_assert_eq(w.ops().live(), 0u);
  cr_assert(monotonic_ns() - start < 5'000'000'000u, "waited for the 10 s op");
}

Test(task_semantics, abort_task_reading_a_pipe) {
  int p[2];
  cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
  {
    Worker w;
    cr_assert_eq(w.block_on(abort_pipe_reader(p[0])), ECANCELED);
    drain(w);
    cr_assert_eq(w.driver().in_flight(), 0u);
    cr_assert_eq(w.ops().live(), 0u);
  }
  // The pipe is still usable: the cancelled read consumed nothing.
  cr_assert_eq(write(p[1], "x", 1), 1);
  char c = 0;
  cr_assert_eq(read(p[0], &c, 1), 1);
  cr_assert_eq(c, 'x');
  close(p[0]);
  close(p[1]);
}

Test(task_semantics, abort_before_first_run) {
  Worker w;
  cr_assert_eq(w.block_on(abort_before_run()), ECANCELED);
  cr_assert_eq(w.timers().size(), 0u);
}

Test(task_semantics, abort_after_finish_is_noop) {
  Worker w;
  cr_assert_eq(w.block_on(abort_after_finish()), 5);
}

Test(task_semantics, exception_rethrown_at_join) {
  Worker w;
  cr_assert_eq(w.block_on(join_rethrows()), std::string("joined boom"));
}

Test(task_semantics, detached_exception_goes_to_hook) {
  Worker w;
  g_unhandled = 0;
  g_unhandled_what.clear();
  w.executor().on_unhandled_exception = &on_unhandled;
  cr_assert_eq(w.block_on(detach_and_keep_running()), 9);
  cr_assert_eq(g_unhandled, 1);
  cr_assert_eq(g_unhandled_what, std::string("detached boom"));
}

namespace {
Task<void> spawn_busy_and_return(int fd) {
  (void)spawn_local(sleep_long());
  (void)spawn_local(test::kernel_timeout(10'000'000'000));
  (void)spawn_local(test::read_pipe(fd));
  (void)spawn_local(yielder(3, 1'000'000));
  co_await sleep(2ms);  // everyone reached its suspension point
}
}  // namespace

Test(task_semantics, worker_destructor_drains_live_tasks_and_ops) {
  int p[2];
  cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
  std::vector<int> seq;
  g_seq = &seq;
  const uint64_t start = monotonic_ns();
  {
    Worker w;
    w.block_on(spawn_busy_and_return(p[0]));
    cr_assert(w.executor().live_tasks() >= 3u);
    cr_assert(w.ops().live() >= 2u);
  }  // ~Worker: abort all, wait for every op's last CQE (ASan: no leak)
  cr_assert(monotonic_ns() - start < 5'000'000'000u);
  close(p[0]);
  close(p[1]);
}

namespace {
Task<int> join_other(JoinHandle<int>* other) {
  Result<int> r = co_await *other;
  co_return r ? *r : -1;
}
Task<int> sleep_then(int v) {
  co_await sleep(5ms);
  co_return v;
}
// A task waiting in co_await JoinHandle is aborted and freed; the joined task
// then finishes and must not wake the freed joiner (ASan checks).
Task<int> abort_a_joiner() {
  auto target = spawn_local(sleep_then(3));
  {
    auto joiner = spawn_local(join_other(&target));
    co_await sleep(1ms);  // joiner is suspended on target
    joiner.abort();
    Result<int> r = co_await joiner;
    if (r || r.error().value() != ECANCELED) co_return -2;
  }
  co_await sleep(10ms);  // target finishes now
  cr_assert(target.finished());
  Result<int> r = co_await target;
  co_return r ? *r : -3;
}

Task<Result<int>> timeout_of_sleeper() { co_return co_await timeout(sleep_long(), 10s); }
// Aborting the task that awaits timeout() aborts the raced inner task too.
Task<size_t> abort_timeout_caller() {
  auto h = spawn_local(timeout_of_sleeper());
  co_await sleep(2ms);
  cr_assert_eq(Worker::current()->executor().live_tasks(), 3u);  // me, caller, inner
  h.abort();
  (void)co_await h;
  for (int i = 0; i < 3; ++i) co_await yield_now();  // the inner's abort turn
  co_return Worker::current()->executor().live_tasks();
}
}  // namespace

Test(task_semantics, aborted_joiner_is_not_woken) {
  Worker w;
  cr_assert_eq(w.block_on(abort_a_joiner()), 3);
}

Test(task_semantics, aborting_timeout_caller_aborts_inner) {
  Worker w;
  cr_assert_eq(w.block_on(abort_timeout_caller()), 1u);  // only block_on's task
  cr_assert_eq(w.timers().size(), 0u);
}
