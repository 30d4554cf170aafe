// TimerWheel unit tests on synthetic time: ordering, never early, removal
// and re-arming from callbacks, cascading through every level and overflow,
// and that next_deadline_ns() lets a waiter wake on time without spinning.
#include <criterion/criterion.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "core/time/timer_wheel.hpp"

using namespace veloq;

namespace {

constexpr uint64_t kMs = 1'000'000;

struct Rec {
  TimerEntry e;
  int id = 0;
  uint64_t fired_at = 0;  // synthetic now at fire, 0 = not fired
};

struct Log {
  uint64_t now = 0;  // the now passed to the current fire_expired()
  std::vector<Rec*> order;
};
Log* g_log = nullptr;

void record(TimerEntry* e) {
  auto* r = static_cast<Rec*>(e->ctx);
  r->fired_at = g_log->now;
  g_log->order.push_back(r);
}

void arm(TimerWheel& w, Rec& r, uint64_t deadline, int id) {
  r.id = id;
  r.e.deadline_ns = deadline;
  r.e.fire = &record;
  r.e.ctx = &r;
  w.add(&r.e);
}

size_t fire(TimerWheel& w, Log& log, uint64_t now) {
  log.now = now;
  return w.fire_expired(now);
}

// True minimum deadline of the still-armed records.
uint64_t true_min(const std::vector<std::unique_ptr<Rec>>& rs) {
  uint64_t m = UINT64_MAX;
  for (auto& r : rs)
    if (r->e.armed) m = std::min(m, r->e.deadline_ns);
  return m;
}

}  // namespace

Test(timer_wheel, ten_thousand_random_fire_in_order_never_early) {
  TimerWheel w;
  Log log;
  g_log = &log;
  const uint64_t base = monotonic_ns();
  std::mt19937_64 rng(12345);
  std::vector<std::unique_ptr<Rec>> rs;
  for (int i = 0; i < 10000; ++i) {
    rs.push_back(std::make_unique<Rec>());
    // 0..3 s with ns precision, plus some duplicates to exercise ties.
    uint64_t d = base + (i % 10 == 0 && i > 0 ? rs[i - 1]->e.deadline_ns - base
                                               : rng() % (3000 * kMs));
    arm(w, *rs.back(), d, i);
  }
  cr_assert_eq(w.size(), 10000u);
  uint64_t now = base;
  size_t total = 0;
  while (w.size() > 0) {
    now += rng() % (3 * kMs);  // irregular steps, not tick aligned
    total += fire(w, log, now);
    cr_assert(w.next_deadline_ns() <= true_min(rs), "next_deadline later than a deadline");
  }
  cr_assert_eq(total, 10000u);
  cr_assert_eq(log.order.size(), 10000u);
  for (size_t i = 0; i < log.order.size(); ++i) {
    Rec* r = log.order[i];
    cr_assert(r->fired_at >= r->e.deadline_ns, "timer %d fired early", r->id);
    if (i > 0) {
      Rec* p = log.order[i - 1];
      bool ordered = p->e.deadline_ns < r->e.deadline_ns ||
                     (p->e.deadline_ns == r->e.deadline_ns && p->id < r->id);
      cr_assert(ordered, "timers %d and %d out of order", p->id, r->id);
    }
  }
  cr_assert_eq(w.next_deadline_ns(), UINT64_MAX);
}

Test(timer_wheel, same_deadline_fires_in_insertion_order) {
  TimerWheel w;
  Log log;
  g_log = &log;
  const uint64_t d = monotonic_ns() + 700 * kMs;  // level 1: cascades first
  std::vector<std::unique_ptr<Rec>> rs;
  for (int i = 0; i < 100; ++i) {
    rs.push_back(std::make_unique<Rec>());
    arm(w, *rs.back(), d, i);
  }
  cr_assert_eq(fire(w, log, d - 1), 0u);
  cr_assert_eq(fire(w, log, d + 5 * kMs), 100u);
  for (int i = 0; i < 100; ++i) cr_assert_eq(log.order[i]->id, i);
}

Test(timer_wheel, never_fires_before_ns_deadline_within_a_tick) {
  TimerWheel w;
  Log log;
  g_log = &log;
  const uint64_t d = (monotonic_ns() / kMs + 5) * kMs + kMs / 2;  // mid-tick
  Rec r;
  arm(w, r, d, 1);
  cr_assert_eq(fire(w, log, d - kMs / 4), 0u);  // same tick, before deadline
  cr_assert(w.next_deadline_ns() == d, "exact once the tick is current");
  cr_assert_eq(fire(w, log, d - 1), 0u);
  cr_assert_eq(fire(w, log, d), 1u);
  cr_assert_eq(r.fired_at, d);
  cr_assert_eq(w.size(), 0u);
}

