#include "core/time/timer_wheel.hpp"

#include <algorithm>
#include <ctime>

namespace veloq {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

namespace {
constexpr unsigned kSlotBits = 8;
constexpr uint64_t kSlotMask = 255;
}  // namespace

// Start at the current time so real deadlines land in low levels at once.
TimerWheel::TimerWheel() : cur_tick_(monotonic_ns() / kTickNs) {}

void TimerWheel::link_back(List& l, TimerEntry* e) {
  e->prev = l.head.prev;
  e->next = &l.head;
  l.head.prev->next = e;
  l.head.prev = e;
}

void TimerWheel::unlink(TimerEntry* e) {
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->prev = e->next = nullptr;
}

void TimerWheel::place(TimerEntry* e) {
  const uint64_t tick = e->deadline_ns / kTickNs;
  if (tick <= cur_tick_) {
    link_back(near_, e);
    e->bucket = kNear;
    return;
  }
  // The level is the highest 8-bit digit in which tick and cursor differ:
  // the entry cascades down when the cursor reaches that digit's value.
  const uint64_t diff = tick ^ cur_tick_;
  const unsigned level = unsigned(63 - __builtin_clzll(diff)) / kSlotBits;
  if (level >= kLevels) {
    link_back(overflow_, e);
    e->bucket = kOverflow;
    overflow_min_tick_ = std::min(overflow_min_tick_, tick);
    return;
  }
  const unsigned slot = unsigned((tick >> (kSlotBits * level)) & kSlotMask);
  link_back(slots_[level][slot], e);
  set_bit(level, slot);
  e->bucket = uint16_t(level * kSlots + slot);
}

void TimerWheel::add(TimerEntry* e) {
  e->seq = ++seq_;
  e->armed = true;
  ++count_;
  place(e);
}

void TimerWheel::remove(TimerEntry* e) {
  if (!e->armed) return;
  const uint16_t b = e->bucket;
  unlink(e);
  e->armed = false;
  --count_;
  if (b < kNear) {
    if (slots_[b / kSlots][b % kSlots].empty()) clear_bit(b / kSlots, b % kSlots);
  } else if (b == kOverflow && overflow_.empty()) {
    overflow_min_tick_ = UINT64_MAX;
  }
}

bool TimerWheel::next_event(uint64_t* tick, unsigned* level) const {
  // Invariant: an entry at level L has the cursor's digits above L and a
  // digit at L strictly greater than the cursor's, so only slots after the
  // cursor's position are searched, and the lowest nonempty level holds the
  // earliest entries.
  for (unsigned l = 0; l < kLevels; ++l) {
    const unsigned shift = kSlotBits * l;
    const unsigned from = unsigned((cur_tick_ >> shift) & kSlotMask) + 1;
    for (unsigned w = from >> 6; w < kSlots / 64; ++w) {
      uint64_t m = bits_[l][w];
      if (w == (from >> 6)) m &= ~uint64_t{0} << (from & 63);
      if (m == 0) continue;
      const uint64_t idx = w * 64 + unsigned(__builtin_ctzll(m));
      const unsigned up = shift + kSlotBits;
      *tick = ((cur_tick_ >> up) << up) | (idx << shift);
      *level = l;
      return true;
    }
  }
  if (!overflow_.empty()) {
    // Re-place the overflow list when the cursor enters the 2^32-tick block
    // of its earliest entry. The min may be stale-low after removals: never
    // go backwards, re-placing early is harmless.
    const unsigned up = kSlotBits * kLevels;
    uint64_t t = (overflow_min_tick_ >> up) << up;
    if (t <= cur_tick_) t = cur_tick_ + 1;
    *tick = t;
    *level = kLevels;
    return true;
  }
  return false;
}

void TimerWheel::advance_to(uint64_t now_tick) {
  uint64_t t = 0;
  unsigned l = 0;
  while (next_event(&t, &l) && t <= now_tick) {
    cur_tick_ = t;
    List* src;
    if (l < kLevels) {
      const unsigned slot = unsigned((t >> (kSlotBits * l)) & kSlotMask);
      src = &slots_[l][slot];
      clear_bit(l, slot);
    } else {
      src = &overflow_;
      overflow_min_tick_ = UINT64_MAX;
    }
    // Splice out first: overflow entries may go straight back to overflow_.
    List tmp;
    if (!src->empty()) {
      tmp.head.next = src->head.next;
      tmp.head.prev = src->head.prev;
      tmp.head.next->prev = &tmp.head;
      tmp.head.prev->next = &tmp.head;
      src->head.next = src->head.prev = &src->head;
    }
    while (!tmp.empty()) {
      TimerEntry* e = tmp.head.next;
      unlink(e);
      place(e);  // keeps seq: insertion order survives cascading
    }
  }
  // No slot between the cursor and now_tick holds anything: jumping keeps
  // the level invariant (now_tick is below every remaining entry's slot).
  if (now_tick > cur_tick_) cur_tick_ = now_tick;
}

uint64_t TimerWheel::next_deadline_ns() const {
  uint64_t best = UINT64_MAX;
  for (const TimerEntry* e = near_.head.next; e != &near_.head; e = e->next)
    best = std::min(best, e->deadline_ns);
  for (const TimerEntry* e = firing_.head.next; e != &firing_.head; e = e->next)
    best = std::min(best, e->deadline_ns);
  uint64_t t = 0;
  unsigned l = 0;
  if (next_event(&t, &l)) {
    if (l == 0) {
      // One tick per level-0 slot: its entries are few, scan for the exact
      // deadline so the worker wakes once, on time.
      const List& s = slots_[0][t & kSlotMask];
      for (const TimerEntry* e = s.head.next; e != &s.head; e = e->next)
        best = std::min(best, e->deadline_ns);
    } else {
      // Start of the slot: <= every deadline in it. Waking there cascades
      // the slot; the following call is then exact.
      const uint64_t bound = t > UINT64_MAX / kTickNs ? UINT64_MAX : t * kTickNs;
      best = std::min(best, bound);
    }
  }
  return best;
}

size_t TimerWheel::fire_expired(uint64_t now_ns) {
  advance_to(now_ns / kTickNs);
  // Everything due is in near_ now. Entries added from here on (also by the
  // callbacks below) go to near_, not firing_, so they wait for a later call.
  scratch_.clear();
  for (TimerEntry* e = near_.head.next; e != &near_.head; e = e->next)
    if (e->deadline_ns <= now_ns) scratch_.push_back(e);
  if (scratch_.empty()) return 0;
  std::sort(scratch_.begin(), scratch_.end(), [](const TimerEntry* a, const TimerEntry* b) {
    return a->deadline_ns != b->deadline_ns ? a->deadline_ns < b->deadline_ns : a->seq < b->seq;
  });
  for (TimerEntry* e : scratch_) {
    unlink(e);
    link_back(firing_, e);
    e->bucket = kFiring;
  }
  scratch_.clear();
  size_t fired = 0;
  // A callback may remove a later entry of this batch: pop one at a time.
  while (!firing_.empty()) {
    TimerEntry* e = firing_.head.next;
    unlink(e);
    e->armed = false;
    --count_;
    ++fired;
    e->fire(e);
  }
  return fired;
}

}  // namespace veloq
