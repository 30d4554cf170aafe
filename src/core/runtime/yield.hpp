// yield_now(): give other ready tasks a turn.
//
//   co_await veloq::yield_now();
//
// Re-queues the current task at the back of its executor's run queue, so
// every task that was ready before it runs first. A task that yields in a
// loop therefore cannot starve its peers, and since a turn runs at most
// `budget` tasks, it cannot starve the ring either.
#pragma once

#include <cassert>
#include <coroutine>

#include "core/runtime/task.hpp"

namespace veloq {

struct YieldAwaiter {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept {
    TaskHeader* me = current_task();
    assert(me != nullptr && "co_await yield_now() outside a task");
    me->leaf = h;
    me->wake();  // not `scheduled` while running: goes to the back
  }
  void await_resume() const noexcept {}
};

inline YieldAwaiter yield_now() noexcept { return {}; }

}  // namespace veloq
