// Perform an Op with plain syscalls on the calling thread.
//
// Shared by the epoll driver (regular files, and sockets once ready) and the
// blocking pool (opcodes the ring lacks or rejected). Returns what the ring
// would have produced: a non-negative result or -errno.
#pragma once

#include <cstdint>

#include "core/op/op.hpp"

namespace veloq {

int32_t execute_sync(Op& op);

// True if the op is I/O on a socket/pipe-like fd that can block waiting for
// readiness (recv, send, accept, connect, poll...), as opposed to work that
// always finishes on its own (file I/O, metadata, close).
bool op_waits_for_readiness(const Op& op);

// Readiness events (EPOLLIN/EPOLLOUT bits) an op waits for.
uint32_t op_readiness_events(const Op& op);

}  // namespace veloq
