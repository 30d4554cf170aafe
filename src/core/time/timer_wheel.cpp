#include "core/time/timer_wheel.hpp"

#include <ctime>

namespace veloq {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

TimerWheel::TimerWheel() { head_.prev = head_.next = &head_; }

void TimerWheel::add(TimerEntry* e) {
  e->seq = ++seq_;
  e->armed = true;
  // Walk back from the tail: new timers usually have the latest deadline.
  TimerEntry* at = head_.prev;
  while (at != &head_ && at->deadline_ns > e->deadline_ns) at = at->prev;
  e->prev = at;
  e->next = at->next;
  at->next->prev = e;
  at->next = e;
  ++count_;
}

void TimerWheel::remove(TimerEntry* e) {
  if (!e->armed) return;
  e->prev->next = e->next;
  e->next->prev = e->prev;
  e->prev = e->next = nullptr;
  e->armed = false;
  --count_;
}

uint64_t TimerWheel::next_deadline_ns() const {
  return head_.next == &head_ ? UINT64_MAX : head_.next->deadline_ns;
}

size_t TimerWheel::fire_expired(uint64_t now_ns) {
  size_t fired = 0;
  const uint64_t limit = seq_;  // entries added by callbacks wait a turn
  for (TimerEntry* e = head_.next; e != &head_ && e->deadline_ns <= now_ns;) {
    if (e->seq > limit) {
      e = e->next;
      continue;
    }
    remove(e);
    ++fired;
    e->fire(e);
    e = head_.next;
  }
  return fired;
}

}  // namespace veloq
