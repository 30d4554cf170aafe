// Cancel storm through the Driver interface (any backend): thousands of
// reads, accepts, opens and timeouts, detached and cancelled at random points
// (still in the backlog, just submitted, or already completed) while data and
// connections arrive. Afterwards: every op delivered its last completion,
// the registry is empty, and the open-fd count is back where it started (a
// cancelled open/accept that won the race had its fd closed, not leaked).
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/time_types.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>
#include <vector>

#include "support/driver_helpers.hpp"
#include "support/fd_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

Test(driver_cancel_storm, random_cancels_leak_nothing, .timeout = 30) {
  const size_t fds0 = count_open_fds();
  {
    auto d = driver_from_env(32);
    OpRegistry reg;
    int p[2];
    cr_assert_eq(::pipe2(p, O_CLOEXEC), 0);
    int l = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t alen = sizeof a;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &alen);
    cr_assert_eq(::listen(l, 512), 0);
    std::vector<int> clients;

    std::mt19937 rng(12345);
    constexpr int kOps = 3000;
    std::vector<Op*> pending;  // prepared, not yet detached
    for (int i = 0; i < kOps; ++i) {
      Op* op = nullptr;
      switch (rng() % 4) {
        case 0:
          op = reg.acquire(OpCode::Read);
          op->buf = FixedBuf::allocate(64);
          op->args.fd = p[0];
          op->args.addr = op->buf.data();
          op->args.len = 64;
          op->args.off = ~uint64_t{0};
          break;
        case 1:
          op = reg.acquire(OpCode::Accept);
          op->args.fd = l;
          op->args.flags = SOCK_CLOEXEC;
          break;
        case 2:
          op = reg.acquire(OpCode::OpenAt);
          op->args.fd2 = AT_FDCWD;
          op->own_path("/proc/self/stat");
          op->args.flags = O_RDONLY | O_CLOEXEC;
          break;
        default: {
          op = reg.acquire(OpCode::Timeout);
          auto* ts = reinterpret_cast<__kernel_timespec*>(op->own_bytes(sizeof(__kernel_timespec)));
          *ts = {0, long(rng() % 3'000'000)};
          op->args.addr = ts;
        }
      }
      // Owner-less op as ~IoOp leaves it: the driver's last completion
      // releases it and closes an fd it produced.
      d->prepare(op);
      pending.push_back(op);
      if (rng() % 8 == 0) d->poll(0);
      if (rng() % 16 == 0) {
        cr_assert_eq(::write(p[1], "data", 4), 4);
      }
      if (rng() % 16 == 0 && clients.size() < 400) {
        int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
        clients.push_back(c);
      }
      // Detach + cancel a random earlier op (it may be queued, in flight, or
      // already done: a done op must not be touched, so check its state).
      if (rng() % 2 == 0 && !pending.empty()) {
        size_t k = rng() % pending.size();
        Op* victim = pending[k];
        pending[k] = pending.back();
        pending.pop_back();
        if (victim->state == OpState::Done) {
          if (victim->result >= 0 && op_result_is_fd(*victim)) ::close(victim->result);
          reg.release(victim);
        } else {
          victim->detached = true;
          d->cancel(victim);
        }
      }
    }
    for (Op* op : pending) {
      if (op->state == OpState::Done) {
        if (op->result >= 0 && op_result_is_fd(*op)) ::close(op->result);
        reg.release(op);
      } else {
        op->detached = true;
        d->cancel(op);
      }
    }
    cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }, 20.0), "in_flight stuck at %zu",
              d->in_flight());
    cr_assert_eq(reg.live(), 0u, "%zu slots leaked", reg.live());
    for (int c : clients) ::close(c);
    ::close(l);
    ::close(p[0]);
    ::close(p[1]);
  }
  cr_assert_eq(count_open_fds(), fds0, "fd leak: %zu before, %zu after", fds0, count_open_fds());
}
