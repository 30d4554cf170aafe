// Shared helpers of the net_* tests (owned by the net area).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/mem/fixed_buf.hpp"
#include "core/net/socket.hpp"
#include "core/net/tcp.hpp"
#include "core/runtime/task.hpp"
#include "support/fd_helpers.hpp"

namespace veloq::test {

// Raise RLIMIT_NOFILE to `want` (hard limit too where permitted, else the
// soft limit to min(want, hard)). Returns the new soft limit.
size_t raise_nofile(size_t want);

// Deterministic byte pattern: byte i of a stream seeded `seed`.
inline std::byte pattern_byte(uint64_t i, uint32_t seed) {
  return std::byte(uint8_t((i * 2654435761u + seed) >> 7));
}
// A buffer of `n` pattern bytes starting at stream offset `off`.
FixedBuf pattern_buf(size_t n, uint64_t off, uint32_t seed);
// True if `bytes` equals the pattern at stream offset `off`.
bool check_pattern(std::span<const std::byte> bytes, uint64_t off, uint32_t seed);

// One trip through the driver (a NOP): lets other tasks and completions run.
Task<void> ring_turn();

// Wait-all barrier for tasks on one worker: wait() suspends until open().
// Waiters hold a task reference, so an aborted waiter is harmless.
class Gate {
 public:
  Gate() = default;
  Gate(const Gate&) = delete;
  ~Gate();
  void open();
  bool is_open() const { return open_; }
  auto wait() {
    struct Awaiter {
      Gate* g;
      bool await_ready() const noexcept { return g->open_; }
      void await_suspend(std::coroutine_handle<> h) {
        TaskHeader* t = current_task();
        t->leaf = h;
        t->add_ref();
        g->waiters_.push_back(t);
      }
      void await_resume() const noexcept {}
    };
    return Awaiter{this};
  }

 private:
  bool open_ = false;
  std::vector<TaskHeader*> waiters_;
};

// Echo everything read back to the sender until EOF or an error.
// Returns the number of bytes echoed.
Task<size_t> echo_stream(net::StreamSocket s, size_t bufsize = 16 * 1024);
// Accept `n` connections (0 = forever), spawning echo_stream for each.
Task<size_t> serve_echo(net::TcpListener* l, size_t n, size_t bufsize = 16 * 1024);

}  // namespace veloq::test
