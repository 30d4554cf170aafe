// Threads and the ring's single issuer. A Worker may be built on one thread
// and run on another (the ring is created disabled and enabled by its first
// driving thread). Under io_uring with SINGLE_ISSUER, driving it later from a
// third thread is refused by the kernel (EEXIST): the driver returns -EEXIST
// and the Worker throws, rather than hang or fail silently.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
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

// DriverOptions::thread_bound = false (what a uv loop uses): thread A
// submits a read and then sleeps; thread B drives the driver and gets the
// read's completion, which the kernel first posts on behalf of A.
Test(driver_thread, unbound_driver_moves_threads_with_op_in_flight, .timeout = 10) {
  DriverOptions o = DriverOptions::from_env();
  o.thread_bound = false;
  int err = 0;
  auto d = make_driver(o, &err);
  cr_assert(d != nullptr, "make_driver: %s", std::strerror(err));
  cr_assert_not(d->features().single_issuer);
  cr_assert_not(d->features().defer_taskrun);
  int fds[2];
  cr_assert_eq(::pipe2(fds, O_CLOEXEC), 0);
  OpRegistry reg;
  Seen s;
  char byte = 0;
  Op* op = make_op(reg, OpCode::Read, &s);
  op->args.fd = fds[0];
  op->args.addr = &byte;
  op->args.len = 1;
  op->args.off = ~uint64_t{0};
  std::atomic<int> phase{0};
  std::thread a([&] {
    d->prepare(op);
    d->poll(0);  // submitted by A; still waiting for data
    phase = 1;
    while (phase.load() != 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  while (phase.load() != 1) std::this_thread::yield();
  cr_assert_eq(s.completions, 0);
  std::thread b([&] {
    cr_assert_eq(::write(fds[1], "x", 1), 1);
    poll_until(*d, [&] { return s.completions > 0; }, 5.0);
  });
  b.join();
  phase = 2;
  a.join();
  cr_assert_eq(s.completions, 1);
  cr_assert_eq(s.last_res, 1);
  cr_assert_eq(byte, 'x');
  cr_assert_eq(d->in_flight(), 0u);
  reg.release(op);
  ::close(fds[0]);
  ::close(fds[1]);
}
