#include "support/io_helpers.hpp"

#include <linux/time_types.h>

#include "core/runtime/io.hpp"

namespace veloq::test {

Task<int> kernel_timeout(uint64_t ns) {
  IoOp op(OpCode::Timeout);
  auto* ts = reinterpret_cast<__kernel_timespec*>(op->own_bytes(sizeof(__kernel_timespec)));
  ts->tv_sec = int64_t(ns / 1'000'000'000);
  ts->tv_nsec = int64_t(ns % 1'000'000'000);
  op->args.addr = ts;
  co_return co_await op;
}

Task<int> read_pipe(int fd) {
  IoOp op(OpCode::Read);
  op->buf = FixedBuf::allocate(64);
  op->args.fd = fd;
  op->args.addr = op->buf.data();
  op->args.len = 64;
  op->args.off = ~uint64_t{0};
  co_return co_await op;
}

}  // namespace veloq::test
