// The epoll driver through the Driver interface: readiness waits, FIFO queues
// per fd, connect/accept (also multishot), cancel, timeouts, pool offload,
// cross-thread wake/post, many ops in flight.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/time_types.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/driver/driver.hpp"
#include "core/op/registry.hpp"

using namespace veloq;
using Clock = std::chrono::steady_clock;

namespace {

struct Rec {
  Op* op;
  int32_t res;
  uint32_t flags;
};

// A driver plus an op registry; every completion is recorded in order.
struct Harness {
  std::unique_ptr<Driver> d;
  OpRegistry reg;
  std::vector<Rec> done;

  Harness() {
    int err = 0;
    d = make_epoll_driver(DriverOptions{}, &err);
    cr_assert_not_null(d.get(), "make_epoll_driver failed: %d", err);
    cr_assert_eq(d->backend(), Backend::Epoll);
  }
  ~Harness() {
    for (const Rec& r : done) {
      if ((r.flags & kOpMore) == 0 && reg.owns(r.op)) reg.release(r.op);
    }
  }
  static void on_complete(Op* op, int32_t res, uint32_t flags) {
    static_cast<Harness*>(op->owner)->done.push_back({op, res, flags});
  }
  Op* make(OpCode c, int fd = -1) {
    Op* op = reg.acquire(c);
    op->owner = this;
    op->on_complete = &Harness::on_complete;
    op->args.fd = fd;
    op->args.off = ~uint64_t{0};
    return op;
  }
  // Poll until `n` completions were recorded or `limit` passed.
  void run_until(size_t n, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    auto end = Clock::now() + limit;
    while (done.size() < n && Clock::now() < end) d->poll(10'000'000);
  }
  const Rec* find(Op* op) const {
    for (const Rec& r : done) {
      if (r.op == op && (r.flags & kOpMore) == 0) return &r;
    }
    return nullptr;
  }
};

void tcp_listener(int* lfd, sockaddr_in* addr) {
  *lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  cr_assert_geq(*lfd, 0);
  *addr = {};
  addr->sin_family = AF_INET;
  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(::bind(*lfd, reinterpret_cast<sockaddr*>(addr), sizeof *addr), 0);
  socklen_t n = sizeof *addr;
  cr_assert_eq(::getsockname(*lfd, reinterpret_cast<sockaddr*>(addr), &n), 0);
  cr_assert_eq(::listen(*lfd, 16), 0);
}

}  // namespace

Test(driver_epoll, nop_is_delivered_only_inside_poll) {
  Harness h;
  Op* op = h.make(OpCode::Nop);
  h.d->prepare(op);
  cr_assert_eq(h.done.size(), 0u, "completion delivered inline from prepare()");
  cr_assert_eq(h.d->in_flight(), 1u);
  // The pending result makes the pollable fd readable for embedders.
  pollfd p{h.d->pollable_fd(), POLLIN, 0};
  cr_assert_eq(::poll(&p, 1, 0), 1);
  cr_assert_eq(h.d->poll(0), 1);
  cr_assert_eq(h.done.size(), 1u);
  cr_assert_eq(h.done[0].res, 0);
  cr_assert_eq(h.d->in_flight(), 0u);
  cr_assert(h.d->features().opcode[size_t(OpCode::Recv)]);
  cr_assert(h.d->features().multishot_accept);
}

