// EpollDriver: the Driver emulated over epoll, for kernels / sandboxes where
// io_uring_setup fails (ENOSYS, EPERM under seccomp, io_uring_disabled).
//
// Three ways an op is served, each giving the result the ring would give:
//  - readiness ops (recv/send/accept/connect/poll, read/write on pipes,
//    sockets, ttys): the syscall is tried once at prepare time when the fd is
//    non-blocking; on EAGAIN the op waits in its fd's FIFO read / write /
//    poll queue and is retried when epoll reports readiness;
//  - work that always finishes (regular-file I/O, metadata, close, custom):
//    offloaded to the blocking pool (offload_), or run inside poll() when no
//    pool is attached;
//  - Timeout: a deadline list armed on one timerfd (ns precision, never early).
// Every result is queued and delivered only from inside poll().
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/driver/driver.hpp"

namespace veloq {

class EpollDriver final : public Driver {
 public:
  static std::unique_ptr<Driver> create(const DriverOptions& opts, int* err);
  ~EpollDriver() override;

  Backend backend() const override { return Backend::Epoll; }
  const DriverFeatures& features() const override { return feat_; }
  void prepare(Op* op) override;
  int submit() override { return 0; }  // nothing batches: ops start in prepare()
  void cancel(Op* op) override;
  int poll(int64_t timeout_ns) override;
  void wake() override;
  void post_completion(Op* op, int32_t res) override;
  size_t in_flight() const override { return in_flight_; }
  int pollable_fd() const override { return epfd_; }
  // Interest is registered and results queued outside poll() wake the epoll
  // fd; only what completion handlers started (deferred_, sync_) waits for
  // the next poll() without making the fd readable.
  bool needs_submit() const override { return !deferred_.empty() || !sync_.empty(); }

 private:
  // Waiters of one fd. Each queue is FIFO; only its head is retried.
  struct FdState {
    std::deque<Op*> readers;  // want EPOLLIN (recv, read, accept)
    std::deque<Op*> writers;  // want EPOLLOUT (send, write, connect)
    std::deque<Op*> pollers;  // PollAdd, own mask each
    uint32_t armed = 0;       // events currently registered with epoll
    bool registered = false;  // fd is in the epoll set (armed may be 0)
    dev_t dev = 0;            // identity of the file the waiters belong to,
    ino_t ino = 0;            // to notice a closed-and-reused fd number
  };
  struct Completion {
    Op* op;
    int32_t res;
    uint32_t flags;
  };

  EpollDriver() = default;
  int init(const DriverOptions& opts);

  void complete(Op* op, int32_t res, uint32_t flags = 0);  // queue for poll()
  void offload(Op* op);
  void start_readiness(Op* op);
  void start_timeout(Op* op);
  // Perform the op's syscall once without blocking. -EAGAIN = not ready.
  int32_t try_io(Op* op);
  // Put `op` in its fd's queue (on failure it is completed or offloaded).
  void enqueue(Op* op);
  int update_interest(int fd, FdState& st);
  void fail_waiters(FdState& st, int32_t res);
  void drain_queue(std::deque<Op*>& q);
  void on_ready(int fd, uint32_t events);
  bool remove_waiter(Op* op);
  void arm_timer();
  void fire_timers();
  void finish(Op* op, int32_t res, uint32_t flags);
  int dispatch();

  int epfd_ = -1;
  int event_fd_ = -1;
  int timer_fd_ = -1;
  bool have_pwait2_ = true;
  DriverFeatures feat_;

  std::unordered_map<int, FdState> fds_;
  std::multimap<uint64_t, Op*> timers_;  // deadline (CLOCK_MONOTONIC ns)
  std::unordered_map<Op*, std::multimap<uint64_t, Op*>::iterator> timer_of_;
  uint64_t timer_armed_ns_ = 0;  // 0 = disarmed

  std::vector<Completion> local_;
  std::vector<Op*> sync_;  // no pool: run inside poll()
  std::vector<Completion> deferred_;  // completed by handlers: for the next poll()
  bool dispatching_ = false;          // inside dispatch(): handlers are running
  std::mutex posted_mu_;
  std::vector<std::pair<Op*, int32_t>> posted_;
  std::atomic<bool> has_posted_{false};
  size_t in_flight_ = 0;
  bool in_poll_ = false;  // results queued now are dispatched before poll returns
};

}  // namespace veloq
