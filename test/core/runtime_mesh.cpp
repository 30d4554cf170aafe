// Mesh: per-sender ordering, no loss on a full ring, wake-up of a parked
// worker (MSG_RING from a worker's ring where the kernel has it, eventfd
// otherwise), no wake-up for a busy one. Scenarios in test/runtime/scenarios.hpp
// (shared with the TSan program).
#include <criterion/criterion.h>

#include "runtime/scenarios.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
namespace sc = veloq::scenario;

Test(runtime_mesh, spsc_ring_bounded_fifo) {
  SpscRing<int> r(5);  // rounded up to 8
  cr_assert_eq(r.capacity(), 8u);
  cr_assert(r.empty());
  int out = 0;
  cr_assert(!r.try_pop(out));
  for (int i = 0; i < 8; ++i) {
    int v = i;
    cr_assert(r.try_push(v));
  }
  int extra = 99;
  cr_assert(!r.try_push(extra), "a full ring accepted a 9th element");
  cr_assert_eq(extra, 99, "a refused push must not consume the value");
  for (int round = 0; round < 100; ++round) {  // wrap around many times
    cr_assert(r.try_pop(out));
    cr_assert_eq(out, round);
    int v = round + 8;
    cr_assert(r.try_push(v));
  }
}

Test(runtime_mesh, order_per_sender_100k, .timeout = 240) {
  std::string err = sc::ordering(100'000, 256);
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_mesh, order_per_sender_tiny_ring, .timeout = 240) {
  // Capacity 4: nearly every message goes through the overflow / backoff.
  std::string err = sc::ordering(20'000, 4);
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_mesh, full_ring_never_drops, .timeout = 120) {
  std::string err = sc::full_ring(10'000);
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_mesh, parked_worker_woken_busy_worker_not, .timeout = 240) {
  sc::WakeResult r = sc::parked_wake(1000);
  cr_assert_eq(r.missed, 0, "%d missed wake-ups: %s", r.missed, r.detail.c_str());
  cr_assert_eq(r.never_parked, 0, "receiver never parked %d times", r.never_parked);
  cr_assert_gt(r.msg_ring + r.eventfd, 0u, "no wake-up was sent");
  cr_assert_eq(r.busy_wakes, 0u, "a busy worker was woken %llu times", (unsigned long long)r.busy_wakes);
}

Test(runtime_mesh, wake_path_follows_backend, .timeout = 120) {
  Runtime rt(sc::opts(2));
  const bool uring = test::backend_is_uring();
  cr_assert_eq(rt.backend(0) == Backend::Uring, uring);
  cr_assert_eq(rt.backend(1) == Backend::Uring, uring);
  const bool msg_ring = rt.msg_ring(0) && rt.msg_ring(1);
  rt.shutdown();
  sc::WakeResult r = sc::parked_wake(50);
  cr_assert_eq(r.missed, 0, "%s", r.detail.c_str());
  if (uring && msg_ring) {
    // Worker to worker on rings with MSG_RING: the ring path, not eventfd.
    cr_assert_gt(r.msg_ring, 0u);
    cr_assert_eq(r.eventfd, 0u, "eventfd used %llu times with MSG_RING available",
                 (unsigned long long)r.eventfd);
  } else {
    cr_assert_eq(r.msg_ring, 0u);
    cr_assert_gt(r.eventfd, 0u);
  }
}

Test(runtime_mesh, msg_ring_disabled_falls_back_to_eventfd, .timeout = 120) {
  if (!test::backend_is_uring()) cr_skip("uring only");
  setenv("VELOQ_URING_DISABLE", "msg_ring", 1);
  sc::WakeResult r = sc::parked_wake(50);
  unsetenv("VELOQ_URING_DISABLE");
  cr_assert_eq(r.missed, 0, "%s", r.detail.c_str());
  cr_assert_eq(r.msg_ring, 0u);
  cr_assert_gt(r.eventfd, 0u);
}