Test(timer_wheel, past_deadline_fires_next_call) {
  TimerWheel w;
  Log log;
  g_log = &log;
  const uint64_t now = monotonic_ns();
  Rec a, b;
  arm(w, a, now - 10 * kMs, 1);
  arm(w, b, 0, 2);
  cr_assert_eq(w.next_deadline_ns(), 0u);
  cr_assert_eq(fire(w, log, now), 2u);
  cr_assert_eq(log.order[0]->id, 2);  // deadline 0 first
  cr_assert_eq(log.order[1]->id, 1);
}

namespace {
TimerWheel* g_wheel = nullptr;
Rec* g_victim = nullptr;
Rec* g_readd = nullptr;
void remove_victim(TimerEntry* e) {
  record(e);
  g_wheel->remove(&g_victim->e);
}
void readd_due(TimerEntry* e) {
  record(e);
  // Deadline <= now: must wait for the next fire_expired() call.
  g_readd->e.deadline_ns = g_log->now - 1;
  g_readd->e.fire = &record;
  g_readd->e.ctx = g_readd;
  g_wheel->add(&g_readd->e);
}
}  // namespace

Test(timer_wheel, remove_from_callback) {
  TimerWheel w;
  Log log;
  g_log = &log;
  g_wheel = &w;
  const uint64_t base = monotonic_ns();
  Rec a, b, c, far;
  arm(w, a, base + 2 * kMs, 1);
  a.e.fire = &remove_victim;
  arm(w, b, base + 3 * kMs, 2);  // due in the same call, removed by a
  arm(w, c, base + 3 * kMs, 3);
  arm(w, far, base + 900 * kMs, 4);  // removed while in a higher level
  g_victim = &b;
  w.remove(&far.e);
  cr_assert(!far.e.armed);
  w.remove(&far.e);  // double remove is a no-op
  cr_assert_eq(w.size(), 3u);
  cr_assert_eq(fire(w, log, base + 10 * kMs), 2u);
  cr_assert_eq(log.order.size(), 2u);
  cr_assert_eq(log.order[0]->id, 1);
  cr_assert_eq(log.order[1]->id, 3);
  cr_assert(!b.e.armed);
  cr_assert_eq(w.size(), 0u);
  cr_assert_eq(w.next_deadline_ns(), UINT64_MAX);
}

Test(timer_wheel, add_due_from_callback_waits_for_next_call) {
  TimerWheel w;
  Log log;
  g_log = &log;
  g_wheel = &w;
  const uint64_t base = monotonic_ns();
  Rec a, again;
  g_readd = &again;
  arm(w, a, base + kMs, 1);
  a.e.fire = &readd_due;
  again.id = 2;
  cr_assert_eq(fire(w, log, base + 2 * kMs), 1u);
  cr_assert_eq(w.size(), 1u);
  cr_assert_eq(fire(w, log, base + 2 * kMs), 1u);
  cr_assert_eq(log.order.back()->id, 2);
  cr_assert_eq(w.size(), 0u);
}

// A waiter that sleeps until next_deadline_ns() and fires: every level and
// the overflow list, in order, never early, and only a few wakes per timer.
Test(timer_wheel, cascades_all_levels_and_overflow) {
  TimerWheel w;
  Log log;
  g_log = &log;
  const uint64_t base = monotonic_ns();
  const uint64_t offs[] = {
      kMs / 3,                       // level 0 / current tick
      100 * kMs + 17,                // level 0
      300 * kMs + 5,                 // level 1
      70'000 * kMs + 999'999,        // level 2
      5ull * 3600 * 1000 * kMs + 1,  // level 3
      60ull * 86400 * 1000 * kMs,    // beyond level 3: overflow
      200ull * 86400 * 1000 * kMs + 123,
  };
  std::vector<std::unique_ptr<Rec>> rs;
  int id = 0;
  for (uint64_t o : offs) {
    rs.push_back(std::make_unique<Rec>());
    arm(w, *rs.back(), base + o, id++);
  }
  uint64_t now = base;
  int wakes = 0;
  while (w.size() > 0 && wakes < 1000) {
    uint64_t next = w.next_deadline_ns();
    cr_assert(next <= true_min(rs));
    cr_assert(next >= now || next <= base, "next deadline went backwards");
    now = std::max(now, next);
    fire(w, log, now);
    ++wakes;
  }
  cr_assert_eq(w.size(), 0u);
  cr_assert_eq(log.order.size(), std::size(offs));
  for (size_t i = 0; i < log.order.size(); ++i) {
    cr_assert_eq(log.order[i]->id, int(i));
    cr_assert(log.order[i]->fired_at >= log.order[i]->e.deadline_ns);
  }
  // Each timer costs at most one wake per level it cascades through plus the
  // exact one: a bounded number, no spinning.
  cr_assert(wakes <= 5 * int(std::size(offs)), "%d wakes", wakes);
}

