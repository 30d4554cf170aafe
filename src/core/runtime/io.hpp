// IoOp: the coroutine face of one Op.
//
//   IoOp op(OpCode::Recv);            // acquires a slot on this worker
//   op->args.fd = fd; ...; op->buf = std::move(buf);
//   int32_t res = co_await op;        // prepare + suspend until last CQE
//   FixedBuf back = std::move(op->buf);
//
// If the awaiting coroutine is destroyed while the op is in flight (task
// aborted, timeout), ~IoOp detaches the op and asks the driver to cancel it:
// the slot and everything the op owns stay alive until its last completion,
// and an fd it produced (open/accept that won the race) is closed then. An
// fd result that arrived but was never taken (task aborted after its wake-up,
// before it resumed) is closed by ~IoOp.
#pragma once

#include <cassert>
#include <coroutine>
#include <cstdint>
#include <stdexcept>

#include <unistd.h>

#include "core/op/op.hpp"
#include "core/runtime/worker.hpp"

namespace veloq {

class IoOp {
 public:
  explicit IoOp(OpCode code) : IoOp(current_worker(), code) {}
  IoOp(Worker& w, OpCode code) : worker_(&w), op_(w.ops().acquire(code)) {}
  IoOp(const IoOp&) = delete;
  IoOp& operator=(const IoOp&) = delete;
  ~IoOp() {
    if (op_ == nullptr) return;
    if (op_->state == OpState::Idle || op_->state == OpState::Done) {
      // Completed, but the task was aborted between its wake-up and its
      // resumption: nobody took the fd an open/accept produced.
      if (op_->state == OpState::Done && !taken_ && op_->result >= 0 && op_result_is_fd(*op_)) {
        ::close(op_->result);
      }
      worker_->ops().release(op_);
    } else {
      op_->detached = true;
      op_->owner = nullptr;
      worker_->driver().cancel(op_);
    }
  }

  static Worker& current_worker() {
    Worker* w = Worker::current();
    if (w == nullptr) throw std::logic_error("veloq::IoOp outside a worker");
    return *w;
  }

  Op* operator->() const { return op_; }
  Op& operator*() const { return *op_; }
  Op* get() const { return op_; }

  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    task_ = current_task();
    assert(task_ != nullptr && "co_await IoOp outside a task");
    task_->leaf = h;
    taken_ = false;  // the same IoOp may be awaited again (EAGAIN retries)
    // The single-shot face: intermediate completions of a multishot op
    // (accepted fds, selected buffers) would be dropped here, so multishot
    // users own their Op and on_complete instead.
    op_->multishot = false;
    op_->owner = this;
    op_->on_complete = &IoOp::on_complete;
    worker_->driver().prepare(op_);
  }
  int32_t await_resume() noexcept {
    taken_ = true;
    return op_->result;
  }

 private:
  static void on_complete(Op* op, int32_t /*res*/, uint32_t flags) {
    if (flags & kOpMore) return;  // single-shot face: wait for the last one
    static_cast<IoOp*>(op->owner)->task_->wake();
  }

  Worker* worker_;
  Op* op_;
  TaskHeader* task_ = nullptr;
  bool taken_ = false;  // await_resume ran: the result is the caller's now
};

}  // namespace veloq