Test(driver_epoll, pipe_read_waits_for_data) {
  Harness h;
  int p[2];
  cr_assert_eq(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  char buf[16] = {};
  Op* rd = h.make(OpCode::Read, p[0]);
  rd->args.addr = buf;
  rd->args.len = sizeof buf;
  h.d->prepare(rd);
  h.d->poll(0);
  h.d->poll(20'000'000);
  cr_assert_eq(h.done.size(), 0u, "read completed with an empty pipe");
  cr_assert_eq(h.d->in_flight(), 1u);
  cr_assert_eq(::write(p[1], "hello", 5), 5);
  h.run_until(1);
  cr_assert_eq(h.done.size(), 1u);
  cr_assert_eq(h.done[0].res, 5);
  cr_assert_eq(std::string(buf, 5), "hello");
  // A write on the (non-full) pipe completes at once, at the next poll.
  Op* wr = h.make(OpCode::Write, p[1]);
  wr->args.addr = const_cast<char*>("xyz");
  wr->args.len = 3;
  h.d->prepare(wr);
  h.run_until(2);
  cr_assert_eq(h.find(wr)->res, 3);
  ::close(p[0]);
  ::close(p[1]);
}

Test(driver_epoll, blocking_pipe_read_does_not_block_worker) {
  Harness h;
  int p[2];
  cr_assert_eq(::pipe2(p, O_CLOEXEC), 0);  // blocking fds
  char buf[8] = {};
  Op* rd = h.make(OpCode::Read, p[0]);
  rd->args.addr = buf;
  rd->args.len = sizeof buf;
  auto t0 = Clock::now();
  h.d->prepare(rd);
  h.d->poll(0);
  cr_assert_lt(Clock::now() - t0, std::chrono::seconds(1), "blocked on a blocking pipe");
  cr_assert_eq(h.done.size(), 0u);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    [[maybe_unused]] ssize_t n = ::write(p[1], "abc", 3);
  });
  h.run_until(1);
  writer.join();
  cr_assert_eq(h.done.size(), 1u);
  cr_assert_eq(h.done[0].res, 3);
  cr_assert_eq(std::string(buf, 3), "abc");
  ::close(p[0]);
  ::close(p[1]);
}

Test(driver_epoll, queued_recvs_and_sends_keep_fifo_order) {
  Harness h;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  char bufs[3][4] = {};
  Op* rv[3];
  for (int i = 0; i < 3; ++i) {
    rv[i] = h.make(OpCode::Recv, sv[0]);
    rv[i]->args.addr = bufs[i];
    rv[i]->args.len = 4;
    h.d->prepare(rv[i]);
  }
  h.d->poll(0);
  cr_assert_eq(h.done.size(), 0u);
  cr_assert_eq(::send(sv[1], "AAAABBBBCCCC", 12, 0), 12);
  h.run_until(3);
  cr_assert_eq(h.done.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    cr_assert_eq(h.done[i].op, rv[i], "recv %d completed out of order", i);
    cr_assert_eq(h.done[i].res, 4);
    cr_assert_eq(bufs[i][0], "ABC"[i]);
  }
  // Sends on the other direction, also in submission order.
  const char* parts[3] = {"one-", "two-", "six."};
  for (int i = 0; i < 3; ++i) {
    Op* s = h.make(OpCode::Send, sv[1]);
    s->args.addr = const_cast<char*>(parts[i]);
    s->args.len = 4;
    h.d->prepare(s);
  }
  h.run_until(6);
  cr_assert_eq(h.done.size(), 6u);
  char got[13] = {};
  cr_assert_eq(::recv(sv[0], got, 12, 0), 12);
  cr_assert_str_eq(got, "one-two-six.");
  ::close(sv[0]);
  ::close(sv[1]);
}

Test(driver_epoll, accept_and_connect_on_loopback) {
  Harness h;
  int lfd;
  sockaddr_in addr;
  tcp_listener(&lfd, &addr);
  Op* acc = h.make(OpCode::Accept, lfd);
  acc->args.flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  h.d->prepare(acc);
  h.d->poll(0);
  cr_assert_eq(h.done.size(), 0u, "accept completed with no client");
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  Op* con = h.make(OpCode::Connect, c);
  auto* sa = reinterpret_cast<sockaddr_in*>(con->own_bytes(sizeof addr));
  *sa = addr;
  con->args.addr = sa;
  con->args.len = sizeof addr;
  h.d->prepare(con);
  h.run_until(2);
  cr_assert_eq(h.done.size(), 2u);
  cr_assert_eq(h.find(con)->res, 0);
  int s = h.find(acc)->res;
  cr_assert_geq(s, 0, "accept failed: %d", s);
  cr_assert_eq(::send(c, "ping", 4, 0), 4);
  char b[4];
  Op* rv = h.make(OpCode::Recv, s);
  rv->args.addr = b;
  rv->args.len = 4;
  h.d->prepare(rv);
  h.run_until(3);
  cr_assert_eq(h.find(rv)->res, 4);
  cr_assert_eq(std::memcmp(b, "ping", 4), 0);
  ::close(s);
  ::close(c);
  ::close(lfd);
}

