// Runtime: N Workers, one thread each (pinned to a CPU where allowed),
// talking only through the Mesh.
//
//   veloq::Runtime rt;                        // one worker per available CPU
//   int v = rt.block_on(main_task());         // root task runs on worker 0
//
// Inside tasks:
//   spawn_local(t)    this worker, now
//   spawn_on(i, t)    worker i (posted through the Mesh); never moves
//   spawn(t)          placed by power-of-two-choices on published queue
//                     length; until it starts, an idle worker may steal it
//
// A task that has started never leaves its home worker (its ops are on its
// home ring, its timers in its home wheel). Only unstarted tasks, sitting in
// a worker's steal queue, move. Cross-core JoinHandle await works: the
// finishing task posts the wake-up through the Mesh to the awaiter's home.
//
// Decisions (mesh full-ring policy, wake path, stealing rule, shutdown) are
// in docs/ARCHITECTURE.md §4.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <source_location>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "core/runtime/mesh.hpp"
#include "core/runtime/task.hpp"
#include "core/runtime/trace.hpp"
#include "core/runtime/worker.hpp"

namespace veloq {

struct RuntimeOptions {
  size_t workers = 0;          // 0: the number of CPUs this process may run on
  bool pin = true;             // pin worker i to the i-th allowed CPU (best effort)
  size_t mesh_capacity = 256;  // messages per (sender, receiver) ring; power of two
  // While a worker's mesh overflow holds messages, it waits in the driver at
  // most this long before retrying them (it never blocks on a full ring).
  int64_t overflow_retry_ns = 1'000'000;
  WorkerOptions worker{};      // per-worker driver, budget, blocking pool
  // Cooperative preemption: a task running longer than this without
  // suspending yields at its next await point (0: off). Replaces
  // worker.time_slice_ns.
  uint64_t time_slice_ns = 10'000'000;
  // Watchdog: report (never kill) a task that has held its worker longer
  // than this in one poll (0: no watchdog thread). Each stall is reported
  // once, to `on_stall` (default: one line on stderr).
  uint64_t watchdog_ns = 0;
  std::function<void(const struct StallReport&)> on_stall;
  // Tracing: events kept per worker (oldest overwritten), 0: off. Export
  // with trace_json(). Default from VELOQ_TRACE_EVENTS (unset: off).
  size_t trace_events = trace_events_from_env();
  static size_t trace_events_from_env();
};

struct StallReport {
  size_t worker;
  uint64_t task_id;
  const char* name;   // spawn name ("" if none)
  const char* file;   // where it was spawned
  uint32_t line;
  uint64_t held_ns;   // how long it had held the worker when seen
};

// Per-worker counters (relaxed; for tests, tracing and tuning).
struct WorkerCounters {
  std::atomic<uint64_t> placed{0};       // spawn()/spawn_near() tasks queued here
  std::atomic<uint64_t> stolen{0};       // unstarted tasks this worker took from others
  std::atomic<uint64_t> parks{0};        // times it blocked in the driver with nothing to do
  std::atomic<uint64_t> received{0};     // mesh messages handled
  std::atomic<uint64_t> overflowed{0};   // messages it had to keep aside (full ring)
  std::atomic<uint64_t> wakes_msg_ring{0};  // wakes it sent through its ring (MSG_RING)
  std::atomic<uint64_t> wakes_eventfd{0};   // wakes it sent with the target's eventfd
  std::atomic<uint64_t> stalls{0};          // watchdog reports about this worker
};

namespace detail {
// block_on's rendezvous between the root task and the calling thread. The
// guard travels into the root coroutine as a parameter, so its destructor
// runs whenever the frame goes: finished, aborted, or never started.
template <class T>
struct BlockOnSlot {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool ran = false;
  std::optional<std::conditional_t<std::is_void_v<T>, bool, T>> value;
  std::exception_ptr exception;
};
template <class T>
struct BlockOnGuard {
  BlockOnSlot<T>* slot;
  explicit BlockOnGuard(BlockOnSlot<T>* s) : slot(s) {}
  BlockOnGuard(BlockOnGuard&& o) noexcept : slot(std::exchange(o.slot, nullptr)) {}
  BlockOnGuard(const BlockOnGuard&) = delete;
  ~BlockOnGuard() {
    if (slot == nullptr) return;
    std::lock_guard lk(slot->mu);
    slot->done = true;
    slot->cv.notify_all();
  }
};
template <class T>
Task<void> block_on_root(Task<T> body, BlockOnGuard<T> guard) {
  BlockOnSlot<T>* s = guard.slot;
  try {
    if constexpr (std::is_void_v<T>) {
      co_await std::move(body);
      s->value.emplace(true);
    } else {
      s->value.emplace(co_await std::move(body));
    }
  } catch (...) {
    s->exception = std::current_exception();
  }
  s->ran = true;
}  // guard destroyed with the frame: signals the caller
}  // namespace detail

class Runtime {
 public:
  Runtime();  // RuntimeOptions defaults
  explicit Runtime(RuntimeOptions opts);
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;
  // shutdown(). Must not run on one of this runtime's workers.
  ~Runtime();

