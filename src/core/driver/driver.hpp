// Driver: the one interface between a Worker and the kernel.
//
// A Driver is owned and touched by exactly one thread (its Worker's), except
// `wake()` and `post_completion()`, which any thread may call.
//
// Completion rule: completions are delivered only from inside `poll()`, never
// inline from `prepare()` or `cancel()`. That keeps callers free of
// re-entrancy: whoever prepares an op may still be setting up its owner.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/op/op.hpp"

namespace veloq {

enum class Backend : uint8_t { Uring, Epoll };
const char* backend_name(Backend b);

// What the kernel offered at start-up (uring) or what the backend emulates.
// Inspectable (tests, VELOQ_TRACE) and maskable with VELOQ_URING_DISABLE.
struct DriverFeatures {
  bool single_issuer = false;
  bool defer_taskrun = false;
  bool coop_taskrun = false;
  bool ext_arg = false;          // wait with timeout, no timeout SQE
  bool msg_ring = false;
  bool multishot_accept = false;
  bool multishot_recv = false;
  bool buf_ring = false;         // provided buffer rings (raw io_uring_register)
  bool send_zc = false;
  bool registered_files = false;
  bool registered_buffers = false;
  bool nodrop = false;           // IORING_FEAT_NODROP
  // Per-OpCode: true if the ring runs it natively. False: on io_uring,
  // socket/pipe/tty ops wait for readiness with POLL_ADD and run the
  // non-blocking syscall (cancellable), other ops run on the blocking pool.
  bool opcode[size_t(OpCode::kCount)] = {};
  // Why this is not the backend that was asked for ("" = it is), e.g.
  // "io_uring_setup:Operation not permitted" or "io_uring_lacks:poll_add".
  std::string fallback;

  std::string describe() const;  // one line, "single_issuer=1 defer_taskrun=1 ..."
};

struct DriverOptions {
  Backend backend = Backend::Uring;   // preferred; uring falls back to epoll
  bool allow_fallback = true;         // false: fail instead of falling back
  unsigned sq_entries = 256;          // ring size (tests use 4 for backlog)
  unsigned cq_entries = 0;            // 0 = kernel default (2 * sq)
  // true: one thread drives the driver for its whole life (a Worker), so
  // io_uring may use SINGLE_ISSUER/DEFER_TASKRUN/COOP_TASKRUN. false: any
  // thread may drive it, one at a time, and a thread may hand it to another
  // with ops in flight (a uv loop run on thread A, then on thread B). The
  // ring then goes without those flags: with them the kernel refuses a new
  // submitter (EEXIST) and posts completions only to the old one.
  bool thread_bound = true;
  // Features named here are treated as absent even if the kernel has them:
  // comma-separated feature or opcode names (as in DriverFeatures::describe).
  std::string disable;
  // True if `name` (a feature or opcode name, or "all") is in `disable`.
  // "all": every optional feature and opcode off, as on the oldest kernel
  // the ring driver serves; it keeps its minimum (poll_add, read, timeout),
  // so socket ops wait for readiness on the ring.
  bool disables(std::string_view name) const;
  // True only if `name` itself is listed ("all" does not count): for the
  // ops the ring driver cannot do without, whose absence means epoll.
  bool names(std::string_view name) const;
  // Set by make_driver on the epoll options when it falls back from io_uring.
  std::string fallback_reason;

  // Read VELOQ_BACKEND and VELOQ_URING_DISABLE from the environment.
  static DriverOptions from_env();
};

// Runs ops the driver cannot run itself (no opcode, EINVAL/EOPNOTSUPP at run
// time, regular-file I/O on epoll). The callee executes the op elsewhere and
// later calls Driver::post_completion(op, res) from any thread.
using OffloadFn = std::function<void(Op* op)>;

struct DriverStats {
  uint64_t submitted = 0;
  uint64_t completed = 0;
  uint64_t backlogged = 0;       // ops that waited for SQ space
  uint64_t cq_overflows = 0;     // times the CQ overflow flag was seen
  uint64_t offloaded = 0;        // ops sent to the blocking pool
};

class Driver {
 public:
  virtual ~Driver() = default;

  virtual Backend backend() const = 0;
  virtual const DriverFeatures& features() const = 0;
  const DriverStats& stats() const { return stats_; }

  // Hand an op to the driver. Never fails: with no SQ space the op waits in
  // a backlog; errors surface as the op's completion (-errno).
  virtual void prepare(Op* op) = 0;
  // Push everything prepared to the kernel. Returns ops submitted or -errno.
  virtual int submit() = 0;
  // Ask the kernel to cancel an in-flight op. The op's last completion still
  // arrives (-ECANCELED, or its real result if it won the race).
  virtual void cancel(Op* op) = 0;
  // Submit, then wait up to `timeout_ns` (-1 = forever, 0 = don't block) for
  // completions and dispatch them all through op_dispatch(). Returns the
  // number dispatched or -errno.
  virtual int poll(int64_t timeout_ns) = 0;
  // Any thread: make a blocked or the next poll() return promptly.
  virtual void wake() = 0;
  // This driver's thread: wake `target` (another thread's driver) through
  // this driver's own ring (io_uring MSG_RING), without a syscall on an
  // eventfd. False when that path is not available (no MSG_RING, target not
  // a ring, SQ full): the caller uses target.wake() instead.
  virtual bool wake_other(Driver& /*target*/) { return false; }
  // Any thread: deliver the completion of an offloaded op; wakes the driver.
  virtual void post_completion(Op* op, int32_t res) = 0;

  // Ops handed to the driver whose last completion has not been dispatched.
  virtual size_t in_flight() const = 0;
  // An fd that polls readable when poll(0) has work (embedders, uv_backend_fd).
  virtual int pollable_fd() const = 0;
  // True while something prepared has not reached the kernel yet (or the
  // wake-up is not armed): pollable_fd() cannot signal it, so an embedder
  // must call poll() before blocking on that fd.
  virtual bool needs_submit() const = 0;

  void set_offload(OffloadFn fn) { offload_ = std::move(fn); }

 protected:
  OffloadFn offload_;
  DriverStats stats_;
};

// Build the driver the options ask for, falling back from io_uring to epoll
// when io_uring_setup fails (ENOSYS, EPERM, io_uring_disabled) or the ring
// lacks an op the driver needs (POLL_ADD...: EOPNOTSUPP), unless
// `allow_fallback` is false. The epoll driver then names the reason in
// features().fallback. Returns nullptr with `*err` set on failure.
std::unique_ptr<Driver> make_driver(const DriverOptions& opts, int* err = nullptr);

std::unique_ptr<Driver> make_uring_driver(const DriverOptions& opts, int* err,
                                          std::string* why = nullptr);
std::unique_ptr<Driver> make_epoll_driver(const DriverOptions& opts, int* err);

}  // namespace veloq
