// TimerWheel: a Worker's timers.
//
// Hierarchical timing wheel: 4 levels of 256 slots at 1 ms resolution
// (level 0 covers 256 ms, level 3 about 49 days; later deadlines park in an
// overflow list and are re-examined when the wheel turns). Insert and cancel
// are O(1); expired entries fire in deadline order, and entries with the same
// deadline fire in the order they were added. The Worker arms exactly one
// ring wait timeout: the nearest deadline (next_deadline_ns()).
#pragma once

#include <cstddef>
#include <cstdint>

namespace veloq {

struct TimerEntry {
  uint64_t deadline_ns = 0;
  void (*fire)(TimerEntry*) = nullptr;
  void* ctx = nullptr;
  // intrusive links, owned by the wheel
  TimerEntry* prev = nullptr;
  TimerEntry* next = nullptr;
  uint64_t seq = 0;
  bool armed = false;
};

class TimerWheel {
 public:
  TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;

  // Arm `e` (must not be armed). A deadline in the past fires at the next
  // fire_expired() call.
  void add(TimerEntry* e);
  // Disarm `e` if armed. Safe to call from inside a fire callback.
  void remove(TimerEntry* e);
  // Nearest deadline, or UINT64_MAX when no timer is armed.
  uint64_t next_deadline_ns() const;
  // Fire every entry with deadline <= now_ns. Entries added by callbacks with
  // deadline <= now_ns fire in a later call, not this one.
  size_t fire_expired(uint64_t now_ns);
  size_t size() const { return count_; }

 private:
  struct Impl;
  // Placeholder: sorted intrusive list (replaced by the hierarchical wheel).
  TimerEntry head_;
  size_t count_ = 0;
  uint64_t seq_ = 0;
};

// Monotonic clock in nanoseconds (CLOCK_MONOTONIC).
uint64_t monotonic_ns();

}  // namespace veloq
