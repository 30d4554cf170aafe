// Smoke test of the single-worker path: a task awaits a ring NOP, a nested
// Task, a spawned task's JoinHandle, and an exception crossing a join.
#include <criterion/criterion.h>

#include <stdexcept>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;

namespace {
Task<int> nop_result() {
  IoOp op(OpCode::Nop);
  co_return co_await op;
}
Task<int> add(int a, int b) { co_return a + b; }
Task<int> thrower() {
  co_await nop_result();
  throw std::runtime_error("boom");
}
Task<int> nested_then_spawned() {
  int x = co_await add(1, 2);
  auto h = spawn_local(add(x, 10));
  auto v = co_await h;
  co_return v.value();
}
Task<bool> join_catches() {
  auto h = spawn_local(thrower());
  try {
    (void)co_await h;
  } catch (const std::runtime_error& e) {
    co_return std::string_view(e.what()) == "boom";
  }
  co_return false;
}
}  // namespace

Test(task_smoke, nop_completes_with_zero) {
  Worker w;
  int r = w.block_on(nop_result());
  cr_assert_eq(r, 0);
  cr_assert_eq(w.ops().live(), 0u);
}

Test(task_smoke, nested_and_spawned_tasks) {
  Worker w;
  cr_assert_eq(w.block_on(nested_then_spawned()), 13);
}

Test(task_smoke, exception_rethrown_at_join) {
  Worker w;
  cr_assert(w.block_on(join_catches()));
}