  // CPUs this process may run on (sched_getaffinity), at least 1.
  static size_t available_cpus();
  // The runtime / worker index of the calling thread (null / -1 elsewhere).
  static Runtime* current();
  static int current_index();

  size_t size() const { return n_; }
  Backend backend(size_t i) const { return slots_[i]->backend; }
  bool msg_ring(size_t i) const { return slots_[i]->msg_ring; }
  std::thread::id thread_id(size_t i) const { return slots_[i]->tid; }
  bool pinned(size_t i) const { return slots_[i]->pinned; }
  int cpu(size_t i) const { return slots_[i]->cpu; }
  bool parked(size_t i) const { return slots_[i]->parked.load(std::memory_order_acquire); }
  const WorkerCounters& counters(size_t i) const { return slots_[i]->counters; }
  // Forced yields (time slice over) on worker i so far.
  uint64_t preemptions(size_t i) const { return slots_[i]->preemptions.load(std::memory_order_relaxed); }
  // Unstarted tasks waiting in worker i's steal queue.
  size_t queued(size_t i) const { return slots_[i]->qlen.load(std::memory_order_relaxed); }

  // Run `t` on worker 0 and wait for it on the calling thread, which must
  // not be one of this runtime's workers. Rethrows the task's exception;
  // throws system_error(ECANCELED) if it was aborted (shutdown).
  template <class T>
  T block_on(Task<T> t) {
    if (current() == this) throw std::logic_error("veloq::Runtime::block_on on its own worker");
    detail::BlockOnSlot<T> slot;
    {
      JoinHandle<void> h =
          spawn_on(0, detail::block_on_root<T>(std::move(t), detail::BlockOnGuard<T>(&slot)),
                   "block_on");
    }  // detached: the slot, not the handle, reports the outcome
    std::unique_lock lk(slot.mu);
    slot.cv.wait(lk, [&] { return slot.done; });
    if (slot.exception) std::rethrow_exception(slot.exception);
    if (!slot.ran) throw std::system_error(errno_code(ECANCELED), "block_on: task aborted");
    if constexpr (!std::is_void_v<T>) return std::move(*slot.value);
  }

  // Start `t` on worker `core` (any thread). It never runs elsewhere.
  template <class T>
  JoinHandle<T> spawn_on(size_t core, Task<T> t, const char* name = "",
                        std::source_location loc = std::source_location::current()) {
    if (core >= n_) throw std::out_of_range("veloq::Runtime::spawn_on: no such worker");
    auto* st = detail::make_task(std::move(t), name, loc);
    JoinHandle<T> h(st);
    submit_pinned(core, st);
    return h;
  }
  // Start `t` on the less loaded of two random workers (any thread).
  template <class T>
  JoinHandle<T> spawn(Task<T> t, const char* name = "",
                        std::source_location loc = std::source_location::current()) {
    auto* st = detail::make_task(std::move(t), name, loc);
    JoinHandle<T> h(st);
    submit_unstarted(pick_p2c(), st);
    return h;
  }
  // Queue `t` on worker `core`, stealable until it starts (any thread).
  template <class T>
  JoinHandle<T> spawn_near(size_t core, Task<T> t, const char* name = "",
                        std::source_location loc = std::source_location::current()) {
    if (core >= n_) throw std::out_of_range("veloq::Runtime::spawn_near: no such worker");
    auto* st = detail::make_task(std::move(t), name, loc);
    JoinHandle<T> h(st);
    submit_unstarted(core, st);
    return h;
  }

  // Run `fn` on worker `core`'s thread, outside any task, in the order this
  // thread posted to that worker (any thread). False once shutdown began
  // (`fn` is dropped unrun).
  bool post(size_t core, std::move_only_function<void()> fn);

  // The power-of-two-choices pick: two distinct random workers, the one with
  // the shorter published queue (ready + unstarted).
  size_t pick_p2c();

  // A text dump of every worker: live tasks (id, name, spawn location,
  // state), ops in flight, queues, parked or not. Each worker writes its own
  // part on its own thread (a Mesh closure); a worker that does not answer
  // within `wait` is reported with the task it is running, if the watchdog
  // publishes it. Any thread but a worker of this runtime.
  std::string dump(std::chrono::milliseconds wait = std::chrono::seconds(1));

