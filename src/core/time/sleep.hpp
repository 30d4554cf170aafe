// Coroutine time API on the current Worker's TimerWheel.
//
//   co_await veloq::sleep(10ms);
//   co_await veloq::sleep_until(monotonic_ns() + 5'000'000);
//   Result<int> r = co_await veloq::timeout(read_something(), 100ms);
//   Result<int> r = co_await veloq::deadline(read_something(), dl_ns);
//
// Time is CLOCK_MONOTONIC nanoseconds (monotonic_ns()). A timer never fires
// before its deadline; the worker wakes at most ~1 ms late (wheel tick).
//
// Abort safety: the awaiters own their TimerEntry and remove it from the
// wheel when destroyed, so aborting a sleeping task leaves no timer behind.
//
// timeout()/deadline() spawn the inner task on the current worker and race it
// against a timer. If the timer wins, the inner task is aborted (its frames
// are destroyed; in-flight ops are cancelled per the cancel invariant) and
// the result is ETIMEDOUT; the call returns once the inner frames are gone.
// An exception thrown by the inner task is rethrown at the co_await. If the
// task awaiting timeout() is aborted, the inner task is aborted with it.
//
// Result shape (choice): timeout(Task<T>) gives Result<T>, but
// timeout(Task<Result<U>>) is flattened to Result<U> (not Result<Result<U>>):
// core I/O already returns Result, and callers want one error path. The cost
// is that an inner ETIMEDOUT cannot be told apart from the deadline's.
#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "core/runtime/result.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/worker.hpp"
#include "core/time/timer_wheel.hpp"

namespace veloq {

namespace detail {

// Worker running this thread's tasks; throws outside one (programming error).
Worker& current_worker_for_time();

// A timer that wakes a task. Disarms itself when destroyed.
class TaskTimer {
 public:
  explicit TaskTimer(Worker& w) : worker_(&w) {}
  TaskTimer(const TaskTimer&) = delete;
  TaskTimer& operator=(const TaskTimer&) = delete;
  ~TaskTimer() { disarm(); }

  void arm(uint64_t deadline_ns, TaskHeader* task);
  void disarm() { worker_->timers().remove(&entry_); }
  bool armed() const { return entry_.armed; }
  bool fired() const { return fired_; }

 private:
  static void on_fire(TimerEntry* e);
  Worker* worker_;
  TimerEntry entry_;
  TaskHeader* task_ = nullptr;
  bool fired_ = false;
};

// co_await: suspend the current task until `deadline_ns`.
class SleepAwaiter {
 public:
  SleepAwaiter(Worker& w, uint64_t deadline_ns) : timer_(w), deadline_ns_(deadline_ns) {}
  // Already past (by the real clock): no suspension.
  bool await_ready() const noexcept { return deadline_ns_ <= monotonic_ns(); }
  void await_suspend(std::coroutine_handle<> h);
  void await_resume() const noexcept {}

 private:
  TaskTimer timer_;
  uint64_t deadline_ns_;
};

// co_await: suspend until the joined task finished or the timer fired.
// Returns true if the task is over (JoinHandle::finished()).
template <class T>
class RaceAwaiter {
 public:
  RaceAwaiter(JoinHandle<T>& h, TaskTimer& timer, uint64_t deadline_ns)
      : handle_(h), join_(h.operator co_await()), timer_(timer), deadline_ns_(deadline_ns) {}
  bool await_ready() const noexcept {
    return handle_.finished() || deadline_ns_ <= monotonic_ns();
  }
  bool await_suspend(std::coroutine_handle<> h) {
    // Records h as our leaf, us as the joiner; false: finished meanwhile.
    if (!join_.await_suspend(h)) return false;
    timer_.arm(deadline_ns_, current_task());
    return true;
  }
  bool await_resume() {
    timer_.disarm();
    join_.forget();  // woken by the timer: the task must not wake us
    return handle_.finished();
  }

 private:
  using JoinAwaiter = decltype(std::declval<JoinHandle<T>&>().operator co_await());
  JoinHandle<T>& handle_;
  JoinAwaiter join_;
  TaskTimer& timer_;
  uint64_t deadline_ns_;
};

// Aborts the raced task if the racing frame is destroyed first (the task
// calling timeout() was itself aborted): the inner task is part of it.
template <class T>
struct AbortUnlessDone {
  JoinHandle<T>& handle;
  ~AbortUnlessDone() { handle.abort(); }  // no-op once finished or destroyed
};

template <class T>
struct TimeoutResult {
  using type = Result<T>;
  static type from_join(Result<T> r) { return r; }
};
template <class U>
struct TimeoutResult<Result<U>> {
  using type = Result<U>;
  static type from_join(Result<Result<U>> r) {
    if (!r) return std::unexpected(r.error());
    return std::move(*r);
  }
};

}  // namespace detail

// Suspend the current task until monotonic_ns() >= deadline_ns.
Task<void> sleep_until(uint64_t deadline_ns);
// Suspend the current task for at least `d`.
Task<void> sleep(std::chrono::nanoseconds d);

template <class T>
using TimeoutResultT = typename detail::TimeoutResult<T>::type;

// Run `t` (spawned on the current worker, at the call) until it finishes or monotonic
// time reaches `deadline_ns`; then abort it and return ETIMEDOUT.
template <class T>
Task<TimeoutResultT<T>> deadline(Task<T> t, uint64_t deadline_ns) {
  Worker& w = detail::current_worker_for_time();
  JoinHandle<T> h = w.spawn_local(std::move(t), "deadline");
  detail::AbortUnlessDone<T> abort_guard{h};
  detail::TaskTimer timer(w);
  const bool finished = co_await detail::RaceAwaiter<T>(h, timer, deadline_ns);
  if (!finished) {
    h.abort();
    // Wait until the aborted frames are destroyed (their ops cancelled).
    // If the task finished in this very turn, abort() was a no-op and its
    // real outcome is used.
    // (A join error means exactly that: aborted before finishing.)
    Result<T> r = co_await h;
    if (!r) co_return err<typename TimeoutResultT<T>::value_type>(ETIMEDOUT);
    co_return detail::TimeoutResult<T>::from_join(std::move(r));
  }
  co_return detail::TimeoutResult<T>::from_join(co_await h);
}

// deadline(t, now + d), with `now` taken at the call (not at co_await).
template <class T>
Task<TimeoutResultT<T>> timeout(Task<T> t, std::chrono::nanoseconds d) {
  const int64_t ns = d.count() < 0 ? 0 : int64_t(d.count());
  return deadline(std::move(t), monotonic_ns() + uint64_t(ns));
}

}  // namespace veloq
