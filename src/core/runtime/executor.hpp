// Executor: a Worker's run queue of ready tasks.
//
// Single-threaded. Each turn resumes at most `budget` ready tasks in FIFO
// order; the Worker then reaps the ring. A task is queued at most once
// (TaskHeader::scheduled), and holds a reference while queued.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
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
  JoinHandle<T> spawn(Task<T> body, const char* name = "") {
    auto* st = new detail::JoinState<T>();
    st->refs.store(2, std::memory_order_relaxed);  // handle + live-task ref
    st->home = this;
    st->id = ++next_id_;
    st->name = name;
    detail::RootCoro root = detail::run_root<T>(st, std::move(body));
    st->root = root.h;
    st->leaf = root.h;
    live_.insert(st);
    schedule(st);
    return JoinHandle<T>(st);
  }

  void schedule(TaskHeader* t);
  // Resume up to `budget` ready tasks. Returns how many ran.
  size_t run(size_t budget);
  bool has_ready() const { return head_ != nullptr; }
  size_t live_tasks() const { return live_.size(); }
  size_t ready_count() const { return ready_count_; }
  // Abort every live task (worker shutdown) and run the destructions.
  void abort_all();

  // Called with the exception of a detached task that threw.
  std::function<void(const TaskHeader&, std::exception_ptr)> on_unhandled_exception;

  static Executor* current();

 private:
  friend void detail::finish_task(TaskHeader* t);
  void retire(TaskHeader* t);  // task frame gone: drop the live ref

  TaskHeader* head_ = nullptr;
  TaskHeader* tail_ = nullptr;
  size_t ready_count_ = 0;
  uint64_t next_id_ = 0;
  std::unordered_set<TaskHeader*> live_;
};

}  // namespace veloq
