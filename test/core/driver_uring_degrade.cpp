// io_uring without the socket opcodes (an older kernel, or VELOQ_URING_DISABLE):
// socket, pipe and tty ops wait for readiness with POLL_ADD on the ring and
// then run the non-blocking syscall, so they wait like ring ops and can be
// cancelled like ring ops — none of them blocks a pool thread. Without
// POLL_ADD the ring is not usable and make_driver falls back to epoll, saying
// why. Skipped when io_uring itself is unavailable.
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <utility>
#include <string>

#include "core/driver/driver.hpp"
#include "core/op/registry.hpp"
#include "core/op/sync_exec.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

namespace {

constexpr const char* kSocketOps = "recv,send,recvmsg,sendmsg,accept,connect";

// A ring driver with `disable` masked, or nullptr (test skipped) when this
// machine has no io_uring at all.
std::unique_ptr<Driver> ring_without(const char* disable) {
  DriverOptions o;
  o.backend = Backend::Uring;
  o.allow_fallback = false;
  o.disable = disable;
  int err = 0;
  auto d = make_driver(o, &err);
  if (!d) {
    DriverOptions plain;
    plain.allow_fallback = false;
    int e2 = 0;
    if (!make_driver(plain, &e2)) cr_skip("io_uring unavailable: %s", std::strerror(e2));
    cr_assert_fail("ring refused with '%s' masked: %s", disable, std::strerror(err));
  }
  cr_assert_eq(d->backend(), Backend::Uring);
  return d;
}

void turns(Driver& d, int n) {
  for (int i = 0; i < n; ++i) d.poll(0);
}

}  // namespace

// "all" leaves the ring its minimum: POLL_ADD and TIMEOUT stay, every other
// opcode and every optional feature is off.
Test(driver_uring_degrade, all_keeps_the_ring_with_poll_add) {
  auto d = ring_without("all");
  const DriverFeatures& f = d->features();
  cr_assert(f.opcode[size_t(OpCode::PollAdd)]);
  cr_assert(f.opcode[size_t(OpCode::Timeout)]);
  for (OpCode c : {OpCode::Recv, OpCode::Send, OpCode::Accept, OpCode::Connect, OpCode::Read,
                   OpCode::Writev, OpCode::Statx}) {
    cr_assert_not(f.opcode[size_t(c)], "%s still on the ring", opcode_name(c));
  }
  cr_assert_not(f.multishot_accept || f.multishot_recv || f.buf_ring || f.msg_ring || f.ext_arg);
  cr_assert(f.fallback.empty());
}

// A recv with no RECV opcode waits on the ring (not on the pool) and gets the
// data once it arrives.
Test(driver_uring_degrade, recv_without_opcode_waits_for_readiness) {
  auto d = ring_without(kSocketOps);
  cr_assert_not(d->features().opcode[size_t(OpCode::Recv)]);
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);  // blocking sockets
  OpRegistry reg;
  Seen seen;
  char buf[16] = {};
  Op* op = make_op(reg, OpCode::Recv, &seen);
  op->args.fd = sv[0];
  op->args.addr = buf;
  op->args.len = sizeof buf;
  const uint64_t off0 = d->stats().offloaded;
  d->prepare(op);
  turns(*d, 5);
  cr_assert_eq(seen.completions, 0, "recv completed with nothing to read: %d", seen.last_res);
  cr_assert_eq(d->stats().offloaded, off0, "recv went to the blocking pool");
  cr_assert_eq(::write(sv[1], "hello", 5), 5);
  cr_assert(poll_until(*d, [&] { return seen.finals == 1; }));
  cr_assert_eq(seen.last_res, 5);
  cr_assert_eq(std::memcmp(buf, "hello", 5), 0);
  cr_assert_eq(d->in_flight(), 0u);
  ::close(sv[0]);
  ::close(sv[1]);
}

