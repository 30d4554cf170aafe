#include "core/driver/epoll/epoll_driver.hpp"
#include "core/time/timer_wheel.hpp"

#include <fcntl.h>
#include <linux/time_types.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <string_view>

#include "core/op/sync_exec.hpp"

namespace veloq {

namespace {

// Readiness passes stay fair: a flood on one fd (multishot accept) yields
// after this many results and continues on the next poll.
constexpr int kMaxPerPass = 64;

}  // namespace

std::unique_ptr<Driver> make_epoll_driver(const DriverOptions& opts, int* err) {
  return EpollDriver::create(opts, err);
}

std::unique_ptr<Driver> EpollDriver::create(const DriverOptions& opts, int* err) {
  std::unique_ptr<EpollDriver> d(new EpollDriver());
  int e = d->init(opts);
  if (e != 0) {
    if (err) *err = e;
    return nullptr;
  }
  return d;
}

int EpollDriver::init(const DriverOptions& opts) {
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epfd_ < 0) return errno;
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) return errno;
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) return errno;
  for (int fd : {event_fd_, timer_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) < 0) return errno;
  }
  // Every opcode is served here (readiness, pool or timer). As on the ring,
  // an opcode named in `disable` is reported absent and goes to the blocking
  // pool as one plain syscall (tests use it to force degraded paths).
  for (size_t i = 0; i < size_t(OpCode::kCount); ++i) {
    feat_.opcode[i] = !opts.disables(opcode_name(OpCode(i)));
  }
  feat_.multishot_accept = !opts.disables("multishot_accept");
  feat_.fallback = opts.fallback_reason;
  return 0;
}

EpollDriver::~EpollDriver() {
  for (int fd : {timer_fd_, event_fd_, epfd_}) {
    if (fd >= 0) ::close(fd);
  }
}

// --- queueing results ------------------------------------------------------

void EpollDriver::complete(Op* op, int32_t res, uint32_t flags) {
  if ((flags & kOpMore) == 0) op->state = OpState::InFlight;  // result pending
  // Outside poll() nobody would notice a queued result: make the epoll fd
  // readable so embedders polling pollable_fd() come back to poll(0).
  if (dispatching_) {
    // Started by a completion handler and done at once (a poll on a ready
    // fd): delivered by the next poll(), as the ring delivers such an op's
    // CQE at the next reap. A re-armed poll thus reports once per turn,
    // which is what makes uv_poll level-triggered the way libuv's is.
    deferred_.push_back({op, res, flags});
    return;
  }
  if (local_.empty() && !in_poll_) wake();
  local_.push_back({op, res, flags});
}

void EpollDriver::offload(Op* op) {
  op->state = OpState::InFlight;
  ++stats_.offloaded;
  if (offload_) {
    offload_(op);
  } else {
    if (sync_.empty() && !in_poll_) wake();
    sync_.push_back(op);
  }
}

// --- starting ops ------------------------------------------------------------

void EpollDriver::prepare(Op* op) {
  ++in_flight_;
  ++stats_.submitted;
  op->state = OpState::InFlight;
  op->next = nullptr;
  if (size_t(op->code) >= size_t(OpCode::kCount)) {  // not an opcode: fail the op
    complete(op, -EINVAL);
    return;
  }
  if (op->force_blocking || !feat_.opcode[size_t(op->code)]) {
    offload(op);
    return;
  }
  switch (op->code) {
    case OpCode::Nop:
      complete(op, 0);
      return;
    case OpCode::Timeout:
      start_timeout(op);
      return;
    case OpCode::Recv:
    case OpCode::Send:
    case OpCode::RecvMsg:
    case OpCode::SendMsg:
    case OpCode::Accept:
    case OpCode::Connect:
    case OpCode::PollAdd:
      start_readiness(op);
      return;
    case OpCode::Read:
    case OpCode::Write:
    case OpCode::Readv:
    case OpCode::Writev: {
      const int pollable = fd_is_pollable(op->args.fd);
      if (pollable < 0) {
        complete(op, pollable);
      } else if (pollable) {
        start_readiness(op);
      } else {
        offload(op);  // regular file, block device, directory (EISDIR)
      }
      return;
    }
    case OpCode::Shutdown:
      complete(op, execute_sync(*op));  // never blocks
      return;
    case OpCode::Close: {
      // epoll forgets an fd silently once its file is closed: waiters on it
      // would hang forever. Fail them now and drop the registration first.
      auto it = fds_.find(op->args.fd);
      if (it != fds_.end()) {
        fail_waiters(it->second, -EBADF);
        if (it->second.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, it->first, nullptr);
        fds_.erase(it);
      }
      offload(op);
      return;
    }
    default:
      offload(op);
      return;
  }
}

