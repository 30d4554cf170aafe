// Task<T>: a lazy C++20 coroutine, and the spawned-task machinery.
//
// A Task does nothing until awaited (inline, by symmetric transfer) or
// spawned on a Worker (spawn_local), which wraps it in a root coroutine with a
// TaskHeader: the unit the executor schedules. Awaiters record the innermost
// suspended coroutine as the header's `leaf` and wake the header when their
// event arrives.
//
// Exceptions: an exception escaping a task body is captured in the task's
// join state and rethrown where the task is joined (`co_await handle`). A
// detached task that throws reports to the worker's unhandled-exception hook
// (default: message to stderr) and the worker keeps running. Exceptions never
// cross an I/O boundary: core I/O calls return Result<T>.
//
// Cancellation: JoinHandle::abort() destroys the task's coroutine frames at
// the next executor turn. Destroying a frame runs the destructors of its
// pending awaiters, which cancel their in-flight ops per the cancel invariant
// (ASYNC_CANCEL; the op and its buffers live on until the last completion).
#pragma once

#include <atomic>
#include <cassert>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <system_error>
#include <type_traits>
#include <utility>

#include "core/runtime/result.hpp"

namespace veloq {

class Executor;

template <class T = void>
class Task;

namespace detail {

// Cooperative preemption (Executor::set_time_slice): the end of the running
// task's time slice on this thread, 0 when slicing is off or no task runs.
inline thread_local uint64_t t_slice_end = 0;
uint64_t slice_clock_ns();
// The running task's slice is over: make it yield instead of entering `next`
// (re-queued at the back; `next` runs when it is resumed). Returns what
// await_suspend should transfer to.
std::coroutine_handle<> preempt(std::coroutine_handle<> next) noexcept;
inline bool slice_expired() noexcept {
  return t_slice_end != 0 && slice_clock_ns() >= t_slice_end;
}

struct PromiseBase {
  std::coroutine_handle<> continuation = std::noop_coroutine();
  std::exception_ptr exception;

  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      return h.promise().continuation;
    }
    void await_resume() noexcept {}
  };
  std::suspend_always initial_suspend() noexcept { return {}; }
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { exception = std::current_exception(); }
};

template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object() noexcept;
  template <class U = T>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (exception) std::rethrow_exception(exception);
    return std::move(*value);
  }
};

template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() {
    if (exception) std::rethrow_exception(exception);
  }
};

}  // namespace detail

template <class T>
class [[nodiscard]] Task {
 public:
  using promise_type = detail::Promise<T>;
  using value_type = T;

  Task() = default;
  explicit Task(std::coroutine_handle<promise_type> h) : h_(h) {}
  Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  Task& operator=(Task&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  ~Task() {
    if (h_) h_.destroy();
  }

  bool valid() const { return bool(h_); }

  auto operator co_await() && noexcept {
    struct Awaiter {
      std::coroutine_handle<promise_type> h;
      bool await_ready() noexcept { return !h || h.done(); }
      // Awaiting an empty (moved-from or default) Task is a program error:
      // say so with an exception rather than dereference nothing.
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> cont) noexcept {
        h.promise().continuation = cont;
        // An await point: a task past its time slice yields here, so a task
        // that only awaits work finishing inline cannot hold its worker.
        if (detail::slice_expired()) [[unlikely]] return detail::preempt(h);
        return h;
      }
      T await_resume() {
        if (!h) throw std::logic_error("veloq: co_await on an empty Task");
        return h.promise().take();
      }
    };
    return Awaiter{h_};
  }
  auto operator co_await() & noexcept { return std::move(*this).operator co_await(); }

 private:
  std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
Task<T> Promise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace detail

// The scheduling unit of a spawned task. Lives inside the task's JoinState,
// shared (refcounted) by the root coroutine frame and the JoinHandle.
//
// Threads: the plain fields belong to the home executor's thread. What other
// threads touch is atomic: `home` (null while the task is unstarted and in
// transit or in a steal queue), `aborted`, `detached`, `refs` and `join`.
// `join` is the join word: 0 (nobody waits), kJoinDone (the task finished or
// its aborted frame is gone), or the TaskHeader* of the one task awaiting it
// (that registration holds a ref on the waiter). Whoever moves the word away
// from a waiter pointer owns that ref: the completer wakes and releases it,
// or the waiter, giving up, releases it itself.
inline constexpr uintptr_t kJoinDone = 1;

struct TaskHeader {
  std::coroutine_handle<> root;   // root frame; null once destroyed
  std::coroutine_handle<> leaf;   // innermost suspended frame to resume
  std::atomic<Executor*> home{nullptr};
  TaskHeader* next_ready = nullptr;
  uint64_t id = 0;
  const char* name = "";
  const char* file = "";   // where it was spawned (watchdog reports)
  uint32_t line = 0;
  bool scheduled = false;
  bool running = false;
  bool finished = false;   // body ran to completion (value or exception)
  std::atomic<bool> aborted{false};   // abort() asked; frame destroyed at next turn
  std::atomic<bool> detached{false};  // no JoinHandle any more
  std::atomic<uintptr_t> join{0};
  std::exception_ptr exception;
  std::atomic<uint32_t> refs{1};