// The point of readiness on the ring: a waiting recv can be cancelled, and
// the cancel consumes nothing (the data stays for the next reader).
Test(driver_uring_degrade, waiting_recv_is_cancellable) {
  auto d = ring_without("all");
  int sv[2];
  cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  OpRegistry reg;
  Seen seen;
  char buf[16] = {};
  Op* op = make_op(reg, OpCode::Recv, &seen);
  op->args.fd = sv[0];
  op->args.addr = buf;
  op->args.len = sizeof buf;
  d->prepare(op);
  turns(*d, 3);
  cr_assert_eq(seen.completions, 0);
  d->cancel(op);
  cr_assert(poll_until(*d, [&] { return seen.finals == 1; }), "cancelled recv never completed");
  cr_assert_eq(seen.last_res, -ECANCELED);
  cr_assert_eq(d->in_flight(), 0u);
  cr_assert_eq(::write(sv[1], "x", 1), 1);
  char c = 0;
  cr_assert_eq(::recv(sv[0], &c, 1, MSG_DONTWAIT), 1, "the cancelled recv ate the data");
  ::close(sv[0]);
  ::close(sv[1]);
}

// Accept and a non-blocking connect (EINPROGRESS, then SO_ERROR once
// writable), then send/recv on the pair: all by readiness on the ring.
Test(driver_uring_degrade, accept_connect_send_recv_by_readiness) {
  auto d = ring_without(kSocketOps);
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  cr_assert_geq(lfd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  cr_assert_eq(::listen(lfd, 8), 0);
  socklen_t alen = sizeof addr;
  cr_assert_eq(::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &alen), 0);

  OpRegistry reg;
  Seen acc_seen, con_seen;
  Op* acc = make_op(reg, OpCode::Accept, &acc_seen);
  acc->args.fd = lfd;
  acc->args.flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  acc->multishot = true;  // asked for, but single-shot without the opcode
  d->prepare(acc);
  turns(*d, 3);
  cr_assert_eq(acc_seen.completions, 0, "accept completed with nobody connecting");

  int cfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  cr_assert_geq(cfd, 0);
  Op* con = make_op(reg, OpCode::Connect, &con_seen);
  con->args.fd = cfd;
  con->args.addr = &addr;
  con->args.len = sizeof addr;
  d->prepare(con);
  cr_assert(poll_until(*d, [&] { return con_seen.finals == 1 && acc_seen.finals == 1; }));
  cr_assert_eq(con_seen.last_res, 0, "connect: %s", std::strerror(-con_seen.last_res));
  cr_assert_geq(acc_seen.last_res, 0, "accept: %s", std::strerror(-acc_seen.last_res));
  cr_assert_eq(acc_seen.last_flags & kOpMore, 0u);
  const int sfd = acc_seen.last_res;

  Seen snd_seen, rcv_seen;
  char out[] = "degraded", in[16] = {};
  Op* rcv = make_op(reg, OpCode::Recv, &rcv_seen);
  rcv->args.fd = sfd;
  rcv->args.addr = in;
  rcv->args.len = sizeof in;
  d->prepare(rcv);
  Op* snd = make_op(reg, OpCode::Send, &snd_seen);
  snd->args.fd = cfd;
  snd->args.addr = out;
  snd->args.len = 8;
  d->prepare(snd);
  cr_assert(poll_until(*d, [&] { return snd_seen.finals == 1 && rcv_seen.finals == 1; }));
  cr_assert_eq(snd_seen.last_res, 8);
  cr_assert_eq(rcv_seen.last_res, 8);
  cr_assert_eq(std::memcmp(in, "degraded", 8), 0);
  cr_assert_eq(d->in_flight(), 0u);
  for (int fd : {sfd, cfd, lfd}) ::close(fd);
}

// Read on a pipe without the READ opcode waits for readiness (cancellable);
// read on a regular file still goes to the blocking pool.
Test(driver_uring_degrade, pipe_read_waits_file_read_goes_to_pool) {
  auto d = ring_without("all");
  int offloads = 0;
  d->set_offload([&](Op* op) {  // the pool, inline: fine for a regular file
    ++offloads;
    d->post_completion(op, execute_sync(*op));
  });
  int p[2];
  cr_assert_eq(::pipe2(p, O_CLOEXEC), 0);
  OpRegistry reg;
  Seen seen;
  char buf[8] = {};
  Op* op = make_op(reg, OpCode::Read, &seen);
  op->args.fd = p[0];
  op->args.addr = buf;
  op->args.len = sizeof buf;
  op->args.off = ~uint64_t{0};
  d->prepare(op);
  turns(*d, 3);
  cr_assert_eq(seen.completions, 0);
  cr_assert_eq(offloads, 0, "pipe read went to the pool");
  d->cancel(op);
  cr_assert(poll_until(*d, [&] { return seen.finals == 1; }));
  cr_assert_eq(seen.last_res, -ECANCELED);

  char tmpl[] = "/tmp/veloq_degrade_XXXXXX";
  int fd = ::mkstemp(tmpl);
  cr_assert_geq(fd, 0);
  ::unlink(tmpl);
  cr_assert_eq(::write(fd, "file", 4), 4);
  Seen fseen;
  Op* fop = make_op(reg, OpCode::Read, &fseen);
  fop->args.fd = fd;
  fop->args.addr = buf;
  fop->args.len = sizeof buf;
  fop->args.off = 0;
  d->prepare(fop);
  cr_assert(poll_until(*d, [&] { return fseen.finals == 1; }));
  cr_assert_eq(fseen.last_res, 4);
  cr_assert_eq(offloads, 1, "file read did not go to the pool");
  for (int x : {fd, p[0], p[1]}) ::close(x);
}

