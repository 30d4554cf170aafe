// io_uring_enter may refuse new submissions with -EBUSY while overflowed
// completions cannot be flushed into a full CQ. The driver must then reap
// and retry, losing nothing. The kernel here (NODROP, big overflow list)
// does not produce EBUSY on demand, so it is forced with a test hook; the
// real overflow path is covered by driver_backlog.cq_overflow_loses_nothing.
#include <criterion/criterion.h>

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
