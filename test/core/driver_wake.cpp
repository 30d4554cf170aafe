// Cross-thread entry points of the Driver interface (any backend): wake()
// unblocks a poll(-1), post_completion() from another thread is delivered
// exactly once.
#include <criterion/criterion.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;
using Clock = std::chrono::steady_clock;

Test(driver_wake, wake_from_other_thread_unblocks_poll_forever, .timeout = 10) {
  auto d = driver_from_env();
  d->poll(0);  // arm whatever the backend needs on the owning thread
  std::atomic<bool> woke{false};
  auto t0 = Clock::now();
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    woke = true;
    d->wake();
  });
  // Nothing else is pending: only wake() can end this wait. (Criterion's
  // timeout fails the test if it never returns.)
  int r = d->poll(-1);
  auto waited = Clock::now() - t0;
  t.join();
  cr_assert_geq(r, 0, "poll: %d", r);
  cr_assert(woke.load(), "poll(-1) returned before wake()");
  cr_assert_lt(waited, std::chrono::seconds(5));
  // A wake() before the poll makes the next poll return promptly too.
  d->wake();
  t0 = Clock::now();
  d->poll(-1);
  cr_assert_lt(Clock::now() - t0, std::chrono::seconds(5));
  cr_assert_eq(d->in_flight(), 0u);
}

Test(driver_wake, post_completion_from_pool_thread_delivered_once, .timeout = 10) {
  auto d = driver_from_env();
  OpRegistry reg;
  std::thread poster;
  Driver* drv = d.get();
  d->set_offload([&poster, drv](Op* op) {
    poster = std::thread([drv, op] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      drv->post_completion(op, 42);
    });
  });
  Seen s;
  Op* op = make_op(reg, OpCode::Nop, &s);
  op->force_blocking = true;
  d->prepare(op);
  cr_assert_eq(d->in_flight(), 1u);
  cr_assert_eq(s.completions, 0);  // never inline from prepare()
  while (s.completions == 0) d->poll(-1);
  poster.join();
  cr_assert_eq(s.completions, 1);
  cr_assert_eq(s.last_res, 42);
  for (int i = 0; i < 5; ++i) d->poll(5'000'000);
  cr_assert_eq(s.completions, 1, "posted completion delivered %d times", s.completions);
  cr_assert_eq(d->in_flight(), 0u);
  cr_assert_geq(d->stats().offloaded, 1u);
  reg.release(op);
}
