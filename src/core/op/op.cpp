#include "core/op/op.hpp"

#include <unistd.h>

#include <cstring>

#include "core/op/registry.hpp"

namespace veloq {

const char* opcode_name(OpCode code) {
  static constexpr const char* kNames[] = {
      "nop",        "read",      "write",    "readv",          "writev",    "recv",
      "send",       "recvmsg",   "sendmsg",  "accept",         "connect",   "shutdown",
      "close",      "openat",    "statx",    "fsync",          "sync_file_range",
      "fallocate",  "ftruncate", "unlinkat", "renameat",       "mkdirat",   "linkat",
      "symlinkat",  "poll_add",  "timeout",  "getdents",       "custom"};
  static_assert(sizeof(kNames) / sizeof(kNames[0]) == size_t(OpCode::kCount));
  auto i = size_t(code);
  return i < size_t(OpCode::kCount) ? kNames[i] : "?";
}

std::byte* Op::own_bytes(size_t n) {
  n = (n + 15) & ~size_t{15};
  if (inline_used_ + n <= sizeof(inline_storage)) {
    std::byte* p = inline_storage + inline_used_;
    inline_used_ += n;
    return p;
  }
  // Rare (large iovec arrays, long paths): one allocation per request, each
  // chained so that all stay alive until the op's slot is released.
  // operator new[] aligns to 16 bytes on x86_64, as own_bytes promises.
  heap.push_back(std::make_unique<std::byte[]>(n));
  return heap.back().get();
}

const char* Op::own_path(const char* path) {
  if (path == nullptr) path = "";  // the syscall then fails with ENOENT
  size_t n = std::strlen(path) + 1;
  auto* p = reinterpret_cast<char*>(own_bytes(n));
  std::memcpy(p, path, n);
  args.addr = p;
  return p;
}

const char* Op::own_path2(const char* path) {
  if (path == nullptr) path = "";
  size_t n = std::strlen(path) + 1;
  auto* p = reinterpret_cast<char*>(own_bytes(n));
  std::memcpy(p, path, n);
  args.addr2 = p;
  return p;
}

bool op_result_is_fd(const Op& op) {
  return op.code == OpCode::OpenAt || op.code == OpCode::Accept;
}

void op_dispatch(Op* op, int32_t res, uint32_t flags) {
  const bool last = (flags & kOpMore) == 0;
  if (last) op->state = OpState::Done;
  op->result = res;
  op->cqe_flags = flags;
  if (op->detached) {
    // Nobody will take this result: an fd it produced must not leak.
    if (res >= 0 && op_result_is_fd(*op)) ::close(res);
    if (last) op->registry->release(op);
    return;
  }
  if (op->on_complete != nullptr) op->on_complete(op, res, flags);
}

}  // namespace veloq