void EpollDriver::start_timeout(Op* op) {
  const auto* ts = static_cast<const __kernel_timespec*>(op->args.addr);
  uint64_t rel = 0;
  if (ts != nullptr && ts->tv_sec >= 0 && ts->tv_nsec >= 0) {
    // Clamp to ~100 years so the absolute deadline cannot overflow.
    constexpr int64_t kMaxSec = int64_t(100) * 365 * 24 * 3600;
    rel = uint64_t(std::min<int64_t>(ts->tv_sec, kMaxSec)) * 1'000'000'000u + uint64_t(ts->tv_nsec);
  }
  auto it = timers_.emplace(monotonic_ns() + rel, op);
  timer_of_[op] = it;
  op->state = OpState::Queued;
  arm_timer();
}

void EpollDriver::start_readiness(Op* op) {
  const int fd = op->args.fd;
  if (op->code == OpCode::Connect) {
    if (!fd_nonblocking(fd)) {
      offload(op);  // a blocking connect can only finish by blocking
      return;
    }
    int32_t r = execute_sync(*op);  // connect(): on a non-blocking fd, never blocks
    if (r != -EINPROGRESS) {
      complete(op, r);
      return;
    }
    enqueue(op);  // EPOLLOUT -> SO_ERROR tells how it ended
    return;
  }
  // FIFO per fd: an op behind others must not overtake them.
  auto it = fds_.find(fd);
  bool queue_busy = false;
  if (it != fds_.end()) {
    const FdState& st = it->second;
    queue_busy = op->code == OpCode::PollAdd ? false
                 : op_is_reader(*op)            ? !st.readers.empty()
                                             : !st.writers.empty();
  }
  if (!queue_busy &&
      (op_uses_dontwait(op->code) || op->code == OpCode::PollAdd || fd_nonblocking(fd))) {
    for (int i = 0; i < kMaxPerPass; ++i) {
      int32_t r = try_io(op);
      if (r == -EAGAIN) break;
      if (op->code == OpCode::Accept && op->multishot && r >= 0) {
        complete(op, r, kOpMore);
        continue;
      }
      complete(op, r);
      return;
    }
  }
  enqueue(op);
}

int32_t EpollDriver::try_io(Op* op) { return try_nonblocking(*op); }

// --- fd waiter queues ------------------------------------------------------------

void EpollDriver::enqueue(Op* op) {
  const int fd = op->args.fd;
  struct stat sb {};
  if (::fstat(fd, &sb) < 0) {
    complete(op, -errno);
    return;
  }
  auto [it, inserted] = fds_.try_emplace(fd);
  FdState& st = it->second;
  if (!inserted && (st.dev != sb.st_dev || st.ino != sb.st_ino)) {
    // The fd number now names another file: the old one was closed behind
    // our back (epoll already dropped it). Its waiters can never finish.
    fail_waiters(st, -EBADF);
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    st.armed = 0;
    st.registered = false;
  }
  st.dev = sb.st_dev;
  st.ino = sb.st_ino;
  std::deque<Op*>& q = op->code == OpCode::PollAdd ? st.pollers
                       : op_is_reader(*op)            ? st.readers
                                                   : st.writers;
  q.push_back(op);
  op->state = OpState::Queued;
  int r = update_interest(fd, st);
  if (r == 0) return;
  // Registration failed; `st` may already be gone from fds_.
  auto again = fds_.find(fd);
  if (again != fds_.end()) {
    auto& q2 = op->code == OpCode::PollAdd ? again->second.pollers
               : op_is_reader(*op)            ? again->second.readers
                                           : again->second.writers;
    q2.erase(std::remove(q2.begin(), q2.end(), op), q2.end());
    update_interest(fd, again->second);
  }
  if (r == -EPERM) {
    // No poll support (regular file, /dev/null...): always ready.
    if (op->code == OpCode::PollAdd) {
      complete(op, int32_t(op->args.mask & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)));
    } else {
      offload(op);
    }
    return;
  }
  complete(op, r);
}

