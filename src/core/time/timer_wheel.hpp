// TimerWheel: a Worker's timers.
//
// Hierarchical timing wheel: 4 levels of 256 slots at 1 ms resolution
// (level 0 covers 256 ms, level 3 about 49 days; later deadlines park in an
// overflow list and are re-placed when the wheel reaches their 2^32 ms
// block). Insert and cancel are O(1); expired entries fire in deadline order,
// and entries with the same deadline fire in the order they were added. The
// Worker arms exactly one ring wait timeout: next_deadline_ns().
//
// Ticks are floor(deadline_ns / 1 ms). The wheel keeps a cursor `cur_tick_`:
// every entry with tick <= cur_tick_ sits in the `near_` list (unsorted, at
// most ~1 ms worth of live entries plus those already due), every later entry
// sits in the level whose 8-bit digit is the highest one where its tick
// differs from the cursor. fire_expired(now) advances the cursor to now's
// tick, cascading the slots it reaches into lower levels / near_, then fires
// the near_ entries whose exact deadline_ns <= now, sorted by (deadline, seq).
// So nothing fires before its nanosecond deadline although slots are 1 ms.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace veloq {

struct TimerEntry {
  uint64_t deadline_ns = 0;
  void (*fire)(TimerEntry*) = nullptr;
  void* ctx = nullptr;
  // intrusive links and bookkeeping, owned by the wheel
  TimerEntry* prev = nullptr;
  TimerEntry* next = nullptr;
  uint64_t seq = 0;
  uint16_t bucket = 0;  // which list holds it (TimerWheel internal)
  bool armed = false;
};

class TimerWheel {
 public:
  static constexpr unsigned kLevels = 4;
  static constexpr unsigned kSlots = 256;
  static constexpr uint64_t kTickNs = 1'000'000;  // 1 ms

  TimerWheel();
  TimerWheel(const TimerWheel&) = delete;
  TimerWheel& operator=(const TimerWheel&) = delete;
  // Does not touch entries still armed (they may already be gone); whoever
  // owns an entry must not remove() it after the wheel is destroyed.
  ~TimerWheel() = default;

  // Arm `e` (must not be armed). A deadline in the past fires at the next
  // fire_expired() call.
  void add(TimerEntry* e);
  // Disarm `e` if armed. Safe to call from inside a fire callback (also for
  // another entry due in the same call: it then does not fire).
  void remove(TimerEntry* e);
  // A lower bound of the nearest deadline that is never earlier than the
  // start of the nearest deadline's 1 ms tick, and exact when that entry is
  // already in the current tick; UINT64_MAX when no timer is armed. Waiting
  // until it and calling fire_expired() therefore never fires early, and
  // wakes at most once or twice per cascade before the exact deadline.
  uint64_t next_deadline_ns() const;
  // Fire every entry with deadline <= now_ns, in (deadline, insertion) order.
  // Entries added by callbacks with deadline <= now_ns fire in a later call,
  // not this one. Returns how many fired.
  size_t fire_expired(uint64_t now_ns);
  size_t size() const { return count_; }

 private:
  // A circular list with a sentinel node.
  struct List {
    TimerEntry head;
    List() { head.prev = head.next = &head; }
    bool empty() const { return head.next == &head; }
  };
  static constexpr uint16_t kNear = kLevels * kSlots;  // bucket ids
  static constexpr uint16_t kOverflow = kNear + 1;
  static constexpr uint16_t kFiring = kNear + 2;

  static void link_back(List& l, TimerEntry* e);
  static void unlink(TimerEntry* e);
  // Put an entry (seq already set) into the list its tick belongs to.
  void place(TimerEntry* e);
  // The next tick at which the wheel has to do something (a nonempty slot or
  // the overflow block), and which level (kLevels = overflow). False if none.
  bool next_event(uint64_t* tick, unsigned* level) const;
  void advance_to(uint64_t now_tick);
  void set_bit(unsigned level, unsigned slot) {
    bits_[level][slot >> 6] |= uint64_t{1} << (slot & 63);
  }
  void clear_bit(unsigned level, unsigned slot) {
    bits_[level][slot >> 6] &= ~(uint64_t{1} << (slot & 63));
  }

  List slots_[kLevels][kSlots];
  uint64_t bits_[kLevels][kSlots / 64] = {};  // nonempty slots
  List near_;       // tick <= cur_tick_: due or due within the current tick
  List overflow_;   // tick beyond level 3 of the cursor
  List firing_;     // sorted batch being fired by fire_expired()
  uint64_t overflow_min_tick_ = UINT64_MAX;  // lower bound while nonempty
  uint64_t cur_tick_;
  size_t count_ = 0;
  uint64_t seq_ = 0;
  std::vector<TimerEntry*> scratch_;  // reused by fire_expired()
};

// Monotonic clock in nanoseconds (CLOCK_MONOTONIC).
uint64_t monotonic_ns();

}  // namespace veloq
