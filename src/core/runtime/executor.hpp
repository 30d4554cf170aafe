// Executor: a Worker's run queue of ready tasks.
//
// Single-threaded. Each turn resumes at most `budget` ready tasks in FIFO
// order; the Worker then reaps the ring. A task is queued at most once
// (TaskHeader::scheduled), and holds a reference while queued.
#pragma once

#include <cstddef>
#include <cstdint>
#include <atomic>
#include <coroutine>
#include <functional>
#include <source_location>
#include <unordered_set>

#include "core/runtime/task.hpp"

namespace veloq {

class Executor {
 public:
  Executor() = default;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;
  ~Executor();

  template <class T>
  JoinHandle<T> spawn(Task<T> body, const char* name = "",
                      std::source_location loc = std::source_location::current()) {
    auto* st = detail::make_task(std::move(body), name, loc);
    adopt(st);
    return JoinHandle<T>(st);
  }

  // Make `t` (a new task from detail::make_task, or one handed over by the
  // Runtime: spawned on another thread, or stolen while unstarted) one of
  // ours and queue it. Its home is this executor from now on, for good.
  void adopt(TaskHeader* t);
  // A wake-up of `t` posted from another thread (carries one ref on t).
  void receive_wake(TaskHeader* t);

  void schedule(TaskHeader* t);
  // Resume up to `budget` ready tasks. Returns how many ran.
  size_t run(size_t budget);
  bool has_ready() const { return head_ != nullptr; }
  size_t live_tasks() const { return live_.size(); }
  size_t ready_count() const { return ready_count_; }
  // Visit every live task (home thread only; for debug dumps).
  template <class F>
  void for_each_live(F&& f) const {
    for (TaskHeader* t : live_) f(*t);
  }
  // Abort every live task (worker shutdown) and run the destructions.
  void abort_all();

  // Runtime hook: how a wake-up of one of our tasks travels from another
  // thread (the Mesh). Called with one extra ref on `t` that the receiver
  // (receive_wake) drops. Without it, wakes are always local.
  using RemoteWakeFn = void (*)(void* ctx, Executor* target, TaskHeader* t);
  void set_remote_wake(RemoteWakeFn fn, void* ctx) {
    remote_wake_ = fn;
    remote_ctx_ = ctx;
  }

  // Cooperative preemption: a task running longer than `ns` without
  // suspending yields at its next await of a Task (0: off).
  void set_time_slice(uint64_t ns) { slice_ns_ = ns; }
  uint64_t time_slice() const { return slice_ns_; }
  uint64_t preemptions() const { return preemptions_.load(std::memory_order_relaxed); }
  // Publish which task is running and since when (for a watchdog on another
  // thread). Costs a clock read per task poll; on when slicing is on too.
  void set_track_polls(bool on) { track_ = on; }
  struct Running {
    uint64_t since_ns;  // 0: no task running
    uint64_t id;
    const char* name;
    const char* file;
    uint32_t line;
  };
  // Any thread: a snapshot (fields may mix two consecutive polls; id and
  // since are re-checked by the caller).
  Running running() const;

  // Record every task poll (and adoption) in `ring` (owner thread only;
  // null: off). Runtime tracing.
  void set_trace(class TraceRing* ring) { trace_ = ring; }

  // The executor of the worker running on this thread (set by Worker).
  static Executor* thread_current();
  static void set_thread_current(Executor* e);

  // Called with the exception of a detached task that threw.
  std::function<void(const TaskHeader&, std::exception_ptr)> on_unhandled_exception;

  static Executor* current();

 private:
  friend void detail::finish_task(TaskHeader* t);
  void retire(TaskHeader* t);  // task frame gone: drop the live ref

  friend struct TaskHeader;
  friend std::coroutine_handle<> detail::preempt(std::coroutine_handle<>) noexcept;
  uint64_t slice_ns_ = 0;
  bool track_ = false;
  class TraceRing* trace_ = nullptr;
  std::atomic<uint64_t> preemptions_{0};
  std::atomic<uint64_t> run_since_{0};
  std::atomic<uint64_t> run_id_{0};
  std::atomic<const char*> run_name_{""};
  std::atomic<const char*> run_file_{""};
  std::atomic<uint32_t> run_line_{0};
  RemoteWakeFn remote_wake_ = nullptr;
  void* remote_ctx_ = nullptr;
  TaskHeader* head_ = nullptr;
  TaskHeader* tail_ = nullptr;
  size_t ready_count_ = 0;
  std::unordered_set<TaskHeader*> live_;
};

}  // namespace veloq
