// Fault tests through the Driver interface (any backend): a tiny SQ with
// 1000 ops in flight (backlog), and a CQ far smaller than the completions
// outstanding (overflow). Every op must complete exactly once.
#include <criterion/criterion.h>
#include <linux/time_types.h>
#include <unistd.h>

#include <vector>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

Test(driver_backlog, sq_of_4_with_1000_ops_in_flight, .timeout = 30) {
  auto d = driver_from_env(4);
  OpRegistry reg;
  constexpr int kPipes = 50, kReadsPerPipe = 5, kTimeouts = 250, kNops = 500;
  std::vector<Seen> seen(kPipes * kReadsPerPipe + kTimeouts + kNops);
  std::vector<Op*> ops;
  int pipes[kPipes][2];
  size_t k = 0;
  for (auto& p : pipes) {
    cr_assert_eq(::pipe(p), 0);
    for (int r = 0; r < kReadsPerPipe; ++r) {
      Op* op = make_op(reg, OpCode::Read, &seen[k++]);
      op->buf = FixedBuf::allocate(1);
      op->args.fd = p[0];
      op->args.addr = op->buf.data();
      op->args.len = 1;
      op->args.off = ~uint64_t{0};
      ops.push_back(op);
      d->prepare(op);
    }
  }
  for (int i = 0; i < kTimeouts; ++i) {
    Op* op = make_op(reg, OpCode::Timeout, &seen[k++]);
    auto* ts = reinterpret_cast<__kernel_timespec*>(op->own_bytes(sizeof(__kernel_timespec)));
    *ts = {0, 1'000'000 + i * 10'000};  // 1..3.5 ms
    op->args.addr = ts;
    ops.push_back(op);
    d->prepare(op);
  }
  for (int i = 0; i < kNops; ++i) {
    Op* op = make_op(reg, OpCode::Nop, &seen[k++]);
    ops.push_back(op);
    d->prepare(op);
  }
  cr_assert_eq(d->in_flight(), 1000u);
  // Let the NOPs and timeouts drain through the 4-entry SQ while the reads
  // sit in the kernel; then feed the pipes.
  for (int i = 0; i < 50; ++i) d->poll(1'000'000);
  for (auto& p : pipes) cr_assert_eq(::write(p[1], "abcde", kReadsPerPipe), kReadsPerPipe);
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }, 20.0),
            "in_flight stuck at %zu", d->in_flight());

  size_t bytes = 0;
  for (size_t i = 0; i < ops.size(); ++i) {
    cr_assert_eq(seen[i].finals, 1, "op %zu completed %d times", i, seen[i].finals);
    cr_assert_eq(seen[i].completions, 1);
    if (ops[i]->code == OpCode::Read) {
      cr_assert_eq(seen[i].last_res, 1);
      bytes += 1;
    } else if (ops[i]->code == OpCode::Timeout) {
      cr_assert_eq(seen[i].last_res, -ETIME);
    } else {
      cr_assert_eq(seen[i].last_res, 0);
    }
    reg.release(ops[i]);
  }
  cr_assert_eq(bytes, size_t(kPipes * kReadsPerPipe));
  cr_assert_eq(reg.live(), 0u);
  cr_assert_geq(d->stats().completed, 1000u);
  if (d->backend() == Backend::Uring) cr_assert_gt(d->stats().backlogged, 0u);
  for (auto& p : pipes) {
    ::close(p[0]);
    ::close(p[1]);
  }
}

