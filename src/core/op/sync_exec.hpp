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

// Readiness events (EPOLLIN/EPOLLOUT bits) an op waits for (read/write ops:
// as on a pipe, socket or tty).
uint32_t op_readiness_events(const Op& op);

// --- readiness emulation, shared by the epoll driver and the io_uring
// driver's path for socket opcodes the ring lacks ---------------------------

// True if `fd` has O_NONBLOCK set.
bool fd_nonblocking(int fd);
// Recv/Send(Msg) carry MSG_DONTWAIT, so trying them never blocks even on a
// blocking socket; other ops may only be tried when the fd is non-blocking
// (or readiness was just reported).
bool op_uses_dontwait(OpCode c);
// True for ops that wait for EPOLLIN (recv, read, accept...).
bool op_is_reader(const Op& op);
// For Read/Write/Readv/Writev: 1 if `fd` is a pipe, socket or character
// device (served by readiness), 0 if not (regular file, block device,
// directory: the blocking pool), -errno if fstat fails.
int fd_is_pollable(int fd);
// Perform the op's syscall once without blocking; -EAGAIN = not ready yet
// (EWOULDBLOCK and EINTR map to it). Connect is only the second half: the
// result of an EINPROGRESS connect read from SO_ERROR once writable. PollAdd
// polls with a zero timeout and returns revents.
int32_t try_nonblocking(Op& op);
// try_nonblocking that never blocks the caller, also on a blocking fd (a
// read/write/accept without MSG_DONTWAIT): there it first checks with a
// zero-timeout poll that the fd is ready *now*, since several ops woken by
// the same readiness would otherwise block on data the first one took.
int32_t try_without_blocking(Op& op);

}  // namespace veloq