Test(driver_epoll, connect_refused) {
  Harness h;
  // A bound, non-listening port on loopback refuses connections.
  int hold = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(::bind(hold, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t n = sizeof addr;
  ::getsockname(hold, reinterpret_cast<sockaddr*>(&addr), &n);
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  Op* con = h.make(OpCode::Connect, c);
  con->args.addr = &addr;
  con->args.len = sizeof addr;
  h.d->prepare(con);
  h.run_until(1);
  cr_assert_eq(h.done.size(), 1u);
  cr_assert_eq(h.done[0].res, -ECONNREFUSED, "got %d", h.done[0].res);
  ::close(c);
  ::close(hold);
}

Test(driver_epoll, multishot_accept_until_cancelled) {
  Harness h;
  int lfd;
  sockaddr_in addr;
  tcp_listener(&lfd, &addr);
  Op* acc = h.make(OpCode::Accept, lfd);
  acc->multishot = true;
  acc->args.flags = SOCK_CLOEXEC;
  h.d->prepare(acc);
  int clients[3];
  for (int& c : clients) {
    c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_eq(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  }
  h.run_until(3);
  cr_assert_eq(h.done.size(), 3u);
  for (const Rec& r : h.done) {
    cr_assert_eq(r.op, acc);
    cr_assert_geq(r.res, 0);
    cr_assert(r.flags & kOpMore, "multishot result without kOpMore");
    ::close(r.res);
  }
  cr_assert_eq(h.d->in_flight(), 1u);
  h.d->cancel(acc);
  cr_assert_eq(h.done.size(), 3u, "cancel delivered inline");
  h.run_until(4);
  cr_assert_eq(h.done.size(), 4u);
  cr_assert_eq(h.done[3].res, -ECANCELED);
  cr_assert_eq(h.done[3].flags & kOpMore, 0u);
  cr_assert_eq(h.d->in_flight(), 0u);
  for (int c : clients) ::close(c);
  ::close(lfd);
}

Test(driver_epoll, cancel_waiting_recv_keeps_buffer_and_data) {
  Harness h;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  Op* rv = h.make(OpCode::Recv, sv[0]);
  rv->buf = FixedBuf::allocate(64);
  rv->args.addr = rv->buf.data();
  rv->args.len = rv->buf.capacity();
  h.d->prepare(rv);
  h.d->poll(0);
  h.d->cancel(rv);
  cr_assert_eq(h.done.size(), 0u, "cancel delivered inline");
  cr_assert_not_null(rv->buf.data(), "buffer released before the last completion");
  h.run_until(1);
  cr_assert_eq(h.done.size(), 1u);
  cr_assert_eq(h.done[0].res, -ECANCELED);
  cr_assert_eq(h.d->in_flight(), 0u);
  // The cancelled recv consumed nothing: data sent now is still readable.
  cr_assert_eq(::send(sv[1], "data", 4, 0), 4);
  h.d->poll(20'000'000);
  cr_assert_eq(h.done.size(), 1u);
  char b[8];
  cr_assert_eq(::recv(sv[0], b, sizeof b, 0), 4);
  ::close(sv[0]);
  ::close(sv[1]);
}

Test(driver_epoll, timeouts_fire_in_order_and_never_early) {
  Harness h;
  const int ms[] = {60, 20, 40, 1};
  __kernel_timespec ts[4];
  Op* ops[4];
  auto t0 = Clock::now();
  for (int i = 0; i < 4; ++i) {
    ts[i] = {0, ms[i] * 1'000'000LL};
    ops[i] = h.make(OpCode::Timeout);
    ops[i]->args.addr = &ts[i];
    h.d->prepare(ops[i]);
  }
  std::vector<std::chrono::nanoseconds> at;
  auto end = Clock::now() + std::chrono::seconds(5);
  while (h.done.size() < 4 && Clock::now() < end) {
    size_t before = h.done.size();
    h.d->poll(-1);  // the timerfd wakes it
    for (size_t i = before; i < h.done.size(); ++i) at.push_back(Clock::now() - t0);
  }
  cr_assert_eq(h.done.size(), 4u);
  const int order[] = {3, 1, 2, 0};
  for (int i = 0; i < 4; ++i) {
    cr_assert_eq(h.done[i].op, ops[order[i]], "timeout %d out of order", i);
    cr_assert_eq(h.done[i].res, -ETIME);
    cr_assert_geq(at[i], std::chrono::milliseconds(ms[order[i]]), "timeout fired early");
  }
  // A cancelled timeout reports -ECANCELED and never -ETIME.
  __kernel_timespec longer{10, 0};
  Op* t = h.make(OpCode::Timeout);
  t->args.addr = &longer;
  h.d->prepare(t);
  h.d->cancel(t);
  h.run_until(5);
  cr_assert_eq(h.find(t)->res, -ECANCELED);
}

Test(driver_epoll, poll_timeout_is_not_early) {
  Harness h;
  for (int64_t ns : {1'500'000LL, 7'000'000LL}) {
    auto t0 = Clock::now();
    cr_assert_eq(h.d->poll(ns), 0);
    cr_assert_geq(Clock::now() - t0, std::chrono::nanoseconds(ns), "poll returned early");
  }
}

Test(driver_epoll, poll_add_reports_revents) {
  Harness h;
  int p[2];
  cr_assert_eq(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  Op* pa = h.make(OpCode::PollAdd, p[0]);
  pa->args.mask = POLLIN;
  h.d->prepare(pa);
  h.d->poll(10'000'000);
  cr_assert_eq(h.done.size(), 0u);
  cr_assert_eq(::write(p[1], "x", 1), 1);
  h.run_until(1);
  cr_assert_eq(h.done.size(), 1u);
  cr_assert(h.done[0].res & POLLIN);
  ::close(p[0]);
  ::close(p[1]);
}

Test(driver_epoll, file_ops_run_inside_poll_without_pool) {
  Harness h;
  char path[] = "/tmp/veloq_epoll_XXXXXX";
  int fd = ::mkstemp(path);
  cr_assert_geq(fd, 0);
  Op* wr = h.make(OpCode::Write, fd);
  wr->args.addr = const_cast<char*>("filedata");
  wr->args.len = 8;
  wr->args.off = 0;
  h.d->prepare(wr);
  cr_assert_eq(h.done.size(), 0u);
  h.run_until(1);
  cr_assert_eq(h.done[0].res, 8);
  char b[8] = {};
  Op* rd = h.make(OpCode::Read, fd);
  rd->args.addr = b;
  rd->args.len = 8;
  rd->args.off = 4;
  h.d->prepare(rd);
  h.run_until(2);
  cr_assert_eq(h.done[1].res, 4);
  cr_assert_eq(std::string(b, 4), "data");
  cr_assert_geq(h.d->stats().offloaded, 2u);
  Op* un = h.make(OpCode::UnlinkAt);
  un->args.fd2 = AT_FDCWD;
  un->own_path(path);
  h.d->prepare(un);
  h.run_until(3);
  cr_assert_eq(h.done[2].res, 0);
  cr_assert_neq(::access(path, F_OK), 0);
  ::close(fd);
}

Test(driver_epoll, offloaded_ops_post_from_another_thread) {
  Harness h;
  std::vector<std::thread> threads;
  Driver* d = h.d.get();
  h.d->set_offload([d, &threads](Op* op) {
    threads.emplace_back([d, op] {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      d->post_completion(op, 42);
    });
  });
  Op* c = h.make(OpCode::Fsync, 0);
  h.d->prepare(c);
  // Already running on the "pool": cancel cannot withdraw it, the real
  // result arrives.
  h.d->cancel(c);
  h.run_until(1);
  for (auto& t : threads) t.join();
  cr_assert_eq(h.done.size(), 1u);
  cr_assert_eq(h.done[0].res, 42);
  cr_assert_eq(h.d->in_flight(), 0u);
}

Test(driver_epoll, wake_from_another_thread) {
  Harness h;
  int p[2];
  cr_assert_eq(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  char b;
  Op* rd = h.make(OpCode::Read, p[0]);  // keeps the driver with work in flight
  rd->args.addr = &b;
  rd->args.len = 1;
  h.d->prepare(rd);
  Driver* d = h.d.get();
  std::thread waker([d] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    d->wake();
  });
  auto t0 = Clock::now();
  int n = h.d->poll(-1);
  auto took = Clock::now() - t0;
  waker.join();
  cr_assert_eq(n, 0);
  cr_assert_lt(took, std::chrono::seconds(3), "wake() did not interrupt poll");
  h.d->cancel(rd);
  h.run_until(1);
  cr_assert_eq(h.done[0].res, -ECANCELED);
  ::close(p[0]);
  ::close(p[1]);
}

Test(driver_epoll, thousand_ops_in_flight) {
  Harness h;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  constexpr int kN = 1000;
  static unsigned char bytes[kN];
  std::vector<Op*> ops;
  for (int i = 0; i < kN; ++i) {
    Op* r = h.make(OpCode::Recv, sv[0]);
    r->args.addr = &bytes[i];
    r->args.len = 1;
    h.d->prepare(r);
    ops.push_back(r);
  }
  h.d->poll(0);
  cr_assert_eq(h.d->in_flight(), size_t(kN));
  unsigned char out[kN];
  for (int i = 0; i < kN; ++i) out[i] = static_cast<unsigned char>(i * 7);
  cr_assert_eq(::send(sv[1], out, kN, 0), kN);
  h.run_until(kN);
  cr_assert_eq(h.done.size(), size_t(kN));
  for (int i = 0; i < kN; ++i) {
    cr_assert_eq(h.done[i].op, ops[i]);
    cr_assert_eq(h.done[i].res, 1);
    cr_assert_eq(bytes[i], out[i], "byte %d out of order", i);
  }
  cr_assert_eq(h.d->in_flight(), 0u);
  ::close(sv[0]);
  ::close(sv[1]);
}

Test(driver_epoll, close_fails_waiters_on_that_fd) {
  Harness h;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  char b[4];
  Op* rv = h.make(OpCode::Recv, sv[0]);
  rv->args.addr = b;
  rv->args.len = 4;
  h.d->prepare(rv);
  Op* cl = h.make(OpCode::Close, sv[0]);
  h.d->prepare(cl);
  h.run_until(2);
  cr_assert_eq(h.find(rv)->res, -EBADF);
  cr_assert_eq(h.find(cl)->res, 0);
  cr_assert_eq(h.d->in_flight(), 0u);
  ::close(sv[1]);
}

Test(driver_epoll, fd_closed_behind_our_back_and_reused) {
  Harness h;
  int a[2], b[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, a), 0);
  char x[4], y[4];
  Op* old_rv = h.make(OpCode::Recv, a[0]);
  old_rv->args.addr = x;
  old_rv->args.len = 4;
  h.d->prepare(old_rv);
  h.d->poll(0);
  const int num = a[0];
  ::close(a[0]);  // not through the driver: epoll drops it silently
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, b), 0);
  if (b[0] != num) cr_skip_test("fd number not reused");
  Op* new_rv = h.make(OpCode::Recv, b[0]);
  new_rv->args.addr = y;
  new_rv->args.len = 4;
  h.d->prepare(new_rv);
  cr_assert_eq(::send(b[1], "new!", 4, 0), 4);
  h.run_until(2);
  cr_assert_eq(h.find(old_rv)->res, -EBADF, "waiter of the closed file not failed");
  cr_assert_eq(h.find(new_rv)->res, 4, "op on the reused fd number never ran");
  cr_assert_eq(std::memcmp(y, "new!", 4), 0);
  ::close(a[1]);
  ::close(b[0]);
  ::close(b[1]);
}

Test(driver_epoll, unpollable_files_are_always_ready) {
  Harness h;
  char path[] = "/tmp/veloq_epoll_poll_XXXXXX";
  int fd = ::mkstemp(path);
  ::unlink(path);
  Op* pa = h.make(OpCode::PollAdd, fd);
  pa->args.mask = POLLIN | POLLOUT;
  h.d->prepare(pa);
  int dn = ::open("/dev/null", O_RDONLY | O_CLOEXEC);  // char device
  char c;
  Op* rd = h.make(OpCode::Read, dn);
  rd->args.addr = &c;
  rd->args.len = 1;
  h.d->prepare(rd);
  h.run_until(2);
  cr_assert_eq(h.find(pa)->res, POLLIN | POLLOUT);
  cr_assert_eq(h.find(rd)->res, 0, "read of /dev/null: %d", h.find(rd)->res);
  cr_assert_eq(h.d->in_flight(), 0u);
  ::close(fd);
  ::close(dn);
}

Test(driver_epoll, blocking_sockets_never_block_the_worker) {
  Harness h;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);  // blocking
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);                 // blocking
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t n = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &n);
  cr_assert_eq(::listen(lfd, 4), 0);
  char b[8];
  Op* rv = h.make(OpCode::Recv, sv[0]);
  rv->args.addr = b;
  rv->args.len = sizeof b;
  Op* acc = h.make(OpCode::Accept, lfd);
  auto t0 = Clock::now();
  h.d->prepare(rv);
  h.d->prepare(acc);
  h.d->poll(0);
  h.d->poll(10'000'000);
  cr_assert_lt(Clock::now() - t0, std::chrono::seconds(1), "worker blocked");
  cr_assert_eq(h.done.size(), 0u);
  cr_assert_eq(::send(sv[1], "blk", 3, 0), 3);
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_eq(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  h.run_until(2);
  cr_assert_eq(h.find(rv)->res, 3);
  cr_assert_geq(h.find(acc)->res, 0);
  ::close(h.find(acc)->res);
  ::close(c);
  ::close(lfd);
  ::close(sv[0]);
  ::close(sv[1]);
}

