// Op: the record of one in-flight operation.
//
// An Op is the unit both drivers speak. It describes the operation in a
// backend-neutral way (OpCode + OpArgs, shaped like an io_uring SQE so the
// uring driver maps it 1:1 and the epoll driver / blocking pool perform the
// same syscall), and it *owns* everything the kernel may touch while the op is
// in flight: the data buffer (FixedBuf), a heap block for paths / iovec
// arrays / msghdr, and small inline storage for sockaddrs and socklen_t.
//
// Invariant (DESIGN §2.2): an Op lives in a StableSlab slot whose address is
// the ring's user_data; the slot and everything it owns are released only
// after the op's *last* completion, also when its owner gave up (detached).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/mem/fixed_buf.hpp"

namespace veloq {

class OpRegistry;

enum class OpCode : uint8_t {
  Nop,
  Read,        // fd, addr=buf, len, off (-1 = current position)
  Write,       // fd, addr=buf, len, off (-1 = current position)
  Readv,       // fd, addr=iovec*, len=iovcnt, off
  Writev,      // fd, addr=iovec*, len=iovcnt, off
  Recv,        // fd, addr=buf, len, flags=MSG_*
  Send,        // fd, addr=buf, len, flags=MSG_*
  RecvMsg,     // fd, addr=msghdr*, flags=MSG_*
  SendMsg,     // fd, addr=msghdr*, flags=MSG_*
  Accept,      // fd, addr=sockaddr* (may be null), addr2=socklen_t*, flags=SOCK_*
  Connect,     // fd, addr=sockaddr*, len=socklen
  Shutdown,    // fd, len=how
  Close,       // fd
  OpenAt,      // fd2=dirfd, addr=path, flags=O_*, mode
  Statx,       // fd2=dirfd, addr=path, flags=AT_*, mask=STATX_*, addr2=struct statx*
  Fsync,       // fd, flags=0 or IORING_FSYNC_DATASYNC(1) for fdatasync
  SyncFileRange,  // fd, off, len, flags=SYNC_FILE_RANGE_*
  Fallocate,   // fd, mode, off, len64
  Ftruncate,   // fd, off=length
  UnlinkAt,    // fd2=dirfd, addr=path, flags=AT_REMOVEDIR or 0
  RenameAt,    // fd2=olddirfd, addr=oldpath, fd=newdirfd, addr2=newpath, flags
  MkdirAt,     // fd2=dirfd, addr=path, mode
  LinkAt,      // fd2=olddirfd, addr=oldpath, fd=newdirfd, addr2=newpath, flags
  SymlinkAt,   // addr=target, fd=newdirfd, addr2=linkpath
  PollAdd,     // fd, mask=POLL* events; res = revents
  Timeout,     // addr=__kernel_timespec* (relative); res = -ETIME on expiry
  Getdents,    // fd, addr=buf, len  (no ring opcode: always blocking pool)
  Custom,      // blocking pool only: custom_fn(custom_arg) computes res
  kCount
};

const char* opcode_name(OpCode code);

enum class OpState : uint8_t {
  Idle,        // acquired, not yet handed to the driver
  Queued,      // handed to the driver, waiting for an SQE (backlog) or readiness
  InFlight,    // submitted to the kernel / pool
  Done,        // last completion delivered
};

// Shaped after io_uring_sqe. Field meaning per OpCode is listed above.
struct OpArgs {
  int32_t fd = -1;
  int32_t fd2 = -1;
  uint64_t off = 0;
  void* addr = nullptr;
  void* addr2 = nullptr;
  uint64_t len = 0;
  uint32_t flags = 0;
  uint32_t mask = 0;  // statx mask, poll events
  uint32_t mode = 0;  // open/mkdir mode, fallocate mode
};

struct Op;
// Called once per completion while the op has an owner. `flags` carries
// kOpMore when more completions of this op will follow (multishot).
using OpCompleteFn = void (*)(Op* op, int32_t res, uint32_t flags);
using OpCustomFn = int32_t (*)(Op* op);

inline constexpr uint32_t kOpMore = 1u << 1;  // == IORING_CQE_F_MORE

struct Op {
  OpCode code = OpCode::Nop;
  OpState state = OpState::Idle;
  bool multishot = false;        // recv/accept multishot (uring only)
  bool detached = false;         // owner gone: last completion releases the op
  bool cancel_requested = false;
  bool force_blocking = false;   // run on the blocking pool, not the ring
  // Driver-private: the io_uring driver is waiting for this op's fd to be
  // ready (POLL_ADD) because the ring lacks the op's own opcode.
  bool ready_wait = false;
  OpArgs args;

  OpCompleteFn on_complete = nullptr;
  void* owner = nullptr;          // the awaiter / handle waiting on this op
  int32_t result = 0;             // last result seen
  uint32_t cqe_flags = 0;

  OpCustomFn custom_fn = nullptr;  // OpCode::Custom
  void* custom_arg = nullptr;

  // Resources owned by the op until its last completion.
  FixedBuf buf;
  std::vector<FixedBuf> bufs;  // extra buffers of vectored I/O (readv/recvmsg iovecs)
  // Blocks from own_bytes() that did not fit inline; every one lives until
  // the op is released (a msghdr and its iovec array may be two requests).
  std::vector<std::unique_ptr<std::byte[]>> heap;
  // 416 bytes: a struct statx (256) and a path or two fit without a heap
  // block, so a uv_fs_stat / fstat costs no allocation.
  alignas(16) std::byte inline_storage[416];
  // Anything else the op refers to that must outlive it, released with the
  // slot after the last completion: e.g. the fd of a File dropped while this
  // op is still in flight (so the number is not reused under the op).
  std::shared_ptr<void> keep_alive;

  OpRegistry* registry = nullptr;
  Op* next = nullptr;  // intrusive link used by drivers (backlog, ready lists)
  uint64_t id = 0;     // monotonically increasing, for tracing

  // Allocate `n` bytes that live exactly as long as the op. Returns
  // inline storage when it fits and has not been handed out yet.
  std::byte* own_bytes(size_t n);
  // Copy a NUL-terminated path into op-owned memory.
  const char* own_path(const char* path);
  const char* own_path2(const char* path);

 private:
  size_t inline_used_ = 0;
};

// Dispatch one completion to an op. Drivers call this for every CQE (or
// emulated completion). It implements the detach rule: a detached op's
// completions are swallowed (fds produced by a completed open/accept are
// closed, not leaked) and its slot is released on the last one.
void op_dispatch(Op* op, int32_t res, uint32_t flags);

// True if a successful result of this op is a new file descriptor.
bool op_result_is_fd(const Op& op);

}  // namespace veloq