  virtual ~TaskHeader() = default;
  // Make this task runnable (no-op if already queued or finished). From the
  // home thread it queues the task; from another thread it is posted to the
  // home worker (Runtime), and an unstarted task in transit is left alone
  // (its adoption queues it).
  void wake();
  bool done() const { return join.load(std::memory_order_acquire) == kJoinDone; }
  void add_ref() { refs.fetch_add(1, std::memory_order_relaxed); }
  void release() {
    if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
};

// The task currently being resumed on this thread (null outside tasks).
TaskHeader* current_task();

namespace detail {

template <class T>
struct JoinState : TaskHeader {
  std::optional<T> value;
};
template <>
struct JoinState<void> : TaskHeader {};

// Root coroutine of a spawned task: runs the body, stores the outcome,
// wakes the joiner, and destroys its own frame at the end.
struct RootCoro {
  struct promise_type {
    TaskHeader* header = nullptr;
    RootCoro get_return_object() noexcept {
      return RootCoro{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }  // bodies catch
  };
  std::coroutine_handle<promise_type> h;
};

void finish_task(TaskHeader* t);  // mark finished, wake joiner / report
// Set the join word to kJoinDone and wake the waiter registered there, if any.
void complete_join(TaskHeader* t);
// A task that never started and never will (runtime shutting down, or the
// target refused it): destroy its frame, mark it done (joining it yields
// ECANCELED) and drop the live-task ref. Any thread.
void cancel_unstarted(TaskHeader* t);
uint64_t next_task_id();

template <class T>
RootCoro run_root(JoinState<T>* st, Task<T> body) {
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(body);
    } else {
      st->value.emplace(co_await std::move(body));
    }
  } catch (...) {
    st->exception = std::current_exception();
  }
  finish_task(st);
}

// A new spawned task, not yet on any executor: refs = handle + live task.
template <class T>
JoinState<T>* make_task(Task<T> body, const char* name,
                        std::source_location loc = std::source_location::current()) {
  auto* st = new JoinState<T>();
  st->refs.store(2, std::memory_order_relaxed);
  st->id = next_task_id();
  st->name = name;
  st->file = loc.file_name();
  st->line = loc.line();
  RootCoro root = run_root<T>(st, std::move(body));
  st->root = root.h;
  st->leaf = root.h;
  return st;
}

}  // namespace detail

// Handle to a spawned task. Dropping it detaches the task (it keeps running).
template <class T>
class [[nodiscard]] JoinHandle {
 public:
  JoinHandle() = default;
  explicit JoinHandle(detail::JoinState<T>* st) : st_(st) {}
  JoinHandle(JoinHandle&& o) noexcept : st_(std::exchange(o.st_, nullptr)) {}
  JoinHandle& operator=(JoinHandle&& o) noexcept {
    if (this != &o) {
      drop();
      st_ = std::exchange(o.st_, nullptr);
    }
    return *this;
  }
  ~JoinHandle() { drop(); }

  // True once the task finished or its aborted frame is gone (any thread).
  bool finished() const { return st_ && st_->done(); }
  uint64_t id() const { return st_ ? st_->id : 0; }
  TaskHeader* header() const { return st_; }

  // Cancel the task: its frames are destroyed at the next turn of its home
  // worker and its in-flight ops cancelled; joining it then yields
  // ECANCELED. Any thread (a cross-core abort is posted to the task's home).
  void abort();

  // Wait for the task, from any worker's task (the task may live on another
  // core: its completion posts the wake-up to this task's home). Result: the
  // value, or ECANCELED if aborted. An exception thrown by the task is
  // rethrown here.
  auto operator co_await() noexcept {
    // While suspended the awaiter is registered in the join word (holding a
    // ref on itself and on the join state). If the awaiting frame is
    // destroyed first (that task was aborted), the destructor unregisters,
    // so finishing never wakes a freed task, also when the handle lives in
    // another frame.
    struct Awaiter {
      detail::JoinState<T>* st;
      TaskHeader* me = nullptr;
      Awaiter(detail::JoinState<T>* s) : st(s) {}
      Awaiter(const Awaiter&) = delete;
      Awaiter& operator=(const Awaiter&) = delete;
      ~Awaiter() { forget(); }
      // Stop being the registered waiter (resumed, or woken by something
      // else on this same thread, or destroyed).
      void forget() noexcept {
        if (me == nullptr) return;
        auto mine = reinterpret_cast<uintptr_t>(me);
        if (st->join.compare_exchange_strong(mine, 0, std::memory_order_acq_rel)) {
          me->release();  // we took our registration back
        }                 // else the completer took it (and its ref) to wake us
        me = nullptr;
        st->release();
      }
      bool await_ready() noexcept { return !st || st->done(); }
      bool await_suspend(std::coroutine_handle<> h) noexcept {
        TaskHeader* cur = current_task();
        assert(cur != nullptr && "co_await JoinHandle outside a task");
        forget();
        cur->leaf = h;
        cur->add_ref();
        st->add_ref();
        uintptr_t expect = 0;
        if (st->join.compare_exchange_strong(expect, reinterpret_cast<uintptr_t>(cur),
                                             std::memory_order_acq_rel)) {
          me = cur;
          return true;
        }
        cur->release();
        st->release();
        return false;  // done meanwhile, or another task is joining it
      }
      Result<T> await_resume() {
        if (!st) return err<T>(EINVAL);  // default-constructed / moved-from handle
        forget();
        if (!st->done()) return err<T>(EBUSY);  // someone else is joining it
        if (!st->finished) return err<T>(ECANCELED);
        if (st->exception) std::rethrow_exception(st->exception);
        if constexpr (std::is_void_v<T>) {
          return {};
        } else {
          return std::move(*st->value);
        }
      }
    };
    return Awaiter{st_};
  }

 private:
  void drop() {
    if (st_) {
      st_->detached.store(true, std::memory_order_release);
      st_->release();
      st_ = nullptr;
    }
  }
  detail::JoinState<T>* st_ = nullptr;
};

template <class T>
void JoinHandle<T>::abort() {
  if (st_ && !st_->done()) {
    // seq_cst pairs with Executor::adopt (store home, then load aborted):
    // either we see the home and poke it, or the adopter sees the flag.
    st_->aborted.store(true, std::memory_order_seq_cst);
    st_->wake();
  }
}

}  // namespace veloq
