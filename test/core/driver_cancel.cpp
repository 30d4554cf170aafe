// Cancel through the Driver interface (any backend): in-flight pipe reads,
// accepts and timeouts end with exactly one final completion, -ECANCELED;
// a detached op (its IoOp destroyed by JoinHandle::abort) keeps its buffer
// and slot until that final completion.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <linux/time_types.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

namespace {
Op* pipe_read(OpRegistry& reg, Seen* s, int fd) {
  Op* op = make_op(reg, OpCode::Read, s);
  op->buf = FixedBuf::allocate(4096);
  op->args.fd = fd;
  op->args.addr = op->buf.data();
  op->args.len = 4096;
  op->args.off = ~uint64_t{0};
  return op;
}
}  // namespace

Test(driver_cancel, inflight_pipe_read_and_timeout_get_ecanceled, .timeout = 10) {
  auto d = driver_from_env();
  OpRegistry reg;
  int p[2];
  cr_assert_eq(::pipe(p), 0);
  Seen rs, ts;
  Op* rd = pipe_read(reg, &rs, p[0]);
  Op* to = make_op(reg, OpCode::Timeout, &ts);
  auto* spec = reinterpret_cast<__kernel_timespec*>(to->own_bytes(sizeof(__kernel_timespec)));
  *spec = {30, 0};
  to->args.addr = spec;
  d->prepare(rd);
  d->prepare(to);
  d->poll(0);  // both really in flight now
  cr_assert_eq(rs.completions + ts.completions, 0);
  d->cancel(rd);
  d->cancel(to);
  // The rule: no completion inline from cancel().
  cr_assert_eq(rs.completions + ts.completions, 0);
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }, 5.0));
  cr_assert_eq(rs.finals, 1);
  cr_assert_eq(rs.last_res, -ECANCELED, "read: %d", rs.last_res);
  cr_assert_eq(ts.finals, 1);
  cr_assert_eq(ts.last_res, -ECANCELED, "timeout: %d", ts.last_res);
  // Nothing more arrives later.
  d->poll(20'000'000);
  cr_assert_eq(rs.completions, 1);
  cr_assert_eq(ts.completions, 1);
  reg.release(rd);
  reg.release(to);
  cr_assert_eq(reg.live(), 0u);
  ::close(p[0]);
  ::close(p[1]);
}

Test(driver_cancel, inflight_accept_gets_ecanceled, .timeout = 10) {
  auto d = driver_from_env();
  OpRegistry reg;
  int l = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  cr_assert_eq(::listen(l, 16), 0);
  Seen s;
  Op* op = make_op(reg, OpCode::Accept, &s);
  op->args.fd = l;
  op->args.flags = SOCK_CLOEXEC;
  d->prepare(op);
  d->poll(0);
  d->cancel(op);
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }, 5.0));
  cr_assert_eq(s.finals, 1);
  cr_assert_eq(s.last_res, -ECANCELED, "accept: %d", s.last_res);
  reg.release(op);
  ::close(l);
}

Test(driver_cancel, backlogged_op_cancel_completes_once, .timeout = 10) {
  auto d = driver_from_env(4);
  OpRegistry reg;
  int p[2];
  cr_assert_eq(::pipe(p), 0);
  constexpr int kOps = 40;  // more than the SQ holds: some wait in the backlog
  Seen s[kOps];
  Op* ops[kOps];
  for (int i = 0; i < kOps; ++i) {
    ops[i] = pipe_read(reg, &s[i], p[0]);
    d->prepare(ops[i]);
  }
  for (int i = kOps - 1; i >= 0; --i) d->cancel(ops[i]);
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }, 5.0));
  for (int i = 0; i < kOps; ++i) {
    cr_assert_eq(s[i].completions, 1, "op %d: %d completions", i, s[i].completions);
    cr_assert_eq(s[i].last_res, -ECANCELED, "op %d: %d", i, s[i].last_res);
    reg.release(ops[i]);
  }
  cr_assert_eq(reg.live(), 0u);
  ::close(p[0]);
  ::close(p[1]);
}

// ---- detached op: buffer owned by the op until the final completion ----

namespace {
Op* g_op = nullptr;
int g_fd = -1;

Task<int32_t> read_forever() {
  IoOp op(OpCode::Read);
  op->buf = FixedBuf::allocate(8192);
  std::memset(op->buf.data(), 0xA5, op->buf.capacity());
  op->args.fd = g_fd;
  op->args.addr = op->buf.data();
  op->args.len = op->buf.capacity();
  op->args.off = ~uint64_t{0};
  g_op = op.get();
  co_return co_await op;
}
}  // namespace

Test(driver_cancel, detached_read_keeps_buffer_until_final_cqe, .timeout = 10) {
  Worker w;
  int p[2];
  cr_assert_eq(::pipe(p), 0);
  g_fd = p[0];
  const size_t live0 = w.ops().live();
  const size_t bufs0 = BufPool::local().outstanding();

  auto h = w.spawn_local(read_forever(), "reader");
  w.run_ready();     // task runs: op prepared
  w.poll_io(false);  // op submitted to the kernel / registered for readiness
  cr_assert(g_op != nullptr);
  Op* op = g_op;
  std::byte* mem = op->buf.data();
  cr_assert_eq(w.ops().live(), live0 + 1);
  cr_assert_eq(BufPool::local().outstanding(), bufs0 + 1);

  h.abort();
  w.run_ready();  // frame destroyed: ~IoOp detaches and cancels the op
  cr_assert(h.finished());
  // Final completion not delivered yet (only poll delivers): the op, its
  // slot and its buffer are all still alive and untouched.
  cr_assert(w.ops().owns(op));
  cr_assert(op->detached);
  cr_assert_eq(op->buf.data(), mem, "buffer moved away from the in-flight op");
  cr_assert_eq(BufPool::local().outstanding(), bufs0 + 1, "buffer freed before the final CQE");
  cr_assert_eq(w.ops().live(), live0 + 1);
  for (size_t i = 0; i < 8192; ++i) cr_assert_eq(uint8_t(mem[i]), 0xA5);

  // Now let the final (-ECANCELED) completion arrive: everything released.
  for (int i = 0; i < 500 && w.driver().in_flight() > 0; ++i) w.poll_io(false), usleep(1000);
  cr_assert_eq(w.driver().in_flight(), 0u);
  cr_assert_eq(w.ops().live(), live0);
  cr_assert_eq(BufPool::local().outstanding(), bufs0);
  ::close(p[0]);
  ::close(p[1]);
}
