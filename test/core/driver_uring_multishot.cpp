// Multishot accept and multishot recv (provided buffer ring). Completions
// with kOpMore keep the op alive; the final one (no kOpMore) ends it; cancel
// of a multishot op still ends with a final completion.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "core/driver/uring/uring_driver.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

namespace {
UringDriver* uring_or_skip(Driver& d) {
  auto* u = dynamic_cast<UringDriver*>(&d);
  if (u == nullptr) cr_skip("io_uring backend not in use");
  return u;
}

int listener(sockaddr_in* a) {
  int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  *a = {};
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(::bind(l, reinterpret_cast<sockaddr*>(a), sizeof *a), 0);
  socklen_t len = sizeof *a;
  ::getsockname(l, reinterpret_cast<sockaddr*>(a), &len);
  cr_assert_eq(::listen(l, 64), 0);
  return l;
}

struct Accepted {
  std::vector<int> fds;
  int finals = 0;
  int32_t final_res = 0;
};
void on_accept(Op* op, int32_t res, uint32_t flags) {
  auto* a = static_cast<Accepted*>(op->owner);
  if (flags & kOpMore) {
    a->fds.push_back(res);
  } else {
    ++a->finals;
    a->final_res = res;
    if (res >= 0) a->fds.push_back(res);
  }
}
}  // namespace

Test(driver_uring_multishot, accept_many_then_cancel_ends_with_final, .timeout = 10) {
  auto d = driver_from_env();
  UringDriver* u = uring_or_skip(*d);
  cr_assert(u->features().multishot_accept);
  OpRegistry reg;
  sockaddr_in a;
  int l = listener(&a);
  Accepted acc;
  Op* op = reg.acquire(OpCode::Accept);
  op->owner = &acc;
  op->on_complete = &on_accept;
  op->multishot = true;
  op->args.fd = l;
  op->args.flags = SOCK_CLOEXEC;
  d->prepare(op);
  d->poll(0);
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) {
    int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert_eq(::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    clients.push_back(c);
  }
  cr_assert(poll_until(*d, [&] { return acc.fds.size() == 5 || acc.finals > 0; }));
  cr_assert_eq(acc.finals, 0, "multishot accept ended early: %d", acc.final_res);
  cr_assert_eq(acc.fds.size(), 5u);
  for (int fd : acc.fds) cr_assert_geq(fd, 0);
  cr_assert_eq(d->in_flight(), 1u, "one multishot op for five connections");
  d->cancel(op);
  cr_assert(poll_until(*d, [&] { return acc.finals > 0; }));
  cr_assert_eq(acc.finals, 1);
  cr_assert_eq(acc.final_res, -ECANCELED, "final: %d", acc.final_res);
  cr_assert_eq(d->in_flight(), 0u);
  reg.release(op);
  cr_assert_eq(reg.live(), 0u);
  for (int fd : acc.fds) ::close(fd);
  for (int c : clients) ::close(c);
  ::close(l);
}

namespace {
struct Received {
  UringDriver* d = nullptr;
  uint16_t bgid = 0;
  std::string data;
  int more = 0;
  int finals = 0;
  int32_t final_res = 0;
  bool missing_buffer_flag = false;
};
void on_recv(Op* op, int32_t res, uint32_t flags) {
  auto* r = static_cast<Received*>(op->owner);
  if (res > 0) {
    if ((flags & kOpBufferSelected) == 0) {
      r->missing_buffer_flag = true;
    } else {
      uint16_t bid = op_buffer_id(flags);
      r->data.append(reinterpret_cast<const char*>(r->d->buf_group_data(r->bgid, bid)),
                     size_t(res));
      r->d->recycle_buffer(r->bgid, bid);  // consumed: give it back
    }
  }
  if (flags & kOpMore) {
    ++r->more;
  } else {
    ++r->finals;
    r->final_res = res;
  }
}
}  // namespace

