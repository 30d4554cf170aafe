// Worker: one core's runtime — driver (ring), op registry, executor, timers.
//
// A Worker is driven by one thread at a time: the thread inside block_on() /
// run_turn(). It may be constructed on another thread (the ring is created
// so that its single issuer is the thread that first runs it). N Workers, one
// per core, is what Runtime (multi-core issue) builds on this.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <source_location>
#include <stdexcept>
#include <utility>

#include "core/driver/driver.hpp"
#include "core/op/registry.hpp"
#include "core/runtime/blocking_pool.hpp"
#include "core/runtime/executor.hpp"
#include "core/runtime/task.hpp"
#include "core/time/timer_wheel.hpp"

namespace veloq {

struct WorkerOptions {
  DriverOptions driver = DriverOptions::from_env();
  size_t budget = 64;                     // task polls per turn before reaping
  BlockingPool* blocking = nullptr;       // null: BlockingPool::shared()
  // Cooperative preemption: a task running longer than this without
  // suspending yields at its next await of a Task. 0: off (a Runtime turns
  // it on, RuntimeOptions::time_slice_ns).
  uint64_t time_slice_ns = 0;
};

class Worker {
 public:
  explicit Worker(WorkerOptions opts = {});
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  // Aborts the remaining tasks, then drains the driver until every op's last
  // completion arrived (the cancel invariant holds at shutdown too).
  ~Worker();

  // The worker running on this thread; null outside block_on/run_turn.
  static Worker* current();

  Driver& driver() { return *driver_; }
  OpRegistry& ops() { return ops_; }
  Executor& executor() { return exec_; }
  TimerWheel& timers() { return timers_; }
  BlockingPool& blocking() { return *blocking_; }
  Backend backend() const { return driver_->backend(); }

  template <class T>
  JoinHandle<T> spawn_local(Task<T> t, const char* name = "",
                            std::source_location loc = std::source_location::current()) {
    return exec_.spawn(std::move(t), name, loc);
  }

  // Run `t` to completion on this thread, driving everything else meanwhile.
  // Rethrows the task's exception.
  template <class T>
  T block_on(Task<T> t) {
    Scope scope(this);
    auto h = exec_.spawn(std::move(t), "block_on");
    for (;;) {
      run_ready();
      if (h.finished()) break;
      poll_io(true);
    }
    return take(std::move(h));
  }

  // One turn: run up to `budget` ready tasks, fire due timers, poll the ring
  // (blocking until the next deadline if `may_block` and nothing is ready).
  void run_turn(bool may_block) {
    run_ready();
    poll_io(may_block);
  }
  // The two halves of a turn. run_ready: up to `budget` ready tasks, then
  // due timers. poll_io: submit and reap the ring, blocking until the next
  // timer deadline if `may_block` and no task is ready; then due timers.
  void run_ready();
  // `max_block_ns` >= 0 caps the wait (the Runtime uses it while its mesh
  // overflow holds messages to retry).
  void poll_io(bool may_block, int64_t max_block_ns = -1);

  // Abort every task and drain the driver until every op's last completion
  // arrived (what ~Worker does first). True if it had to stop because this
  // thread is not the ring's issuer (-EEXIST): ops are still in the kernel.
  bool drain();

  // Position in its Runtime (-1 / null for a standalone Worker).
  int index() const { return index_; }
  class Runtime* runtime() const { return runtime_; }

  // Cached monotonic time, updated each turn (and by update_time()).
  uint64_t now_ns() const { return now_ns_; }
  void update_time() { now_ns_ = monotonic_ns(); }

 private:
  friend class Runtime;
  struct Scope {
    Worker* prev;
    Executor* prev_exec;
    explicit Scope(Worker* w);
    ~Scope();
  };
  template <class T>
  static T take(JoinHandle<T> h) {
    // The task is finished: the awaiter is ready and never suspends.
    auto aw = h.operator co_await();
    Result<T> r = aw.await_resume();
    if (!r) throw std::system_error(r.error(), "block_on: task aborted");
    if constexpr (!std::is_void_v<T>) return std::move(*r);
  }

  // Offloaded jobs not yet returned from post_completion(): ~Worker waits
  // for 0 so a pool thread never touches a destroyed driver.
  std::atomic<size_t> offload_pending_{0};
  // Declaration order is teardown order reversed: tasks (exec_) go first,
  // while the timers they disarm, the op slots and the ring still exist.
  std::unique_ptr<Driver> driver_;
  OpRegistry ops_;
  TimerWheel timers_;
  Executor exec_;
  BlockingPool* blocking_;
  size_t budget_;
  uint64_t now_ns_;
  int index_ = -1;
  class Runtime* runtime_ = nullptr;
  bool stuck_ = false;  // drain() stopped on -EEXIST
};

// Spawn on the current thread's worker.
template <class T>
JoinHandle<T> spawn_local(Task<T> t, const char* name = "",
                          std::source_location loc = std::source_location::current()) {
  Worker* w = Worker::current();
  if (w == nullptr) throw std::logic_error("veloq::spawn_local outside a worker");
  return w->spawn_local(std::move(t), name, loc);
}

}  // namespace veloq