// Submit far more NOPs than the CQ holds without reaping in between, so the
// kernel must overflow (io_uring keeps them aside with IORING_FEAT_NODROP);
// the driver must detect it and deliver every completion exactly once.
Test(driver_backlog, cq_overflow_loses_nothing, .timeout = 30) {
  auto d = driver_from_env(16, 16);
  OpRegistry reg;
  constexpr int kOps = 2000;
  std::vector<Seen> seen(kOps);
  std::vector<Op*> ops;
  for (int i = 0; i < kOps; ++i) {
    Op* op = make_op(reg, OpCode::Nop, &seen[size_t(i)]);
    ops.push_back(op);
    d->prepare(op);
  }
  // submit() without poll(): completions pile up in (and beyond) the CQ.
  for (int i = 0; i < 1000; ++i) {
    int r = d->submit();
    cr_assert_geq(r, 0, "submit: %d", r);
    if (r == 0) break;
  }
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }), "in_flight stuck at %zu",
            d->in_flight());
  for (int i = 0; i < kOps; ++i) {
    cr_assert_eq(seen[size_t(i)].completions, 1, "op %d completed %d times", i,
                 seen[size_t(i)].completions);
    cr_assert_eq(seen[size_t(i)].last_res, 0);
    reg.release(ops[size_t(i)]);
  }
  cr_assert_eq(reg.live(), 0u);
  if (d->backend() == Backend::Uring) {
    cr_assert_gt(d->stats().cq_overflows, 0u, "the kernel never overflowed: test proves nothing");
  }
}

// An op queued behind ops that never complete (reads on silent pipes) must
// still go out: poll(-1) may not sleep while the backlog holds work.
Test(driver_backlog, backlog_not_starved_by_blocked_ops, .timeout = 10) {
  auto d = driver_from_env(4);
  OpRegistry reg;
  int p[2];
  cr_assert_eq(::pipe(p), 0);
  constexpr int kReads = 9;
  Seen rs[kReads], ns;
  Op* reads[kReads];
  for (int i = 0; i < kReads; ++i) {
    reads[i] = make_op(reg, OpCode::Read, &rs[i]);
    reads[i]->buf = FixedBuf::allocate(16);
    reads[i]->args.fd = p[0];
    reads[i]->args.addr = reads[i]->buf.data();
    reads[i]->args.len = 16;
    reads[i]->args.off = ~uint64_t{0};
    d->prepare(reads[i]);
  }
  Op* nop = make_op(reg, OpCode::Nop, &ns);
  d->prepare(nop);
  while (ns.completions == 0) d->poll(-1);  // hangs (test timeout) if starved
  cr_assert_eq(ns.last_res, 0);
  for (auto& s : rs) cr_assert_eq(s.completions, 0);
  for (Op* op : reads) d->cancel(op);
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }, 5.0));
  for (auto& s : rs) cr_assert_eq(s.last_res, -ECANCELED);
  for (Op* op : reads) reg.release(op);
  reg.release(nop);
  cr_assert_eq(reg.live(), 0u);
  ::close(p[0]);
  ::close(p[1]);
}

// The same through a Worker: 1000 tasks awaiting ops on a 4-entry ring.
namespace {
Task<int> one_op(int i) {
  if (i % 2 == 0) {
    IoOp op(OpCode::Nop);
    co_return co_await op == 0 ? 1 : 0;
  }
  IoOp op(OpCode::Timeout);
  auto* ts = reinterpret_cast<__kernel_timespec*>(op->own_bytes(sizeof(__kernel_timespec)));
  *ts = {0, 500'000};
  op->args.addr = ts;
  co_return co_await op == -ETIME ? 1 : 0;
}
Task<int> thousand_tasks() {
  std::vector<JoinHandle<int>> hs;
  for (int i = 0; i < 1000; ++i) hs.push_back(spawn_local(one_op(i)));
  int ok = 0;
  for (auto& h : hs) ok += (co_await h).value();
  co_return ok;
}
}  // namespace

Test(driver_backlog, worker_with_sq_of_4_runs_1000_tasks, .timeout = 30) {
  WorkerOptions o;
  o.driver.sq_entries = 4;
  Worker w(o);
  cr_assert_eq(w.block_on(thousand_tasks()), 1000);
  cr_assert_eq(w.driver().in_flight(), 0u);
  cr_assert_eq(w.ops().live(), 0u);
}