Test(driver_uring_multishot, recv_with_buffer_ring_until_eof, .timeout = 10) {
  auto d = driver_from_env();
  UringDriver* u = uring_or_skip(*d);
  constexpr uint16_t kGroup = 7;
  cr_assert_eq(u->setup_buf_group(kGroup, 4, 16), 0);
  cr_assert_eq(u->setup_buf_group(kGroup, 4, 16), -EINVAL, "duplicate group accepted");
  OpRegistry reg;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Received rx;
  rx.d = u;
  rx.bgid = kGroup;
  Op* op = reg.acquire(OpCode::Recv);
  op->owner = &rx;
  op->on_complete = &on_recv;
  op->multishot = true;
  op->args.fd = sv[0];
  op->args.mask = kGroup;
  d->prepare(op);
  d->poll(0);
  // More messages than buffers in the ring: recycling keeps it going.
  std::string expect;
  for (int i = 0; i < 12; ++i) {
    std::string msg = "msg" + std::to_string(i) + ";";
    expect += msg;
    cr_assert_eq(::write(sv[1], msg.data(), msg.size()), ssize_t(msg.size()));
    cr_assert(poll_until(*d, [&] { return rx.data.size() == expect.size() || rx.finals > 0; }));
    cr_assert_eq(rx.finals, 0, "multishot recv ended early: %d", rx.final_res);
  }
  cr_assert(!rx.missing_buffer_flag);
  cr_assert_str_eq(rx.data.c_str(), expect.c_str());
  cr_assert_geq(rx.more, 12);
  ::close(sv[1]);  // EOF ends the multishot recv
  cr_assert(poll_until(*d, [&] { return rx.finals > 0; }));
  cr_assert_eq(rx.finals, 1);
  cr_assert_eq(rx.final_res, 0);
  cr_assert_eq(d->in_flight(), 0u);
  reg.release(op);
  ::close(sv[0]);
}

Test(driver_uring_multishot, recv_cancel_ends_with_final, .timeout = 10) {
  auto d = driver_from_env();
  UringDriver* u = uring_or_skip(*d);
  cr_assert_eq(u->setup_buf_group(1, 2, 64), 0);
  OpRegistry reg;
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Received rx;
  rx.d = u;
  rx.bgid = 1;
  Op* op = reg.acquire(OpCode::Recv);
  op->owner = &rx;
  op->on_complete = &on_recv;
  op->multishot = true;
  op->args.fd = sv[0];
  op->args.mask = 1;
  d->prepare(op);
  cr_assert_eq(::write(sv[1], "x", 1), 1);
  cr_assert(poll_until(*d, [&] { return rx.data == "x"; }));
  d->cancel(op);
  cr_assert(poll_until(*d, [&] { return rx.finals > 0; }));
  cr_assert_eq(rx.final_res, -ECANCELED);
  cr_assert_eq(d->in_flight(), 0u);
  reg.release(op);
  ::close(sv[0]);
  ::close(sv[1]);
}

Test(driver_uring_multishot, recv_without_group_fails_cleanly, .timeout = 10) {
  auto d = driver_from_env();
  uring_or_skip(*d);
  OpRegistry reg;
  Seen s;
  Op* op = make_op(reg, OpCode::Recv, &s);
  op->multishot = true;
  op->args.fd = 0;
  op->args.mask = 99;  // no such group
  d->prepare(op);
  cr_assert_eq(s.completions, 0);
  cr_assert(poll_until(*d, [&] { return s.finals > 0; }));
  cr_assert_eq(s.last_res, -EOPNOTSUPP);
  reg.release(op);
}

// VELOQ_URING_DISABLE=multishot_accept,buf_ring: a multishot accept runs as
// a single-shot one (one final completion; the caller re-arms), and buffer
// groups are refused, so multishot recv is unavailable.
Test(driver_uring_multishot, masked_features_degrade, .timeout = 10) {
  ::setenv("VELOQ_URING_DISABLE", "multishot_accept,buf_ring", 1);
  auto d = driver_from_env();
  UringDriver* u = uring_or_skip(*d);
  cr_assert(!u->features().multishot_accept);
  cr_assert(!u->features().buf_ring);
  cr_assert(!u->features().multishot_recv);
  cr_assert_eq(u->setup_buf_group(3, 4, 64), -EOPNOTSUPP);
  OpRegistry reg;
  sockaddr_in a;
  int l = listener(&a);
  Accepted acc;
  Op* op = reg.acquire(OpCode::Accept);
  op->owner = &acc;
  op->on_complete = &on_accept;
  op->multishot = true;
  op->args.fd = l;
  op->args.flags = SOCK_CLOEXEC;
  d->prepare(op);
  d->poll(0);
  int c1 = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int c2 = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_eq(::connect(c1, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  cr_assert_eq(::connect(c2, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  cr_assert(poll_until(*d, [&] { return acc.finals > 0; }));
  d->poll(10'000'000);
  cr_assert_eq(acc.finals, 1);
  cr_assert_eq(acc.fds.size(), 1u, "single-shot accept took %zu connections", acc.fds.size());
  cr_assert_geq(acc.final_res, 0);
  cr_assert_eq(d->in_flight(), 0u);
  reg.release(op);
  for (int fd : acc.fds) ::close(fd);
  ::close(c1);
  ::close(c2);
  ::close(l);
}
