#include "core/runtime/executor.hpp"

#include "core/runtime/trace.hpp"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <exception>
#include <typeinfo>
#include <vector>

namespace veloq {

namespace {
thread_local TaskHeader* t_current_task = nullptr;
thread_local Executor* t_current_executor = nullptr;
thread_local Executor* t_thread_executor = nullptr;
std::atomic<uint64_t> g_next_task_id{0};

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
Executor* Executor::thread_current() { return t_thread_executor; }
void Executor::set_thread_current(Executor* e) { t_thread_executor = e; }

void TaskHeader::wake() {
  // seq_cst: pairs with adopt() for a task aborted while in transit.
  Executor* h = home.load(std::memory_order_seq_cst);
  if (h == nullptr) return;  // unstarted, not adopted yet: adoption queues it
  if (h->remote_wake_ == nullptr || h == t_thread_executor) {
    h->schedule(this);
    return;
  }
  add_ref();  // travels with the message; receive_wake drops it
  h->remote_wake_(h->remote_ctx_, h, this);
}

namespace detail {
uint64_t slice_clock_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

std::coroutine_handle<> preempt(std::coroutine_handle<> next) noexcept {
  TaskHeader* me = t_current_task;
  if (me == nullptr || t_current_executor == nullptr) return next;
  t_slice_end = 0;  // one forced yield per slice
  me->leaf = next;
  t_current_executor->preemptions_.fetch_add(1, std::memory_order_relaxed);
  me->wake();  // back of the queue: everything ready runs first, then `next`
  return std::noop_coroutine();
}

uint64_t next_task_id() { return g_next_task_id.fetch_add(1, std::memory_order_relaxed) + 1; }

void complete_join(TaskHeader* t) {
  uintptr_t prev = t->join.exchange(kJoinDone, std::memory_order_acq_rel);
  if (prev > kJoinDone) {
    auto* waiter = reinterpret_cast<TaskHeader*>(prev);
    waiter->wake();
    waiter->release();  // the registration's ref, now ours
  }
}

void cancel_unstarted(TaskHeader* t) {
  if (t->root) t->root.destroy();
  t->root = {};
  t->leaf = {};
  complete_join(t);
  t->release();  // the live-task ref
}

void finish_task(TaskHeader* t) {
  t->finished = true;
  complete_join(t);
  if (t->detached.load(std::memory_order_acquire) && t->exception) {
    Executor* ex = t->home.load(std::memory_order_relaxed);
    if (ex && ex->on_unhandled_exception) {
      ex->on_unhandled_exception(*t, t->exception);
    } else {
      default_unhandled(*t, t->exception);
    }
  }
}
}  // namespace detail

Executor::~Executor() { abort_all(); }

void Executor::adopt(TaskHeader* t) {
  if (trace_ != nullptr) trace_->add(TraceKind::Adopt, detail::slice_clock_ns(), 0, t->id);
  t->home.store(this, std::memory_order_seq_cst);
  live_.insert(t);
  schedule(t);
}

void Executor::receive_wake(TaskHeader* t) {
  if (t->home.load(std::memory_order_relaxed) == this) schedule(t);
  t->release();
}

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
      if (t->aborted.load(std::memory_order_seq_cst)) {
        // Destroying the root frame destroys the nested Task frames and
        // their pending awaiters, which cancel their ops.
        t->root.destroy();
        retire(t);
        detail::complete_join(t);
      } else {
        TaskHeader* prev = t_current_task;
        t_current_task = t;
        t->running = true;
        uint64_t start = 0;
        if (track_ || slice_ns_ != 0 || trace_ != nullptr) {
          const uint64_t now = detail::slice_clock_ns();
          start = now;
          if (slice_ns_ != 0) detail::t_slice_end = now + slice_ns_;
          if (track_) {
            run_id_.store(t->id, std::memory_order_relaxed);
            run_name_.store(t->name, std::memory_order_relaxed);
            run_file_.store(t->file, std::memory_order_relaxed);
            run_line_.store(t->line, std::memory_order_relaxed);
            run_since_.store(now, std::memory_order_release);
          }
        }
        t->leaf.resume();
        if (trace_ != nullptr) {
          // `t` is still held by the queue's ref; its name is a literal.
          trace_->add(TraceKind::Poll, start, detail::slice_clock_ns() - start, t->id, t->name);
        }
        detail::t_slice_end = 0;
        if (track_) run_since_.store(0, std::memory_order_release);
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

Executor::Running Executor::running() const {
  Running r;
  r.since_ns = run_since_.load(std::memory_order_acquire);
  r.id = run_id_.load(std::memory_order_relaxed);
  r.name = run_name_.load(std::memory_order_relaxed);
  r.file = run_file_.load(std::memory_order_relaxed);
  r.line = run_line_.load(std::memory_order_relaxed);
  return r;
}

void Executor::abort_all() {
  // Destroying one task may wake or detach others; loop until none is left.
  while (!live_.empty()) {
    std::vector<TaskHeader*> all(live_.begin(), live_.end());
    for (TaskHeader* t : all) {
      t->aborted.store(true, std::memory_order_relaxed);
      schedule(t);
    }
    run(~size_t{0});
  }
}

}  // namespace veloq
