// Helpers for driver tests: drive a Driver directly with ops from an
// OpRegistry and count completions per op. Header-only.
#pragma once

#include <criterion/criterion.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/driver/driver.hpp"
#include "core/op/registry.hpp"

namespace veloq::test {

// What one op saw. Stored in op->owner.
struct Seen {
  int completions = 0;   // all CQEs
  int finals = 0;        // CQEs without kOpMore
  int32_t last_res = 0;
  uint32_t last_flags = 0;
};

inline void on_seen(Op* op, int32_t res, uint32_t flags) {
  auto* s = static_cast<Seen*>(op->owner);
  ++s->completions;
  if ((flags & kOpMore) == 0) ++s->finals;
  s->last_res = res;
  s->last_flags = flags;
}

inline Op* make_op(OpRegistry& reg, OpCode code, Seen* seen) {
  Op* op = reg.acquire(code);
  op->owner = seen;
  op->on_complete = &on_seen;
  return op;
}

inline std::unique_ptr<Driver> driver_from_env(unsigned sq = 256, unsigned cq = 0) {
  DriverOptions o = DriverOptions::from_env();
  o.sq_entries = sq;
  o.cq_entries = cq;
  int err = 0;
  auto d = make_driver(o, &err);
  cr_assert(d != nullptr, "make_driver failed: %s", std::strerror(err));
  return d;
}

// Backend the tests run under (VELOQ_BACKEND, default uring).
inline bool backend_is_uring() {
  const char* b = std::getenv("VELOQ_BACKEND");
  return b == nullptr || std::strcmp(b, "epoll") != 0;
}

// Poll until pred() or `seconds` elapsed. Returns pred().
template <class Pred>
bool poll_until(Driver& d, Pred pred, double seconds = 10.0) {
  auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    int r = d.poll(10'000'000);
    if (r < 0 && r != -EINTR && r != -ETIME) return false;
  }
  return true;
}

}  // namespace veloq::test