int EpollDriver::update_interest(int fd, FdState& st) {
  uint32_t want = 0;
  if (!st.readers.empty()) want |= EPOLLIN;
  if (!st.writers.empty()) want |= EPOLLOUT;
  for (Op* p : st.pollers) want |= p->args.mask;
  want &= EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLRDNORM | EPOLLWRNORM | EPOLLRDBAND |
          EPOLLWRBAND;
  if (st.readers.empty() && st.writers.empty() && st.pollers.empty()) {
    if (st.registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    fds_.erase(fd);
    return 0;
  }
  // want may be 0 (a PollAdd for ERR/HUP only): still registered, since
  // epoll always reports EPOLLERR/EPOLLHUP.
  if (st.registered && want == st.armed) return 0;
  epoll_event ev{};
  ev.events = want;
  ev.data.fd = fd;
  int ctl = st.registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
  int r = ::epoll_ctl(epfd_, ctl, fd, &ev);
  // A stale view (fd closed and reopened, or dup'd registration) is repaired
  // by trying the other verb once.
  if (r < 0 && ctl == EPOLL_CTL_MOD && errno == ENOENT) {
    r = ::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev);
  } else if (r < 0 && ctl == EPOLL_CTL_ADD && errno == EEXIST) {
    r = ::epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev);
  }
  if (r < 0) return -errno;
  st.armed = want;
  st.registered = true;
  return 0;
}

void EpollDriver::fail_waiters(FdState& st, int32_t res) {
  for (auto* q : {&st.readers, &st.writers, &st.pollers}) {
    for (Op* op : *q) complete(op, res);
    q->clear();
  }
}

// Retry the head of one queue while the fd stays ready.
void EpollDriver::drain_queue(std::deque<Op*>& q) {
  bool first = true;
  for (int i = 0; i < kMaxPerPass && !q.empty(); ++i) {
    Op* op = q.front();
    // Readiness covers one syscall; more only if they cannot block.
    if (!first && !op_uses_dontwait(op->code) && !fd_nonblocking(op->args.fd)) break;
    first = false;
    int32_t r = try_io(op);
    if (r == -EAGAIN) break;
    if (op->code == OpCode::Accept && op->multishot && r >= 0) {
      complete(op, r, kOpMore);
      continue;
    }
    q.pop_front();
    complete(op, r);
  }
}

void EpollDriver::on_ready(int fd, uint32_t events) {
  auto it = fds_.find(fd);
  if (it == fds_.end()) {
    ::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);  // stale registration
    return;
  }
  FdState& st = it->second;
  const uint32_t fail = EPOLLERR | EPOLLHUP;
  if (events & (EPOLLIN | EPOLLRDHUP | fail)) drain_queue(st.readers);
  if (events & (EPOLLOUT | fail)) drain_queue(st.writers);
  for (auto p = st.pollers.begin(); p != st.pollers.end();) {
    uint32_t rev = events & ((*p)->args.mask | fail);
    if (rev != 0) {
      complete(*p, int32_t(rev));
      p = st.pollers.erase(p);
    } else {
      ++p;
    }
  }
  update_interest(fd, st);  // may erase st
}

bool EpollDriver::remove_waiter(Op* op) {
  auto it = fds_.find(op->args.fd);
  if (it == fds_.end()) return false;
  FdState& st = it->second;
  for (auto* q : {&st.readers, &st.writers, &st.pollers}) {
    auto pos = std::find(q->begin(), q->end(), op);
    if (pos != q->end()) {
      q->erase(pos);
      update_interest(op->args.fd, st);
      return true;
    }
  }
  return false;
}

void EpollDriver::cancel(Op* op) {
  op->cancel_requested = true;
  // Only a waiting op can be withdrawn; one on the pool or with its result
  // queued completes normally (it won the race).
  if (op->state != OpState::Queued) return;
  if (op->code == OpCode::Timeout) {
    auto t = timer_of_.find(op);
    if (t == timer_of_.end()) return;
    timers_.erase(t->second);
    timer_of_.erase(t);
    arm_timer();
    complete(op, -ECANCELED);
    return;
  }
  if (remove_waiter(op)) complete(op, -ECANCELED);
}

