// io_uring_enter may refuse new submissions with -EBUSY while overflowed
// completions cannot be flushed into a full CQ. The driver must then reap
// and retry, losing nothing. The kernel here (NODROP, big overflow list)
// does not produce EBUSY on demand, so it is forced with a test hook; the
// real overflow path is covered by driver_backlog.cq_overflow_loses_nothing.
#include <criterion/criterion.h>
#include <linux/time_types.h>
#include <unistd.h>

#include <vector>

#include "core/driver/uring/uring_driver.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

Test(driver_uring_busy, ebusy_from_submit_is_reaped_and_retried, .timeout = 10) {
  auto d = driver_from_env(16);
  auto* u = dynamic_cast<UringDriver*>(d.get());
  if (u == nullptr) cr_skip("io_uring backend not in use");
  OpRegistry reg;
  constexpr int kOps = 200;
  std::vector<Seen> seen(kOps);
  std::vector<Op*> ops;
  for (int i = 0; i < kOps; ++i) {
    ops.push_back(make_op(reg, OpCode::Nop, &seen[size_t(i)]));
    d->prepare(ops.back());
  }
  u->busy_next_submits_for_test(5);
  int r = d->submit();  // first EBUSYs are absorbed: reap, retry
  cr_assert_geq(r, 0, "submit: %d", r);
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }));
  for (int i = 0; i < kOps; ++i) {
    cr_assert_eq(seen[size_t(i)].completions, 1, "op %d: %d completions", i,
                 seen[size_t(i)].completions);
    reg.release(ops[size_t(i)]);
  }
  cr_assert_eq(reg.live(), 0u);
}

namespace {
Op* timeout_op(OpRegistry& reg, Seen* seen, uint64_t ns) {
  Op* op = make_op(reg, OpCode::Timeout, seen);
  auto* ts = reinterpret_cast<__kernel_timespec*>(op->own_bytes(sizeof(__kernel_timespec)));
  ts->tv_sec = int64_t(ns / 1'000'000'000);
  ts->tv_nsec = int64_t(ns % 1'000'000'000);
  op->args.addr = ts;
  return op;
}
}  // namespace

// A completion dispatched by the reap inside an EBUSY retry may have made a
// task ready: that poll() must then return instead of waiting for the next
// unrelated completion. (Found in review: the reaped count was dropped and
// poll blocked until 1 s timeouts fired.)
Test(driver_uring_busy, completions_reaped_during_ebusy_end_the_wait, .timeout = 10) {
  DriverOptions o = DriverOptions::from_env();
  o.sq_entries = 4;
  // Without DEFER_TASKRUN the finished timeout's CQE is posted at once, so
  // it is sitting in the CQ when the EBUSY reap runs.
  o.disable = "single_issuer,coop_taskrun";
  int err = 0;
  auto d = make_driver(o, &err);
  cr_assert(d != nullptr);
  auto* u = dynamic_cast<UringDriver*>(d.get());
  if (u == nullptr) cr_skip("io_uring backend not in use");
  OpRegistry reg;
  Seen quick, slow[5];
  Op* q = timeout_op(reg, &quick, 1'000'000);  // 1 ms
  d->prepare(q);
  cr_assert_geq(d->submit(), 0);
  ::usleep(30'000);  // its CQE is now in the CQ, not yet reaped
  std::vector<Op*> longs;
  for (Seen& s : slow) {  // 5 on an SQ of 4: one waits in the backlog
    longs.push_back(timeout_op(reg, &s, 5'000'000'000ull));
    d->prepare(longs.back());
  }
  u->busy_next_submits_for_test(1);
  int n = d->poll(-1);  // the backlog forces a submit, which sees EBUSY
  cr_assert_eq(quick.finals, 1, "the 1 ms timeout completed");
  cr_assert_geq(n, 1, "poll reports the completion it dispatched");
  for (Seen& s : slow) cr_assert_eq(s.finals, 0, "poll returned without waiting for 5 s timeouts");
  for (Op* op : longs) d->cancel(op);
  cr_assert(poll_until(*d, [&] { return d->in_flight() == 0; }));
  reg.release(q);
  for (Op* op : longs) reg.release(op);
  cr_assert_eq(reg.live(), 0u);
}
