// Threads and the ring's single issuer. A Worker may be built on one thread
// and run on another (the ring is created disabled and enabled by its first
// driving thread). Under io_uring with SINGLE_ISSUER, driving it later from a
// third thread is refused by the kernel (EEXIST): the driver returns -EEXIST
// and the Worker throws, rather than hang or fail silently.
#include <criterion/criterion.h>

#include <atomic>
#include <system_error>
#include <thread>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

namespace {
Task<int> nops(int n) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    IoOp op(OpCode::Nop);
    sum += 1 + co_await op;
  }
  co_return sum;
}
}  // namespace

Test(driver_thread, worker_built_on_one_thread_runs_on_another, .timeout = 10) {
  Worker w;  // constructed here
  int got = -1;
  std::thread t([&] { got = w.block_on(nops(100)); });
  t.join();
  cr_assert_eq(got, 100);
  cr_assert_eq(w.driver().in_flight(), 0u);
  cr_assert_eq(w.ops().live(), 0u);
}

Test(driver_thread, second_thread_is_refused_with_eexist, .timeout = 10) {
  Worker w;
  if (w.backend() != Backend::Uring || !w.driver().features().single_issuer) {
    cr_skip("needs io_uring with SINGLE_ISSUER");
  }
  int first = -1;
  std::thread a([&] { first = w.block_on(nops(3)); });
  a.join();
  cr_assert_eq(first, 3);
  int code = 0;
  std::thread b([&] {
    try {
      w.block_on(nops(3));
    } catch (const std::system_error& e) {
      code = e.code().value();
    }
  });
  b.join();
  cr_assert_eq(code, EEXIST, "block_on on a second thread: got %d", code);
}

Test(driver_thread, driver_poll_from_non_issuer_returns_eexist, .timeout = 10) {
  auto d = driver_from_env();
  if (d->backend() != Backend::Uring || !d->features().single_issuer) {
    cr_skip("needs io_uring with SINGLE_ISSUER");
  }
  OpRegistry reg;
  Seen s;
  std::atomic<int> phase{0};
  // The issuer thread: enables the ring, then later completes the op that
  // the main thread prepared but could not submit.
  std::thread owner([&] {
    d->poll(0);
    phase = 1;
    while (phase.load() != 2) std::this_thread::yield();
    for (int i = 0; i < 100 && s.completions == 0; ++i) d->poll(1'000'000);
  });
  while (phase.load() != 1) std::this_thread::yield();
  Op* op = make_op(reg, OpCode::Nop, &s);
  d->prepare(op);
  cr_assert_eq(d->submit(), -EEXIST);
  cr_assert_eq(d->poll(0), -EEXIST);
  cr_assert_eq(s.completions, 0);
  cr_assert_eq(d->in_flight(), 1u);  // not lost: still queued for the issuer
  phase = 2;
  owner.join();
  cr_assert_eq(s.completions, 1);
  cr_assert_eq(d->in_flight(), 0u);
  reg.release(op);
}
