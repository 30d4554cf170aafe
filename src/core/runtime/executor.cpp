#include "core/runtime/executor.hpp"

#include <cstdio>
#include <exception>
#include <typeinfo>
#include <vector>

namespace veloq {

namespace {
thread_local TaskHeader* t_current_task = nullptr;
thread_local Executor* t_current_executor = nullptr;

void default_unhandled(const TaskHeader& t, std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "veloq: detached task %llu (%s) threw: %s\n",
                 static_cast<unsigned long long>(t.id), t.name, ex.what());
  } catch (...) {
    std::fprintf(stderr, "veloq: detached task %llu (%s) threw a non-std exception\n",
                 static_cast<unsigned long long>(t.id), t.name);
  }
}
}  // namespace

TaskHeader* current_task() { return t_current_task; }
Executor* Executor::current() { return t_current_executor; }

void TaskHeader::wake() {
  if (home != nullptr) home->schedule(this);
}

namespace detail {
void finish_task(TaskHeader* t) {
  t->finished = true;
  if (t->joiner != nullptr) t->joiner->wake();
  if (t->detached && t->exception) {
    Executor* ex = t->home;
    if (ex && ex->on_unhandled_exception) {
      ex->on_unhandled_exception(*t, t->exception);
    } else {
      default_unhandled(*t, t->exception);
    }
  }
}
}  // namespace detail

Executor::~Executor() { abort_all(); }

void Executor::schedule(TaskHeader* t) {
  if (t->scheduled || t->finished || !t->root) return;
  t->scheduled = true;
  t->add_ref();
  t->next_ready = nullptr;
  if (tail_) {
    tail_->next_ready = t;
  } else {
    head_ = t;
  }
  tail_ = t;
  ++ready_count_;
}

void Executor::retire(TaskHeader* t) {
  t->root = {};
  t->leaf = {};
  if (live_.erase(t) != 0) t->release();
}

size_t Executor::run(size_t budget) {
  size_t ran = 0;
  Executor* prev_exec = t_current_executor;
  t_current_executor = this;
  while (head_ != nullptr && ran < budget) {
    TaskHeader* t = head_;
    head_ = t->next_ready;
    if (head_ == nullptr) tail_ = nullptr;
    --ready_count_;
    t->scheduled = false;
    if (t->root && !t->finished) {
      if (t->aborted) {
        // Destroying the root frame destroys the nested Task frames and
        // their pending awaiters, which cancel their ops.
        t->root.destroy();
        retire(t);
        if (t->joiner != nullptr) t->joiner->wake();
      } else {
        TaskHeader* prev = t_current_task;
        t_current_task = t;
        t->running = true;
        t->leaf.resume();
        t->running = false;
        t_current_task = prev;
        if (t->finished) retire(t);  // root frame destroyed itself
      }
      ++ran;
    }
    t->release();  // the queue's reference
  }
  t_current_executor = prev_exec;
  return ran;
}

void Executor::abort_all() {
  // Destroying one task may wake or detach others; loop until none is left.
  while (!live_.empty()) {
    std::vector<TaskHeader*> all(live_.begin(), live_.end());
    for (TaskHeader* t : all) {
      t->aborted = true;
      schedule(t);
    }
    run(~size_t{0});
  }
}

}  // namespace veloq
