// Small ops that tests park tasks on: "slow I/O" that an abort or a
// timeout must cancel per the cancel invariant.
#pragma once

#include <cstdint>

#include "core/runtime/task.hpp"

namespace veloq::test {

// A kernel Timeout op of `ns` (IORING_OP_TIMEOUT / timerfd on epoll).
// Returns -ETIME on expiry, -ECANCELED if cancelled.
Task<int> kernel_timeout(uint64_t ns);

// A 64-byte read on `fd` (a pipe nobody writes, typically).
Task<int> read_pipe(int fd);

}  // namespace veloq::test