Test(driver_epoll, poll_add_without_events_still_sees_hangup) {
  Harness h;
  int p[2];
  cr_assert_eq(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  Op* pa = h.make(OpCode::PollAdd, p[0]);
  pa->args.mask = 0;  // only ERR/HUP, which poll always reports
  h.d->prepare(pa);
  h.d->poll(10'000'000);
  cr_assert_eq(h.done.size(), 0u);
  cr_assert_eq(h.d->in_flight(), 1u, "waiter with an empty mask was dropped");
  ::close(p[1]);
  h.run_until(1);
  cr_assert_eq(h.done.size(), 1u);
  cr_assert(h.done[0].res & POLLHUP, "revents %#x", h.done[0].res);
  ::close(p[0]);
}

Test(driver_epoll, disabled_opcodes_go_to_the_pool) {
  DriverOptions o;
  o.disable = "recv,send";
  int err = 0;
  auto d = make_epoll_driver(o, &err);
  cr_assert_not_null(d.get());
  cr_assert(!d->features().opcode[size_t(OpCode::Recv)]);
  cr_assert(!d->features().opcode[size_t(OpCode::Send)]);
  cr_assert(d->features().opcode[size_t(OpCode::Accept)]);
  // Like the ring with a missing opcode: one plain syscall on the pool, so a
  // recv on an empty non-blocking socket answers -EAGAIN instead of waiting.
  OpRegistry reg;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
  char b[4];
  int32_t got = 1;
  Op* rv = reg.acquire(OpCode::Recv);
  rv->owner = &got;
  rv->on_complete = [](Op* op, int32_t res, uint32_t) { *static_cast<int32_t*>(op->owner) = res; };
  rv->args.fd = sv[0];
  rv->args.addr = b;
  rv->args.len = 4;
  d->prepare(rv);
  for (int i = 0; i < 100 && d->in_flight() > 0; ++i) d->poll(10'000'000);
  cr_assert_eq(got, -EAGAIN);
  cr_assert_eq(d->stats().offloaded, 1u);
  reg.release(rv);
  ::close(sv[0]);
  ::close(sv[1]);
}