Test(timer_wheel, many_adds_and_removes_keep_size) {
  TimerWheel w;
  Log log;
  g_log = &log;
  const uint64_t base = monotonic_ns();
  std::mt19937 rng(7);
  std::vector<std::unique_ptr<Rec>> rs;
  for (int i = 0; i < 5000; ++i) {
    rs.push_back(std::make_unique<Rec>());
    arm(w, *rs.back(), base + (rng() % 100000) * kMs, i);
  }
  size_t removed = 0;
  for (int i = 0; i < 5000; i += 2) {
    w.remove(&rs[i]->e);
    ++removed;
  }
  cr_assert_eq(w.size(), 5000 - removed);
  uint64_t now = base;
  while (w.size() > 0) {
    now = std::max(now, w.next_deadline_ns());
    fire(w, log, now);
  }
  cr_assert_eq(log.order.size(), 5000 - removed);
  for (Rec* r : log.order) cr_assert(r->id % 2 == 1);
}

// Model check: random adds (past, near, every level, overflow), removes and
// fires with small and huge time jumps; every fire_expired() must fire
// exactly the armed entries with deadline <= now, in (deadline, seq) order.
Test(timer_wheel, matches_reference_model) {
  TimerWheel w;
  Log log;
  g_log = &log;
  std::mt19937_64 rng(2024);
  uint64_t now = monotonic_ns();
  std::vector<std::unique_ptr<Rec>> pool;
  std::vector<Rec*> armed_order;  // insertion order of armed entries
  int next_id = 0;
  const uint64_t spans[] = {kMs, 256 * kMs, 65536 * kMs, 16'777'216ull * kMs,
                            4'294'967'296ull * kMs * 3};
  for (int step = 0; step < 20000; ++step) {
    unsigned op = unsigned(rng() % 10);
    if (op < 5) {
      pool.push_back(std::make_unique<Rec>());
      uint64_t span = spans[rng() % std::size(spans)];
      uint64_t d = (rng() % 8 == 0) ? now - rng() % (10 * kMs) : now + rng() % span;
      arm(w, *pool.back(), d, next_id++);
      armed_order.push_back(pool.back().get());
    } else if (op < 7 && !armed_order.empty()) {
      size_t i = rng() % armed_order.size();
      w.remove(&armed_order[i]->e);
      armed_order.erase(armed_order.begin() + long(i));
    } else {
      uint64_t next = w.next_deadline_ns();
      uint64_t truth = UINT64_MAX;
      for (Rec* r : armed_order) truth = std::min(truth, r->e.deadline_ns);
      cr_assert(next <= truth, "next_deadline_ns later than the nearest deadline");
      if (truth == UINT64_MAX) cr_assert_eq(next, UINT64_MAX);
      // Jump: sometimes exactly to next, sometimes a little, rarely far.
      unsigned j = unsigned(rng() % 4);
      if (j == 0 && next != UINT64_MAX) now = std::max(now, next);
      else if (j == 3 && rng() % 50 == 0) now += rng() % (spans[4]);
      else now += rng() % (3 * kMs);
      std::vector<Rec*> expect;
      for (Rec* r : armed_order)
        if (r->e.deadline_ns <= now) expect.push_back(r);
      std::stable_sort(expect.begin(), expect.end(), [](Rec* a, Rec* b) {
        return a->e.deadline_ns < b->e.deadline_ns;
      });
      log.order.clear();
      cr_assert_eq(fire(w, log, now), expect.size());
      cr_assert(log.order == expect, "fired set/order differs from the model at step %d", step);
      std::erase_if(armed_order, [&](Rec* r) { return r->e.deadline_ns <= now; });
    }
    cr_assert_eq(w.size(), armed_order.size());
  }
}
