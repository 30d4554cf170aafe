#include "core/runtime/worker.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>
#include <thread>

#include "core/op/sync_exec.hpp"

namespace veloq {

namespace {
thread_local Worker* t_worker = nullptr;
}

Worker* Worker::current() { return t_worker; }

Worker::Scope::Scope(Worker* w) : prev(t_worker), prev_exec(Executor::thread_current()) {
  t_worker = w;
  Executor::set_thread_current(w ? &w->exec_ : nullptr);
}
Worker::Scope::~Scope() {
  t_worker = prev;
  Executor::set_thread_current(prev_exec);
}

Worker::Worker(WorkerOptions opts)
    : blocking_(opts.blocking ? opts.blocking : &BlockingPool::shared()),
      budget_(opts.budget == 0 ? 1 : opts.budget),
      now_ns_(monotonic_ns()) {
  int err = 0;
  driver_ = make_driver(opts.driver, &err);
  if (!driver_) throw std::system_error(errno_code(err), "veloq: no usable I/O driver");
  exec_.set_time_slice(opts.time_slice_ns);
  Driver* drv = driver_.get();
  std::atomic<size_t>* pending = &offload_pending_;
  driver_->set_offload([drv, pool = blocking_, pending](Op* op) {
    pending->fetch_add(1, std::memory_order_relaxed);
    bool queued = pool->submit([drv, op, pending] {
      drv->post_completion(op, execute_sync(*op));
      // Last touch of worker/driver memory by this thread.
      pending->fetch_sub(1, std::memory_order_release);
    });
    if (!queued) {  // no pool thread could be started: fail the op, not the worker
      drv->post_completion(op, -EAGAIN);
      pending->fetch_sub(1, std::memory_order_release);
    }
  });
  if (std::getenv("VELOQ_TRACE") != nullptr) {
    std::fprintf(stderr, "veloq: backend=%s %s\n", backend_name(driver_->backend()),
                 driver_->features().describe().c_str());
  }
}

Worker::~Worker() {
  bool stuck = drain();
  // The last completion may have been dispatched while its pool thread is
  // still inside post_completion() (waking the driver): let it return.
  while (offload_pending_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  // Ops still owned by the kernel may yet be written to (statx buffers,
  // sockaddrs, read buffers): leak their slots rather than free them.
  if (stuck) ops_.abandon();
}

bool Worker::drain() {
  Scope scope(this);
  // Abort, then drain until every op handed to the driver delivered its last
  // completion (the slab and the buffers ops own may only go after that).
  // Completion handlers run during the drain may spawn or wake tasks, so
  // repeat until no task is left either.
  bool stuck = false;
  do {
    exec_.abort_all();
    while (driver_->in_flight() > 0) {
      // EEXIST: destroyed on a thread that is not the ring's single issuer;
      // the kernel will not run completions for us, so waiting would hang.
      if (driver_->poll(1'000'000) == -EEXIST) {
        stuck = true;
        break;
      }
      exec_.run(~size_t{0});
    }
  } while (!stuck && exec_.live_tasks() > 0);
  stuck_ = stuck_ || stuck;
  return stuck_;
}

void Worker::run_ready() {
  Scope scope(this);
  exec_.run(budget_);
  update_time();
  timers_.fire_expired(now_ns_);
}

void Worker::poll_io(bool may_block, int64_t max_block_ns) {
  Scope scope(this);
  int64_t timeout = 0;
  if (may_block && !exec_.has_ready()) {
    uint64_t next = timers_.next_deadline_ns();
    timeout = next == UINT64_MAX ? -1 : (next > now_ns_ ? int64_t(next - now_ns_) : 0);
    if (max_block_ns >= 0 && (timeout < 0 || timeout > max_block_ns)) timeout = max_block_ns;
  }
  // EEXIST: the ring's single issuer is another thread (the first one that
  // drove this worker). Nothing can progress here; say so instead of spinning.
  if (driver_->poll(timeout) == -EEXIST) {
    throw std::system_error(errno_code(EEXIST),
                            "veloq: worker driven from a thread other than its first driver thread");
  }
  update_time();
  timers_.fire_expired(now_ns_);
}

}  // namespace veloq