  // The trace (RuntimeOptions::trace_events) as Chrome / Perfetto trace JSON,
  // one track per worker: task polls and parks as spans, adoptions, steals
  // and mesh batches as instants. While running, each worker copies its own
  // ring (a Mesh closure; one that does not answer within `wait` is left
  // out); after shutdown() the rings are read directly. "" when tracing is
  // off. Any thread but a worker of this runtime.
  std::string trace_json(std::chrono::milliseconds wait = std::chrono::seconds(1));

  // Stop accepting spawns and posts, abort every task (their ops cancelled
  // and drained per the cancel invariant), drop undelivered messages, join
  // the threads. Idempotent. Not from a worker of this runtime.
  void shutdown();

 private:
  struct Slot {
    std::thread thread;
    std::unique_ptr<Worker> worker;  // created and destroyed on its own thread
    std::thread::id tid;
    Backend backend = Backend::Uring;
    bool msg_ring = false;
    bool pinned = false;
    int cpu = -1;
    alignas(64) std::atomic<bool> parked{false};
    std::atomic<uint32_t> ready{0};  // published run-queue length
    std::atomic<size_t> qlen{0};     // steal queue length
    std::mutex qmu;
    std::deque<TaskHeader*> queue;   // unstarted tasks, stealable
    // Messages this worker could not push (ring full), per receiver, in
    // order; retried each turn. Touched only by this worker's thread (and by
    // shutdown after the threads are joined).
    std::vector<std::deque<MeshMsg>> overflow;
    size_t overflow_len = 0;
    // overflow_len > 0, for receivers: after draining our ring they wake us
    // (if parked) so the overflow moves on without waiting for the timeout.
    std::atomic<bool> has_overflow{false};
    WorkerCounters counters;
    std::atomic<uint64_t> preemptions{0};  // copied from the executor each turn
    std::unique_ptr<TraceRing> trace;       // owned by the worker's thread while it runs
    struct WakeCtx {
      Runtime* rt;
      size_t index;
    } wake_ctx{};
  };

  void worker_main(size_t i);
  void watchdog_main();
  void turn(size_t i);
  size_t drain_inbox(size_t i);
  void flush_overflow(size_t i);
  void adopt_own(size_t i);
  bool try_steal(size_t i);
  bool has_incoming(size_t i) const;
  void handle(size_t i, MeshMsg& m);

  void submit_pinned(size_t core, TaskHeader* t);
  void submit_unstarted(size_t core, TaskHeader* t);
  // Deliver `m` to worker `to` from the calling thread; false (message
  // disposed of) once stopping.
  bool send(size_t to, MeshMsg&& m);
  // Wake `to` if it may be parked (it went to sleep with nothing to do).
  void notify(size_t to);
  // A stealable task was queued: wake its owner if parked, else one parked
  // worker that may steal it.
  void notify_for_steal(size_t owner);
  void wake_worker(size_t to);
  static void remote_wake(void* ctx, Executor* target, TaskHeader* t);
  static void dispose(MeshMsg& m);

  RuntimeOptions opts_;
  size_t n_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::unique_ptr<Mesh> mesh_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> senders_{0};  // non-worker threads inside send()
  std::atomic<bool> shut_{false};
  std::atomic<bool> joined_{false};  // shutdown() joined the threads
  std::latch started_;
  std::latch drained_;   // every worker aborted its tasks and drained its ring
  std::latch destroy_;   // shutdown() says: destroy your Worker now
  std::thread watchdog_;
  std::mutex watchdog_mu_;
  std::condition_variable watchdog_cv_;
  std::mutex error_mu_;
  std::exception_ptr start_error_;
};

// Spawn from inside a task of a Runtime (throws elsewhere).
template <class T>
JoinHandle<T> spawn_on(size_t core, Task<T> t, const char* name = "",
                       std::source_location loc = std::source_location::current()) {
  Runtime* rt = Runtime::current();
  if (rt == nullptr) throw std::logic_error("veloq::spawn_on outside a runtime worker");
  return rt->spawn_on(core, std::move(t), name, loc);
}
template <class T>
JoinHandle<T> spawn(Task<T> t, const char* name = "",
                    std::source_location loc = std::source_location::current()) {
  Runtime* rt = Runtime::current();
  if (rt == nullptr) throw std::logic_error("veloq::spawn outside a runtime worker");
  return rt->spawn(std::move(t), name, loc);
}

}  // namespace veloq
