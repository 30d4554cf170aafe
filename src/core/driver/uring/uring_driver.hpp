// UringDriver: the Driver over io_uring (liburing).
//
// Beyond the Driver interface it offers (uring-only, optional):
//  - provided buffer rings for multishot recv (setup_buf_group / recycle_buffer);
//  - one registered buffer arena (register_buffer_arena) used by Read/Write
//    ops whose buffer lies inside it (READ_FIXED/WRITE_FIXED).
//
// Completion flags passed to Op::on_complete are the raw CQE flags: kOpMore
// (== IORING_CQE_F_MORE) while a multishot op continues, kOpBufferSelected
// with the provided buffer's id in the upper 16 bits (op_buffer_id()).
//
// Threading: the ring is created IORING_SETUP_R_DISABLED with SINGLE_ISSUER,
// and enabled by the first thread that calls submit()/poll(); that thread is
// the ring's issuer for good. Driving it from another thread later makes the
// kernel refuse io_uring_enter with EEXIST: submit()/poll() then return
// -EEXIST (nothing is lost: prepared SQEs stay queued for the issuer). A ring
// cannot be re-homed while ops are in flight (their buffers and user_data
// belong to this ring), so we report rather than recreate.
#pragma once

#include <liburing.h>

#include <atomic>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/driver/driver.hpp"

namespace veloq {

inline constexpr uint32_t kOpBufferSelected = 1u << 0;  // == IORING_CQE_F_BUFFER
inline uint16_t op_buffer_id(uint32_t flags) { return uint16_t(flags >> 16); }

class UringDriver final : public Driver {
 public:
  // Returns nullptr with *err = errno of io_uring_setup on failure.
  // *why (optional) says what failed: "io_uring_setup:<error>" or
  // "io_uring_lacks:<ops>" (*err = EOPNOTSUPP) for a ring without an op the
  // driver cannot do without.
  static std::unique_ptr<Driver> create(const DriverOptions& opts, int* err,
                                        std::string* why = nullptr);
  ~UringDriver() override;

  Backend backend() const override { return Backend::Uring; }
  const DriverFeatures& features() const override { return feat_; }
  void prepare(Op* op) override;
  int submit() override;
  void cancel(Op* op) override;
  int poll(int64_t timeout_ns) override;
  void wake() override;
  bool wake_other(Driver& target) override;
  void post_completion(Op* op, int32_t res) override;
  size_t in_flight() const override { return in_flight_; }
  int pollable_fd() const override { return ring_.ring_fd; }
  bool needs_submit() const override;

  // Provided buffer ring `bgid` (0..0xFFFE) of `count` (power of two, <= 32768) buffers
  // of `size` bytes, for multishot Recv (op->multishot, op->args.mask = bgid).
  // Returns 0 or -errno (-EOPNOTSUPP when buf_ring is absent/disabled).
  int setup_buf_group(uint16_t bgid, unsigned count, size_t size);
  // Memory of buffer `bid` of group `bgid` (valid until recycled).
  std::byte* buf_group_data(uint16_t bgid, uint16_t bid) const;
  // Give buffer `bid` back to the kernel once its data has been consumed.
  void recycle_buffer(uint16_t bgid, uint16_t bid);

  // Register [base, base+len) as fixed buffer 0. Returns true if the kernel
  // accepted it; false (ENOMEM, RLIMIT_MEMLOCK, disabled) means Read/Write
  // ops simply keep using unregistered I/O — callers see no difference.
  bool register_buffer_arena(void* base, size_t len);
  bool arena_registered() const { return arena_len_ != 0; }
  uint64_t fixed_io_count() const { return fixed_io_; }

  // Test hook: the next CQE of an op with opcode `c` is reported to the
  // fallback logic as -EOPNOTSUPP (as a kernel rejecting it at run time
  // would), so the op is re-run once on the blocking pool.
  void reject_next_for_test(OpCode c) { fake_reject_ = int(c); }
  // Test hook: the next `n` submits report -EBUSY (as a kernel with an
  // unflushable CQ overflow does) without submitting anything.
  void busy_next_submits_for_test(int n) { fake_busy_ = n; }

 private:
  UringDriver() = default;
  int init(const DriverOptions& opts);
  void probe(const DriverOptions& opts);
  bool probe_buf_ring();
  // Fill an SQE for `op`. False when the SQ is full (op goes to backlog).
  bool start(Op* op);
  void offload(Op* op);
  // Ops without a ring opcode: readiness (sockets, pipes, ttys) or the pool.
  bool start_without_opcode(Op* op);
  bool start_readiness(Op* op);
  void prep_ready_poll(io_uring_sqe* sqe, Op* op);
  bool arm_ready_poll(Op* op);
  void on_ready(Op* op, int32_t res);
  static uint64_t cancel_target(const Op* op);
  void push_backlog(Op* op);
  void flush_backlog();
  int enter_enabled();      // 0 or -errno
  int submit_sq();          // io_uring_submit, reaping and retrying on EBUSY
  int reap();               // dispatch every CQE available now
  int dispatch_local();     // completions made without the kernel
  bool retry_on_pool(Op* op, int32_t res, uint32_t flags);
  void finish(Op* op, int32_t res, uint32_t flags);
  void arm_wake();
  static void on_wake(Op* op, int32_t res, uint32_t flags);

  struct BufGroup {
    uint16_t bgid = 0;
    unsigned count = 0;
    size_t size = 0;
    io_uring_buf_ring* ring = nullptr;  // mmap'ed, page aligned
    size_t ring_bytes = 0;
    std::byte* data = nullptr;          // count * size bytes
  };
  const BufGroup* find_group(uint16_t bgid) const;

  io_uring ring_{};
  bool ring_ok_ = false;
  bool enabled_ = true;
  DriverFeatures feat_;
  std::string missing_;  // required ops the ring lacks (init fails)

  Op* backlog_head_ = nullptr;
  Op* backlog_tail_ = nullptr;
  std::vector<Op*> cancel_backlog_;                 // cancels waiting for an SQE
  std::vector<std::pair<Op*, int32_t>> local_;      // e.g. cancelled in backlog
  std::mutex posted_mu_;
  std::vector<std::pair<Op*, int32_t>> posted_;     // from other threads
  std::atomic<bool> has_posted_{false};

  std::vector<BufGroup> groups_;
  std::byte* arena_ = nullptr;
  size_t arena_len_ = 0;
  uint64_t fixed_io_ = 0;
  int fake_reject_ = -1;
  int fake_busy_ = 0;

  int event_fd_ = -1;
  Op wake_op_;
  uint64_t wake_buf_ = 0;
  bool wake_armed_ = false;
  size_t in_flight_ = 0;
  int reaped_in_submit_ = 0;  // completions dispatched by submit_sq()'s EBUSY reaps
};

}  // namespace veloq
