// Run-time opcode rejection: the probe lists an opcode, the kernel still
// answers -EINVAL/-EOPNOTSUPP for a particular use; that one op is re-run on
// the blocking pool (once) and the caller gets the pool's answer.
//
// Real case used: IORING_OP_FTRUNCATE (6.9+) on a pipe — the kernel rejects
// it with -EINVAL at run time (do_ftruncate wants a regular file). ftruncate(2)
// on a pipe is also EINVAL, so the pool gives the same answer: the test shows
// the fallback happened (offloaded grows by one) and the error is preserved.
// Case where the two differ: forced with UringDriver::reject_next_for_test
// (the CQE of a pread is reported as -EOPNOTSUPP); the pool re-reads the file
// and the caller gets the real bytes.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "core/driver/uring/uring_driver.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;

namespace {
int g_fd = -1;

Task<int32_t> ftruncate_fd() {
  IoOp op(OpCode::Ftruncate);
  op->args.fd = g_fd;
  op->args.off = 0;
  co_return co_await op;
}

Task<std::string> pread_fd() {
  IoOp op(OpCode::Read);
  op->buf = FixedBuf::allocate(4096);
  op->args.fd = g_fd;
  op->args.addr = op->buf.data();
  op->args.len = 4096;
  op->args.off = 0;
  int32_t r = co_await op;
  if (r < 0) co_return "error " + std::to_string(r);
  co_return std::string(reinterpret_cast<const char*>(op->buf.data()), size_t(r));
}

Task<int32_t> nop() {
  IoOp op(OpCode::Nop);
  co_return co_await op;
}
}  // namespace

Test(driver_uring_reject, ftruncate_on_pipe_rejected_by_kernel_goes_to_pool) {
  Worker w;
  if (w.backend() != Backend::Uring) cr_skip("io_uring backend not in use");
  if (!w.driver().features().opcode[size_t(OpCode::Ftruncate)]) {
    cr_skip("kernel has no IORING_OP_FTRUNCATE");
  }
  int p[2];
  cr_assert_eq(::pipe(p), 0);
  g_fd = p[1];
  uint64_t off0 = w.driver().stats().offloaded;
  int32_t r = w.block_on(ftruncate_fd());
  cr_assert_eq(r, -EINVAL, "got %d", r);
  cr_assert_eq(w.driver().stats().offloaded, off0 + 1, "no pool retry after the ring's EINVAL");
  // Only that op: the next ones stay on the ring.
  cr_assert_eq(w.block_on(nop()), 0);
  cr_assert_eq(w.driver().stats().offloaded, off0 + 1);
  cr_assert_eq(w.ops().live(), 0u);
  ::close(p[0]);
  ::close(p[1]);
}

Test(driver_uring_reject, forced_rejection_is_retried_on_pool_with_real_result) {
  Worker w;
  if (w.backend() != Backend::Uring) cr_skip("io_uring backend not in use");
  auto* d = dynamic_cast<UringDriver*>(&w.driver());
  cr_assert(d != nullptr);
  char tmpl[] = "/tmp/veloq_reject_XXXXXX";
  g_fd = ::mkstemp(tmpl);
  cr_assert_geq(g_fd, 0);
  ::unlink(tmpl);
  cr_assert_eq(::write(g_fd, "hello pool", 10), 10);
  uint64_t off0 = d->stats().offloaded;
  d->reject_next_for_test(OpCode::Read);
  std::string first = w.block_on(pread_fd());
  cr_assert_str_eq(first.c_str(), "hello pool");
  cr_assert_eq(d->stats().offloaded, off0 + 1);
  // A second read is not rejected and stays on the ring.
  std::string second = w.block_on(pread_fd());
  cr_assert_str_eq(second.c_str(), "hello pool");
  cr_assert_eq(d->stats().offloaded, off0 + 1);
  cr_assert_eq(w.ops().live(), 0u);
  ::close(g_fd);
}
