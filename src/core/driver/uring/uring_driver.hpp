// UringDriver: the Driver over io_uring (liburing).
#pragma once

#include <liburing.h>

#include <atomic>
#include <mutex>
#include <utility>
#include <vector>

#include "core/driver/driver.hpp"

namespace veloq {

class UringDriver final : public Driver {
 public:
  // Returns nullptr with *err = errno of io_uring_setup on failure.
  static std::unique_ptr<Driver> create(const DriverOptions& opts, int* err);
  ~UringDriver() override;

  Backend backend() const override { return Backend::Uring; }
  const DriverFeatures& features() const override { return feat_; }
  void prepare(Op* op) override;
  int submit() override;
  void cancel(Op* op) override;
  int poll(int64_t timeout_ns) override;
  void wake() override;
  void post_completion(Op* op, int32_t res) override;
  size_t in_flight() const override { return in_flight_; }
  int pollable_fd() const override { return ring_.ring_fd; }

 private:
  UringDriver() = default;
  int init(const DriverOptions& opts);
  void probe(const DriverOptions& opts, unsigned setup_flags);
  // Fill an SQE for `op`. False when the SQ is full (op goes to backlog).
  bool start(Op* op);
  void push_backlog(Op* op);
  void flush_backlog();
  bool enter_enabled();
  int reap();               // dispatch every CQE available now
  int dispatch_local();     // completions made without the kernel
  void finish(Op* op, int32_t res, uint32_t flags);
  void arm_wake();
  static void on_wake(Op* op, int32_t res, uint32_t flags);

  io_uring ring_{};
  bool ring_ok_ = false;
  bool enabled_ = true;
  DriverFeatures feat_;

  Op* backlog_head_ = nullptr;
  Op* backlog_tail_ = nullptr;
  std::vector<Op*> cancel_backlog_;                 // cancels waiting for an SQE
  std::vector<std::pair<Op*, int32_t>> local_;      // e.g. cancelled in backlog
  std::mutex posted_mu_;
  std::vector<std::pair<Op*, int32_t>> posted_;     // from other threads
  std::atomic<bool> has_posted_{false};

  int event_fd_ = -1;
  Op wake_op_;
  uint64_t wake_buf_ = 0;
  bool wake_armed_ = false;
  size_t in_flight_ = 0;
};

}  // namespace veloq
