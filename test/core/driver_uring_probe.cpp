// io_uring probe: features come from the kernel, VELOQ_URING_DISABLE masks
// them (an opcode masked runs on the blocking pool with the same result),
// and VELOQ_TRACE=1 prints the probe. Skipped when the backend is not uring.
#include <criterion/criterion.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

namespace {
void skip_unless_uring(Worker& w) {
  if (w.backend() != Backend::Uring) cr_skip("io_uring backend not in use");
}

std::string g_path;

Task<int64_t> statx_size() {
  IoOp op(OpCode::Statx);
  auto* stx = reinterpret_cast<struct statx*>(op->own_bytes(sizeof(struct statx)));
  op->args.fd2 = AT_FDCWD;
  op->own_path(g_path.c_str());
  op->args.flags = 0;
  op->args.mask = STATX_SIZE;
  op->args.addr2 = stx;
  int32_t r = co_await op;
  co_return r < 0 ? int64_t(r) : int64_t(stx->stx_size);
}

std::string make_file(size_t n) {
  char tmpl[] = "/tmp/veloq_probe_XXXXXX";
  int fd = ::mkstemp(tmpl);
  cr_assert_geq(fd, 0);
  std::string data(n, 'x');
  cr_assert_eq(::write(fd, data.data(), n), ssize_t(n));
  ::close(fd);
  return tmpl;
}
}  // namespace

Test(driver_uring_probe, features_reflect_this_kernel) {
  Worker w;
  skip_unless_uring(w);
  const DriverFeatures& f = w.driver().features();
  // Opcodes every io_uring kernel this project supports has (5.6+).
  for (OpCode c : {OpCode::Nop, OpCode::Read, OpCode::Write, OpCode::Recv, OpCode::Send,
                   OpCode::Accept, OpCode::Timeout, OpCode::OpenAt, OpCode::Statx}) {
    cr_assert(f.opcode[size_t(c)], "%s should be a ring op", opcode_name(c));
  }
  // Never ring ops.
  cr_assert(!f.opcode[size_t(OpCode::Getdents)]);
  cr_assert(!f.opcode[size_t(OpCode::Custom)]);
  cr_assert(f.nodrop);
  std::string d = f.describe();
  cr_assert(d.find("single_issuer=") != std::string::npos);
  cr_assert(d.find("getdents") != std::string::npos, "pool_ops must list getdents: %s", d.c_str());
}

Test(driver_uring_probe, disabled_statx_runs_on_pool_with_same_result) {
  g_path = make_file(12345);
  ::setenv("VELOQ_URING_DISABLE", "statx,multishot_accept,send_zc", 1);
  Worker w;
  skip_unless_uring(w);
  const DriverFeatures& f = w.driver().features();
  cr_assert(!f.opcode[size_t(OpCode::Statx)]);
  cr_assert(!f.multishot_accept);
  cr_assert(!f.send_zc);
  cr_assert(f.opcode[size_t(OpCode::Read)], "only what was named is masked");
  cr_assert(f.describe().find("statx") != std::string::npos);
  uint64_t off0 = w.driver().stats().offloaded;
  int64_t size = w.block_on(statx_size());
  cr_assert_eq(size, 12345);
  cr_assert_eq(w.driver().stats().offloaded, off0 + 1, "statx did not go to the blocking pool");
  cr_assert_eq(w.ops().live(), 0u);
  ::unlink(g_path.c_str());
}

Test(driver_uring_probe, statx_on_ring_when_not_disabled) {
  g_path = make_file(777);
  ::unsetenv("VELOQ_URING_DISABLE");
  Worker w;
  skip_unless_uring(w);
  uint64_t off0 = w.driver().stats().offloaded;
  cr_assert_eq(w.block_on(statx_size()), 777);
  cr_assert_eq(w.driver().stats().offloaded, off0, "statx went to the pool though the ring has it");
  ::unlink(g_path.c_str());
}

Test(driver_uring_probe, trace_prints_probe) {
  ::setenv("VELOQ_TRACE", "1", 1);
  std::FILE* cap = std::tmpfile();
  int saved = ::dup(2);
  ::dup2(::fileno(cap), 2);
  bool uring = false;
  {
    Worker w;
    uring = w.backend() == Backend::Uring;
  }
  ::dup2(saved, 2);
  ::close(saved);
  if (!uring) cr_skip("io_uring backend not in use");
  std::rewind(cap);
  char text[4096] = {};
  size_t n = std::fread(text, 1, sizeof text - 1, cap);
  std::fclose(cap);
  std::string s(text, n);
  cr_assert(s.find("backend=uring") != std::string::npos, "trace output: %s", s.c_str());
  cr_assert(s.find("pool_ops=") != std::string::npos, "trace output: %s", s.c_str());
}

Test(driver_uring_probe, cq_smaller_than_sq_is_clamped_not_refused) {
  DriverOptions o = DriverOptions::from_env();
  if (o.backend != Backend::Uring) cr_skip("io_uring backend not in use");
  o.sq_entries = 64;
  o.cq_entries = 8;
  o.allow_fallback = false;
  int err = 0;
  auto d = make_driver(o, &err);
  cr_assert(d != nullptr, "uring refused sq=64 cq=8: %s", std::strerror(err));
  cr_assert_eq(d->backend(), Backend::Uring);
}