// No POLL_ADD: the ring cannot serve sockets, so make_driver falls back to
// epoll and says why; with allow_fallback=false it fails instead.
Test(driver_uring_degrade, no_poll_add_falls_back_to_epoll) {
  ring_without("");  // skips on a machine without io_uring
  DriverOptions o;
  o.backend = Backend::Uring;
  o.disable = "poll_add,recv";
  int err = 0;
  auto d = make_driver(o, &err);
  cr_assert(d != nullptr, "no fallback: %s", std::strerror(err));
  cr_assert_eq(d->backend(), Backend::Epoll);
  const DriverFeatures& f = d->features();
  cr_assert(f.fallback.find("poll_add") != std::string::npos, "fallback='%s'", f.fallback.c_str());
  cr_assert(f.describe().find("fallback=io_uring_lacks:poll_add") != std::string::npos,
            "%s", f.describe().c_str());
  // The list described the ring: epoll still serves readiness ops itself.
  cr_assert(f.opcode[size_t(OpCode::PollAdd)] && f.opcode[size_t(OpCode::Recv)]);

  o.allow_fallback = false;
  err = 0;
  cr_assert(make_driver(o, &err) == nullptr);
  cr_assert_eq(err, EOPNOTSUPP);

  o.disable = "all";  // "all" alone keeps poll_add: still the ring
  o.allow_fallback = true;
  auto d2 = make_driver(o, &err);
  cr_assert(d2 && d2->backend() == Backend::Uring);
}

// Two reads on one blocking pipe, one byte written: both POLL_ADDs fire, the
// first read takes the byte, and the second must go back to waiting instead
// of blocking the driver's thread in read(2). Then it is cancelled.
Test(driver_uring_degrade, second_reader_of_a_blocking_pipe_does_not_block, .timeout = 20) {
  auto d = ring_without("read");
  int p[2];
  cr_assert_eq(::pipe2(p, O_CLOEXEC), 0);  // blocking
  OpRegistry reg;
  Seen s1, s2;
  char b1[8] = {}, b2[8] = {};
  Op* r1 = make_op(reg, OpCode::Read, &s1);
  Op* r2 = make_op(reg, OpCode::Read, &s2);
  for (auto [op, buf] : {std::pair{r1, b1}, std::pair{r2, b2}}) {
    op->args.fd = p[0];
    op->args.addr = buf;
    op->args.len = sizeof b1;
    op->args.off = ~uint64_t{0};
    d->prepare(op);
  }
  turns(*d, 3);
  cr_assert_eq(s1.completions + s2.completions, 0);
  cr_assert_eq(::write(p[1], "z", 1), 1);
  cr_assert(poll_until(*d, [&] { return s1.finals + s2.finals == 1; }));
  turns(*d, 3);
  cr_assert_eq(s1.finals + s2.finals, 1, "both reads completed from one byte");
  const bool first_done = s1.finals == 1;
  Seen& done = first_done ? s1 : s2;
  Seen& waiting = first_done ? s2 : s1;
  cr_assert_eq(done.last_res, 1);
  d->cancel(first_done ? r2 : r1);
  cr_assert(poll_until(*d, [&] { return waiting.finals == 1; }));
  cr_assert_eq(waiting.last_res, -ECANCELED);
  cr_assert_eq(d->in_flight(), 0u);
  ::close(p[0]);
  ::close(p[1]);
}
