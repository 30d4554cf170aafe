#include "support/net_helpers.hpp"

#include <dirent.h>
#include <sys/resource.h>

#include <cstdlib>
#include <cstring>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

namespace veloq::test {

size_t raise_nofile(size_t want) {
  rlimit rl{};
  ::getrlimit(RLIMIT_NOFILE, &rl);
  if (rlim_t(want) > rl.rlim_max) {
    // Root (CI) may raise the hard limit too; others keep theirs and the
    // caller scales down.
    rlimit raised{rlim_t(want), rlim_t(want)};
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) return want;
  }
  rlim_t target = want < rl.rlim_max ? rlim_t(want) : rl.rlim_max;
  if (target > rl.rlim_cur) {
    rl.rlim_cur = target;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
  }
  return size_t(rl.rlim_cur);
}

FixedBuf pattern_buf(size_t n, uint64_t off, uint32_t seed) {
  FixedBuf b = FixedBuf::allocate(n == 0 ? 1 : n);
  for (size_t i = 0; i < n; ++i) b.data()[i] = pattern_byte(off + i, seed);
  b.set_len(n);
  return b;
}

bool check_pattern(std::span<const std::byte> bytes, uint64_t off, uint32_t seed) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != pattern_byte(off + i, seed)) return false;
  }
  return true;
}

Task<void> ring_turn() {
  IoOp op(OpCode::Nop);
  co_await op;
}

Gate::~Gate() {
  for (TaskHeader* t : waiters_) t->release();
}

void Gate::open() {
  open_ = true;
  std::vector<TaskHeader*> w;
  w.swap(waiters_);
  for (TaskHeader* t : w) {
    t->wake();  // no-op for a task that was aborted meanwhile
    t->release();
  }
}

Task<size_t> echo_stream(net::StreamSocket s, size_t bufsize) {
  size_t total = 0;
  FixedBuf buf = FixedBuf::allocate(bufsize);
  for (;;) {
    auto [n, back] = co_await s.read(std::move(buf));
    if (!n || *n == 0) break;
    auto [w, back2] = co_await s.write_all(std::move(back));
    if (!w) break;
    total += *n;
    buf = std::move(back2);
  }
  co_return total;
}

Task<size_t> serve_echo(net::TcpListener* l, size_t n, size_t bufsize) {
  size_t accepted = 0;
  while (n == 0 || accepted < n) {
    auto a = co_await l->accept();
    if (!a) break;
    ++accepted;
    // Detached: each echo task lives until its peer closes.
    (void)spawn_local(echo_stream(std::move(a->stream), bufsize), "echo");
  }
  co_return accepted;
}

}  // namespace veloq::test