// --- timers ----------------------------------------------------------------------

void EpollDriver::arm_timer() {
  uint64_t next = timers_.empty() ? 0 : timers_.begin()->first;
  if (next == timer_armed_ns_) return;
  itimerspec its{};
  its.it_value.tv_sec = time_t(next / 1'000'000'000u);
  its.it_value.tv_nsec = long(next % 1'000'000'000u);
  // Absolute CLOCK_MONOTONIC: the timerfd never fires before the deadline.
  ::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &its, nullptr);
  timer_armed_ns_ = next;
}

void EpollDriver::fire_timers() {
  if (timers_.empty()) return;
  const uint64_t now = monotonic_ns();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    Op* op = timers_.begin()->second;
    timers_.erase(timers_.begin());
    timer_of_.erase(op);
    complete(op, -ETIME);
  }
  arm_timer();
}

// --- completion delivery --------------------------------------------------------

void EpollDriver::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

void EpollDriver::post_completion(Op* op, int32_t res) {
  {
    std::lock_guard lk(posted_mu_);
    posted_.emplace_back(op, res);
  }
  has_posted_.store(true, std::memory_order_release);
  wake();
}

void EpollDriver::finish(Op* op, int32_t res, uint32_t flags) {
  if ((flags & kOpMore) == 0) --in_flight_;
  ++stats_.completed;
  op_dispatch(op, res, flags);
}

int EpollDriver::dispatch() {
  int n = 0;
  if (has_posted_.load(std::memory_order_acquire)) {
    std::vector<std::pair<Op*, int32_t>> batch;
    {
      std::lock_guard lk(posted_mu_);
      batch.swap(posted_);
      has_posted_.store(false, std::memory_order_relaxed);
    }
    for (auto [op, res] : batch) {
      finish(op, res, 0);
      ++n;
    }
  }
  // One pass: what the handlers below complete at once goes to deferred_
  // (see complete()) and is delivered by the next poll().
  std::vector<Op*> run;
  run.swap(sync_);
  for (Op* op : run) local_.push_back({op, execute_sync(*op), 0});
  std::vector<Completion> batch;
  batch.swap(local_);
  dispatching_ = true;
  for (const Completion& c : batch) {
    finish(c.op, c.res, c.flags);
    ++n;
  }
  dispatching_ = false;
  return n;
}

int EpollDriver::poll(int64_t timeout_ns) {
  in_poll_ = true;
  local_.insert(local_.end(), deferred_.begin(), deferred_.end());
  deferred_.clear();
  int n = dispatch();
  if (n > 0) timeout_ns = 0;
  epoll_event evs[128];
  int got;
  if (timeout_ns < 0) {
    got = ::epoll_wait(epfd_, evs, 128, -1);
  } else if (timeout_ns == 0) {
    got = ::epoll_wait(epfd_, evs, 128, 0);
  } else {
    got = -1;
    errno = ENOSYS;
    if (have_pwait2_) {
      timespec ts{time_t(timeout_ns / 1'000'000'000), long(timeout_ns % 1'000'000'000)};
      got = ::epoll_pwait2(epfd_, evs, 128, &ts, nullptr);
      if (got < 0 && errno == ENOSYS) have_pwait2_ = false;
    }
    if (!have_pwait2_) {
      // Milliseconds rounded up: a caller's deadline is never cut short.
      int64_t ms = (timeout_ns + 999'999) / 1'000'000;
      got = ::epoll_wait(epfd_, evs, 128, int(std::min<int64_t>(ms, INT32_MAX)));
    }
  }
  if (got < 0) {
    int e = errno;
    if (e != EINTR) {
      in_poll_ = false;
      return -e;
    }
    got = 0;
  }
  for (int i = 0; i < got; ++i) {
    const int fd = evs[i].data.fd;
    if (fd == event_fd_ || fd == timer_fd_) {
      uint64_t v;
      [[maybe_unused]] ssize_t r = ::read(fd, &v, sizeof v);
      if (fd == timer_fd_) timer_armed_ns_ = 0;  // expired: re-arm if needed
      continue;
    }
    on_ready(fd, evs[i].events);
  }
  fire_timers();
  n += dispatch();
  in_poll_ = false;
  return n;
}

}  // namespace veloq
