#include "core/time/sleep.hpp"

#include <cassert>

namespace veloq {

namespace detail {

Worker& current_worker_for_time() {
  Worker* w = Worker::current();
  if (w == nullptr) throw std::logic_error("veloq time API used outside a worker");
  return *w;
}

void TaskTimer::arm(uint64_t deadline_ns, TaskHeader* task) {
  assert(task != nullptr && "timer awaited outside a task");
  disarm();
  entry_.deadline_ns = deadline_ns;
  entry_.fire = &TaskTimer::on_fire;
  entry_.ctx = this;
  task_ = task;
  fired_ = false;
  worker_->timers().add(&entry_);
}

void TaskTimer::on_fire(TimerEntry* e) {
  auto* self = static_cast<TaskTimer*>(e->ctx);
  self->fired_ = true;
  self->task_->wake();
}

void SleepAwaiter::await_suspend(std::coroutine_handle<> h) {
  TaskHeader* me = current_task();
  assert(me != nullptr && "co_await sleep outside a task");
  me->leaf = h;
  timer_.arm(deadline_ns_, me);
}

}  // namespace detail

Task<void> sleep_until(uint64_t deadline_ns) {
  co_await detail::SleepAwaiter(detail::current_worker_for_time(), deadline_ns);
}

Task<void> sleep(std::chrono::nanoseconds d) {
  // The deadline is taken when the sleep starts running (Task is lazy).
  const int64_t ns = d.count() < 0 ? 0 : int64_t(d.count());
  co_await detail::SleepAwaiter(detail::current_worker_for_time(), monotonic_ns() + uint64_t(ns));
}

}  // namespace veloq
