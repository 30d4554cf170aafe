// Multi-core runtime scenarios, shared by the Criterion tests
// (test/core/runtime_*.cpp) and the standalone TSan program
// (test/runtime/runtime_tsan.cpp: TSan cannot run Criterion binaries).
//
// Each scenario builds its own Runtime (backend from VELOQ_BACKEND), runs,
// shuts it down, and returns "" on success or a description of what failed.
// No timed assertions: bounded waits only turn a hang into a failure.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cctype>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/mem/fixed_buf.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/runtime.hpp"
#include "core/runtime/yield.hpp"
#include "core/time/sleep.hpp"

namespace veloq::scenario {

using namespace std::chrono_literals;

inline std::string fmt(const char* f, auto... a) {
  const int n = std::snprintf(nullptr, 0, f, a...);
  std::string out(n > 0 ? size_t(n) : 0, '\0');
  if (n > 0) std::snprintf(out.data(), out.size() + 1, f, a...);
  return out;
}

inline RuntimeOptions opts(size_t workers, size_t capacity = 256) {
  RuntimeOptions o;
  o.workers = workers;
  o.mesh_capacity = capacity;
  return o;
}

// Wait (in a task) until pred() or `limit` passed; sleeps 1 ms per check so a
// loaded machine is not made worse.
template <class Pred>
Task<bool> wait_for(Pred pred, std::chrono::milliseconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) co_return false;
    co_await sleep(1ms);
  }
  co_return true;
}

// Wait on a plain thread (not a worker).
template <class Pred>
bool wait_thread(Pred pred, std::chrono::milliseconds limit = 20s) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(200us);
  }
  return true;
}

// Occupies its worker (no await) until `release`, so the worker neither
// drains its inbox nor adopts its queue meanwhile.
inline Task<void> spinner(std::atomic<bool>* started, std::atomic<bool>* release) {
  started->store(true);
  auto end = std::chrono::steady_clock::now() + 30s;  // never spin forever
  while (!release->load() && std::chrono::steady_clock::now() < end) std::this_thread::yield();
  co_return;
}

// ---------------------------------------------------------------------------
// Message ordering per sender: workers 0 and 1 (tasks) and an outside thread
// each post `n` numbered closures to worker 2; each sender's numbers must
// arrive in order, none lost, none twice.
struct OrderSink {
  uint64_t last[3] = {0, 0, 0};   // touched on worker 2 only
  uint64_t bad = 0;
  std::thread::id wrong_thread{};
  std::atomic<uint64_t> count{0};
};

inline void post_numbered(Runtime* rt, size_t to, OrderSink* sink, int sender, uint64_t n) {
  const std::thread::id want = rt->thread_id(to);
  for (uint64_t i = 1; i <= n; ++i) {
    bool ok = rt->post(to, [sink, sender, i, want] {
      if (sink->last[sender] + 1 != i) ++sink->bad;
      if (std::this_thread::get_id() != want) sink->wrong_thread = std::this_thread::get_id();
      sink->last[sender] = i;
      sink->count.fetch_add(1, std::memory_order_release);
    });
    if (!ok) return;
  }
}

inline Task<void> post_task(Runtime* rt, size_t to, OrderSink* sink, int sender, uint64_t n) {
  post_numbered(rt, to, sink, sender, n);
  co_return;
}

// (Named coroutines throughout: g++ 12 miscompiles coroutine lambdas.)
inline Task<bool> count_is(std::atomic<uint64_t>* c, uint64_t total) {
  co_return c->load(std::memory_order_acquire) == total;
}

inline Task<bool> ordering_root(Runtime* rt, OrderSink* sink, uint64_t n) {
  auto h1 = rt->spawn_on(1, post_task(rt, 2, sink, 1, n));
  post_numbered(rt, 2, sink, 0, n);
  co_return co_await wait_for([&] { return sink->count.load(std::memory_order_acquire) >= 3 * n; });
}

inline std::string ordering(uint64_t n, size_t capacity) {
  Runtime rt(opts(3, capacity));
  auto sink = std::make_unique<OrderSink>();
  std::thread outside([&] { post_numbered(&rt, 2, sink.get(), 2, n); });
  bool done = rt.block_on(ordering_root(&rt, sink.get(), n));
  outside.join();
  // Let worker 2 finish the last closures' writes before reading them.
  bool settled = rt.block_on(count_is(&sink->count, 3 * n));
  rt.shutdown();
  const uint64_t got = sink->count.load(std::memory_order_acquire);
  if (!done || !settled || got != 3 * n) return fmt("received %llu of %llu", (unsigned long long)got, (unsigned long long)(3 * n));
  if (sink->bad != 0) return fmt("%llu messages out of order", (unsigned long long)sink->bad);
  for (int s = 0; s < 3; ++s) {
    if (sink->last[s] != n) return fmt("sender %d: last %llu", s, (unsigned long long)sink->last[s]);
  }
  if (sink->wrong_thread != std::thread::id{}) return "a closure ran on the wrong thread";
  return "";
}

// ---------------------------------------------------------------------------
// Full ring: worker 1 is held busy while worker 0 and an outside thread post
// a burst far larger than the ring (capacity 2). Nothing may be dropped or
// reordered; worker 0 must have used its overflow queue, and must not have
// blocked (it goes on to release worker 1 itself).
inline Task<bool> full_ring_root(Runtime* rt, OrderSink* sink, uint64_t n, std::atomic<bool>* started,
                                 std::atomic<bool>* release) {
  auto spin = rt->spawn_on(1, spinner(started, release));
  if (!co_await wait_for([&] { return started->load(); })) co_return false;
  post_numbered(rt, 1, sink, 0, n);  // returns at once: the rest waits in overflow
  release->store(true);
  co_return co_await wait_for([&] { return sink->count.load(std::memory_order_acquire) >= 2 * n; });
}

inline std::string full_ring(uint64_t n) {
  Runtime rt(opts(2, 2));
  auto sink = std::make_unique<OrderSink>();
  std::atomic<bool> started{false}, release{false};
  std::thread outside([&] {
    wait_thread([&] { return started.load(); });
    post_numbered(&rt, 1, sink.get(), 2, n);  // backs off while the ring is full
  });
  bool done = rt.block_on(full_ring_root(&rt, sink.get(), n, &started, &release));
  outside.join();
  bool settled = wait_thread([&] { return sink->count.load(std::memory_order_acquire) == 2 * n; });
  const uint64_t overflowed = rt.counters(0).overflowed.load();
  rt.shutdown();
  if (!done || !settled) return fmt("received %llu of %llu", (unsigned long long)sink->count.load(), (unsigned long long)(2 * n));
  if (sink->bad != 0) return fmt("%llu out of order", (unsigned long long)sink->bad);
  if (sink->last[0] != n || sink->last[2] != n) return "a sender's last message is missing";
  if (overflowed == 0) return "worker 0 never used its overflow queue (ring never full?)";
  return "";
}

// ---------------------------------------------------------------------------
// Wake-up of a parked worker: `rounds` times, wait until worker 1 is parked
// (nothing to do, blocked in its driver), post one closure, and count it a
// missed wake if it has not run within a generous bound. Also: a busy
// worker is not woken per message.
struct WakeResult {
  int missed = 0;
  int never_parked = 0;
  uint64_t msg_ring = 0;
  uint64_t eventfd = 0;
  uint64_t busy_wakes = 0;
  std::string detail;  // on a miss: the state seen, to tell a lost wake from a broken wake path
};

inline Task<void> wake_root(Runtime* rt, int rounds, WakeResult* res) {
  std::atomic<int> ran{0};
  int posted = 0;
  for (int r = 1; r <= rounds; ++r) {
    // Yield (not sleep) so worker 0 keeps polling without a timer. One read
    // of the flag decides: worker 1 may wake spuriously (a stale eventfd
    // count) just after we saw it parked, and a second read would then skip
    // this round's post while the next round waited for it (CI saw that as
    // a "missed wake" on epoll under TSan).
    bool parked = false;
    auto end = std::chrono::steady_clock::now() + 10s;
    while (!(parked = rt->parked(1)) && std::chrono::steady_clock::now() < end) co_await yield_now();
    if (!parked) {
      ++res->never_parked;
      continue;
    }
    const uint64_t parks_before = rt->counters(1).parks.load();
    rt->post(1, [&ran] { ran.fetch_add(1); });
    ++posted;
    end = std::chrono::steady_clock::now() + 10s;
    while (ran.load() < posted && std::chrono::steady_clock::now() < end) co_await yield_now();
    if (ran.load() < posted) {
      ++res->missed;
      // Say what was seen, then post once more: if that one gets through
      // and takes the first along, a wake was lost in a race; if neither
      // runs, the wake path itself is broken (e.g. the target's eventfd).
      res->detail = fmt("round %d: parked=%d parks %llu->%llu received=%llu wakes(msg_ring=%llu eventfd=%llu)", r,
                        int(rt->parked(1)), (unsigned long long)parks_before,
                        (unsigned long long)rt->counters(1).parks.load(),
                        (unsigned long long)rt->counters(1).received.load(),
                        (unsigned long long)rt->counters(0).wakes_msg_ring.load(),
                        (unsigned long long)rt->counters(0).wakes_eventfd.load());
      rt->post(1, [&ran] { ran.fetch_add(1000); });
      end = std::chrono::steady_clock::now() + 5s;
      while (ran.load() < posted + 1000 && std::chrono::steady_clock::now() < end) co_await yield_now();
      res->detail += fmt("; after one more post: %d of %d ran", ran.load() % 1000 + ran.load() / 1000, posted + 1);
      break;  // don't wait out every round
    }
  }
  res->msg_ring = rt->counters(0).wakes_msg_ring.load();
  res->eventfd = rt->counters(0).wakes_eventfd.load();

  // Busy target: worker 1 spins; 1000 messages must cause no wake at all.
  std::atomic<bool> started{false}, release{false};
  auto spin = rt->spawn_on(1, spinner(&started, &release));
  co_await wait_for([&] { return started.load(); });
  const uint64_t before = rt->counters(0).wakes_msg_ring.load() + rt->counters(0).wakes_eventfd.load();
  std::atomic<int> burst{0};
  for (int i = 0; i < 1000; ++i) rt->post(1, [&burst] { burst.fetch_add(1); });
  res->busy_wakes =
      rt->counters(0).wakes_msg_ring.load() + rt->counters(0).wakes_eventfd.load() - before;
  release.store(true);
  co_await spin;
  co_await wait_for([&] { return burst.load() == 1000; });
  co_await wait_for([&] { return rt->parked(1); });  // nothing of ours left on worker 1
}

inline WakeResult parked_wake(int rounds) {
  Runtime rt(opts(2));
  WakeResult res;
  rt.block_on(wake_root(&rt, rounds, &res));
  return res;
}

// ---------------------------------------------------------------------------
// spawn_on runs on the right thread, before and after awaits; cross-core
// JoinHandle: value, exception, abort, already finished, awaiter aborted.
inline Task<int> where_am_i(Runtime* rt, int tag) {
  const int idx = Runtime::current_index();
  const auto tid = std::this_thread::get_id();
  co_await yield_now();
  co_await sleep(1ms);
  IoOp op(OpCode::Nop);
  co_await op;
  if (Runtime::current_index() != idx || std::this_thread::get_id() != tid) co_return -1;
  if (rt->thread_id(size_t(idx)) != tid) co_return -2;
  co_return idx * 1000 + tag;
}

inline Task<int> thrower_on_other_core() {
  co_await sleep(1ms);
  throw std::runtime_error("cross-core boom");
}

inline Task<int> sleeps_long(std::atomic<int>* destroyed, std::atomic<bool>* started = nullptr) {
  struct Mark {
    std::atomic<int>* d;
    ~Mark() { d->fetch_add(1); }
  } m{destroyed};
  if (started != nullptr) started->store(true);
  co_await sleep(60s);
  co_return 7;
}

inline Task<int> joins_other(JoinHandle<int> h) {
  auto r = co_await h;
  co_return r ? *r : -1;
}

inline Task<int> returns_five(std::atomic<bool>* d) {
  d->store(true);
  co_return 5;
}

inline Task<void> count_if_on(Runtime* rt, std::atomic<int>* g, size_t want) {
  if (Runtime::current_index() == int(want) && rt->thread_id(want) == std::this_thread::get_id()) {
    g->fetch_add(1);
  }
  co_return;
}

inline Task<void> bump(std::atomic<int>* r) {
  r->fetch_add(1);
  co_return;
}

inline Task<std::string> join_root(Runtime* rt) {
  const size_t n = rt->size();
  // spawn_on each worker, joined from worker 0.
  for (size_t i = 0; i < n; ++i) {
    auto h = rt->spawn_on(i, where_am_i(rt, int(i) + 1));
    auto r = co_await h;
    if (!r || *r != int(i) * 1000 + int(i) + 1) co_return fmt("spawn_on(%zu): got %d", i, r ? *r : -99);
  }
  // Exception across cores.
  {
    auto h = rt->spawn_on(1, thrower_on_other_core());
    bool caught = false;
    try {
      (void)co_await h;
    } catch (const std::runtime_error& e) {
      caught = std::string(e.what()) == "cross-core boom";
    }
    if (!caught) co_return "exception did not cross cores";
  }
  // Abort a task on another core: its frame goes, the join says ECANCELED.
  {
    std::atomic<int> destroyed{0};
    std::atomic<bool> started{false};
    auto h = rt->spawn_on(1, sleeps_long(&destroyed, &started));
    // Started, so its frame holds the marker (an unstarted task aborted
    // never runs its body at all).
    if (!co_await wait_for([&] { return started.load(); })) co_return "remote task never started";
    h.abort();
    auto r = co_await h;
    if (r || r.error().value() != ECANCELED) co_return "cross-core abort: no ECANCELED";
    if (destroyed.load() != 1) co_return "cross-core abort: frame not destroyed";
  }
  // Already finished before the await.
  {
    std::atomic<bool> done{false};
    auto h = rt->spawn_on(1, returns_five(&done));
    co_await wait_for([&] { return h.finished(); });
    auto r = co_await h;
    if (!r || *r != 5) co_return "join of a finished remote task";
  }
  // A joiner (on worker 1) aborted while it waits for a task on worker 0;
  // the target then finishes normally, with nobody to wake.
  {
    // Outlives this frame: the target is only aborted at shutdown.
    static std::atomic<int> orphan_destroyed{0};
    auto target = rt->spawn_on(0, sleeps_long(&orphan_destroyed));
    auto joiner = rt->spawn_on(1, joins_other(std::move(target)));
    co_await sleep(2ms);
    joiner.abort();
    auto r = co_await joiner;
    if (r) co_return "aborted joiner returned a value";
    // target's handle died with the joiner's frame: it is detached now, and
    // keeps sleeping; it is aborted by shutdown. Nothing to wake: fine.
  }
  co_return "";
}

inline std::string spawn_and_join(size_t workers) {
  Runtime rt(opts(workers));
  std::string r = rt.block_on(join_root(&rt));
  if (!r.empty()) return r;
  // From an outside thread: spawn_on with the handle dropped.
  std::atomic<int> got{0};
  for (size_t i = 0; i < workers; ++i) {
    auto h = rt.spawn_on(i, count_if_on(&rt, &got, i));
  }
  if (!wait_thread([&] { return got.load() == int(workers); })) return "outside spawn_on: wrong thread";
  return "";
}

// ---------------------------------------------------------------------------
// Stealing moves unstarted tasks only. Worker 0 is held (its root task spins
// without awaiting) while `k` tasks are queued near it; idle workers steal
// them. Every task records its thread when it starts and checks it across
// yield, sleep and an op: a task never changes thread. Then a second batch
// is queued while worker 0 runs normally (some start at home, some may be
// stolen): still no task moves.
struct StealResult {
  std::atomic<int> done{0};
  std::atomic<int> moved{0};
  std::atomic<int> on_home{0};
  uint64_t stolen = 0;
  std::string err;
};

inline Task<void> probe(StealResult* res) {
  const auto tid = std::this_thread::get_id();
  const int idx = Runtime::current_index();
  for (int i = 0; i < 3; ++i) {
    co_await yield_now();
    if (std::this_thread::get_id() != tid) res->moved.fetch_add(1);
    co_await sleep(1ms);
    if (std::this_thread::get_id() != tid) res->moved.fetch_add(1);
    IoOp op(OpCode::Nop);
    co_await op;
    if (std::this_thread::get_id() != tid || Runtime::current_index() != idx) res->moved.fetch_add(1);
  }
  if (idx == 0) res->on_home.fetch_add(1);
  res->done.fetch_add(1);
}

inline Task<void> steal_root(Runtime* rt, StealResult* res, int k) {
  std::vector<JoinHandle<void>> hs;
  for (int i = 0; i < k; ++i) hs.push_back(rt->spawn_near(0, probe(res)));
  // Hold worker 0 until the others ran everything (or a bound passes).
  auto end = std::chrono::steady_clock::now() + 20s;
  while (res->done.load() < k && std::chrono::steady_clock::now() < end) std::this_thread::yield();
  if (res->done.load() < k) res->err = "queued tasks were not stolen by idle workers";
  for (auto& h : hs) co_await h;
  hs.clear();
  for (int i = 0; i < k; ++i) hs.push_back(rt->spawn_near(0, probe(res)));
  for (auto& h : hs) co_await h;
}

inline std::string stealing(size_t workers, int k) {
  Runtime rt(opts(workers));
  StealResult res;
  rt.block_on(steal_root(&rt, &res, k));
  for (size_t i = 0; i < workers; ++i) res.stolen += rt.counters(i).stolen.load();
  rt.shutdown();
  if (!res.err.empty()) return res.err;
  if (res.done.load() != 2 * k) return fmt("%d of %d tasks done", res.done.load(), 2 * k);
  if (res.moved.load() != 0) return fmt("%d observations of a started task on another thread", res.moved.load());
  if (res.stolen == 0) return "no steal counted";
  return "";
}

// ---------------------------------------------------------------------------
// Power of two choices: every worker held busy, then `n` spawn() calls from
// an outside thread; P2C on published queue lengths must spread them evenly.
struct Balance {
  std::vector<uint64_t> placed;
  std::atomic<int> ran{0};
};

inline std::string p2c_balance(size_t workers, int n, uint64_t max_spread, Balance* out = nullptr) {
  Runtime rt(opts(workers));
  std::vector<std::unique_ptr<std::atomic<bool>>> started;
  std::atomic<bool> release{false};
  std::vector<JoinHandle<void>> spins;
  for (size_t i = 0; i < workers; ++i) {
    started.push_back(std::make_unique<std::atomic<bool>>(false));
    spins.push_back(rt.spawn_on(i, spinner(started.back().get(), &release)));
  }
  if (!wait_thread([&] {
        for (auto& s : started) {
          if (!s->load()) return false;
        }
        return true;
      })) {
    release = true;
    return "spinners did not start";
  }
  Balance local;
  Balance& b = out ? *out : local;
  for (int i = 0; i < n; ++i) {
    auto h = rt.spawn(bump(&b.ran));
  }
  b.placed.clear();
  for (size_t i = 0; i < workers; ++i) b.placed.push_back(rt.counters(i).placed.load());
  release = true;
  bool all = wait_thread([&] { return b.ran.load() == n; });
  rt.shutdown();
  if (!all) return fmt("%d of %d spawned tasks ran", b.ran.load(), n);
  uint64_t lo = UINT64_MAX, hi = 0, sum = 0;
  for (uint64_t p : b.placed) {
    lo = std::min(lo, p);
    hi = std::max(hi, p);
    sum += p;
  }
  if (sum != uint64_t(n)) return fmt("placed %llu of %d", (unsigned long long)sum, n);
  if (hi - lo > max_spread) return fmt("spread %llu > %llu", (unsigned long long)(hi - lo), (unsigned long long)max_spread);
  return "";
}

// ---------------------------------------------------------------------------
// Shutdown with work everywhere: tasks blocked on ops (poll on a socket that
// never gets data), sleepers, a cross-core joiner, unstarted tasks queued
// behind a busy worker, messages in rings. Everything is aborted and
// drained; every fd (rings, eventfds, sockets) is closed again.
struct Fds {
  int a = -1, b = -1;
  ~Fds() {
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
  }
};

inline Task<int> blocked_on_op(std::atomic<int>* started) {
  Fds f;
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) co_return -1;
  f.a = sv[0];
  f.b = sv[1];
  IoOp op(OpCode::PollAdd);
  op->args.fd = f.a;
  op->args.mask = POLLIN;
  started->fetch_add(1);
  co_return co_await op;  // never ready: cancelled by shutdown
}

inline Task<int> await_remote(JoinHandle<int> h) {
  auto r = co_await h;
  co_return r ? *r : -1;
}

inline Task<void> shutdown_root(Runtime* rt, std::atomic<int>* started) {
  std::vector<JoinHandle<int>> keep;
  for (size_t i = 0; i < rt->size(); ++i) {
    keep.push_back(rt->spawn_on(i, blocked_on_op(started)));
    keep.push_back(rt->spawn_on(i, blocked_on_op(started)));
  }
  co_await wait_for([&] { return started->load() == int(2 * rt->size()); });
  auto far = rt->spawn_on(1, blocked_on_op(started));
  auto joiner = rt->spawn_on(0, await_remote(std::move(far)));
  co_await sleep(2ms);
  (void)joiner;  // handles dropped on return: the tasks go on, detached
  for (auto& h : keep) (void)h;
}

inline std::string shutdown_in_flight(size_t (*count_fds)()) {
  const size_t before = count_fds();
  std::atomic<int> started{0};
  {
    Runtime rt(opts(2, 2));
    rt.block_on(shutdown_root(&rt, &started));
    // Work left in queues and rings: worker 1 busy, unstarted tasks near it,
    // closures to it beyond the ring.
    std::atomic<bool> s{false}, release{false};
    auto spin = rt.spawn_on(1, spinner(&s, &release));
    wait_thread([&] { return s.load(); });
    for (int i = 0; i < 4; ++i) {
      auto h = rt.spawn_near(1, blocked_on_op(&started));
    }
    for (int i = 0; i < 2; ++i) rt.post(1, [] {});
    release = true;
    // ~Runtime: shutdown with all of it in flight.
  }
  const size_t after = count_fds();
  if (after != before) return fmt("fds: %zu before, %zu after", before, after);
  return "";
}

// ---------------------------------------------------------------------------
// Cooperative preemption: a task that only awaits work finishing inline
// (never suspends on its own) is made to yield once its time slice is over,
// so a timer on the same worker fires and stops it. Without preemption it
// would spin until its 20 s bound and report false.
inline Task<int> inline_step() { co_return 1; }

inline Task<bool> spin_awaiting(std::atomic<bool>* stop) {
  auto end = std::chrono::steady_clock::now() + 20s;
  uint64_t steps = 0;
  while (!stop->load() && std::chrono::steady_clock::now() < end) steps += uint64_t(co_await inline_step());
  co_return stop->load() && steps > 0;
}

inline Task<void> stop_after_sleep(std::atomic<bool>* stop) {
  co_await sleep(5ms);
  stop->store(true);
}

inline Task<bool> preempt_root() {
  std::atomic<bool> stop{false};
  auto spin = spawn_local(spin_awaiting(&stop), "spinner");
  auto timer = spawn_local(stop_after_sleep(&stop), "timer");
  auto r = co_await spin;
  co_await timer;
  co_return r && *r;
}

inline std::string preemption_in_runtime() {
  RuntimeOptions o = opts(1);
  o.time_slice_ns = 1'000'000;
  Runtime rt(o);
  bool ok = rt.block_on(preempt_root());
  const uint64_t n = rt.preemptions(0);
  rt.shutdown();
  if (!ok) return "the spinning task was never preempted: the timer could not fire";
  if (n == 0) return "no preemption counted";
  return "";
}

// Watchdog: a task that blocks its worker's thread (no await at all) is
// reported, with its name and spawn location, and is not killed.
struct StallLog {
  std::mutex mu;
  std::vector<StallReport> reports;
  std::atomic<int> count{0};
};

inline Task<int> hog(StallLog* log) {
  auto end = std::chrono::steady_clock::now() + 20s;
  while (log->count.load() == 0 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(1ms);  // holds the worker: nothing else runs here
  }
  co_return 99;
}

inline Task<int> hog_root(Runtime* rt, StallLog* log) {
  auto h = rt->spawn_on(1, hog(log), "hog");
  auto r = co_await h;
  co_return r ? *r : -1;
}

inline std::string watchdog_reports() {
  StallLog log;
  RuntimeOptions o = opts(2);
  o.watchdog_ns = 20'000'000;
  o.on_stall = [&log](const StallReport& r) {
    std::lock_guard lk(log.mu);
    log.reports.push_back(r);
    log.count.fetch_add(1);
  };
  Runtime rt(o);
  const int v = rt.block_on(hog_root(&rt, &log));
  const uint64_t stalls = rt.counters(1).stalls.load();
  rt.shutdown();
  if (v != 99) return "the reported task did not complete (killed?)";
  std::lock_guard lk(log.mu);
  if (log.reports.empty()) return "no stall reported";
  bool found = false;
  for (const StallReport& r : log.reports) {
    if (r.worker == 1 && std::string(r.name) == "hog" && std::string(r.file).find("scenarios.hpp") != std::string::npos &&
        r.line > 0 && r.held_ns >= 20'000'000) {
      found = true;
    }
  }
  if (!found) {
    const StallReport& r = log.reports.front();
    return fmt("report: worker %zu name '%s' at %s:%u held %llu ns", r.worker, r.name, r.file, r.line,
               (unsigned long long)r.held_ns);
  }
  if (stalls == 0) return "stall counter not bumped";
  return "";
}

// ---------------------------------------------------------------------------
// A FixedBuf made on one worker and dropped on another goes home: the owner
// pool counts the remote return and takes the block back at its next get();
// a buffer may even outlive the thread whose pool it came from.
struct PoolSnapshot {
  size_t outstanding = 0;
  uint64_t remote_returns = 0;
};

inline Task<FixedBuf> alloc_here(PoolSnapshot* before) {
  before->outstanding = BufPool::local().outstanding();
  before->remote_returns = BufPool::local().remote_returns();
  FixedBuf b = FixedBuf::allocate(8192);
  b.data()[0] = std::byte{42};
  b.set_len(1);
  co_return b;
}

inline Task<PoolSnapshot> pool_after_next_get() {
  { FixedBuf warm = FixedBuf::allocate(4096); }  // get(): takes posted blocks back
  co_return PoolSnapshot{BufPool::local().outstanding(), BufPool::local().remote_returns()};
}

inline Task<std::string> fixedbuf_root(Runtime* rt) {
  PoolSnapshot before;
  auto r = co_await rt->spawn_on(1, alloc_here(&before));
  if (!r) co_return "alloc task failed";
  FixedBuf b = std::move(*r);
  if (b.len() != 1 || b.data()[0] != std::byte{42}) co_return "buffer content lost crossing cores";
  b.reset();  // dropped on worker 0: posted home to worker 1's pool
  auto after = co_await rt->spawn_on(1, pool_after_next_get());
  if (!after) co_return "check task failed";
  if (after->remote_returns != before.remote_returns + 1) {
    co_return fmt("remote returns %llu -> %llu", (unsigned long long)before.remote_returns,
                  (unsigned long long)after->remote_returns);
  }
  if (after->outstanding != before.outstanding) {
    co_return fmt("worker 1 pool: %zu outstanding before, %zu after", before.outstanding, after->outstanding);
  }
  co_return "";
}

inline std::string fixedbuf_goes_home() {
  {
    Runtime rt(opts(2));
    std::string err = rt.block_on(fixedbuf_root(&rt));
    if (!err.empty()) return err;
  }
  // Outliving its thread: the pool stays until the last buffer is dropped.
  FixedBuf b;
  std::thread t([&b] { b = FixedBuf::allocate(16384); });
  t.join();
  std::memset(b.data(), 7, b.capacity());  // still valid memory (ASan checks)
  b.reset();                               // frees it and the orphaned pool
  return "";
}

// ---------------------------------------------------------------------------
// Runtime::dump(): every worker lists its live tasks (name, spawn location)
// and ops in flight; a worker stuck in a task is named with that task.
inline std::string dump_lists_tasks() {
  RuntimeOptions o = opts(2);
  o.watchdog_ns = 10'000'000'000ull;  // on (publishes the running task), never fires here
  Runtime rt(o);
  std::atomic<int> destroyed{0};
  std::atomic<bool> started{false};
  auto sleeper = rt.spawn_on(1, sleeps_long(&destroyed, &started), "sleeper");
  std::atomic<int> op_started{0};
  auto blocked = rt.spawn_on(1, blocked_on_op(&op_started), "blocked_on_poll");
  if (!wait_thread([&] { return started.load() && op_started.load() == 1; })) return "tasks did not start";
  std::string d = rt.dump();
  for (const char* want : {"worker 0", "worker 1", "sleeper", "blocked_on_poll", "scenarios.hpp", "1 ops in flight"}) {
    if (d.find(want) == std::string::npos) return fmt("dump lacks '%s':\n%s", want, d.c_str());
  }
  std::atomic<bool> s{false}, release{false};
  auto spin = rt.spawn_on(0, spinner(&s, &release), "spinner");
  wait_thread([&] { return s.load(); });
  d = rt.dump(std::chrono::milliseconds(100));
  release = true;
  if (d.find("worker 0: no answer; running task") == std::string::npos || d.find("spinner") == std::string::npos) {
    return fmt("busy worker not reported with its task:\n%s", d.c_str());
  }
  return "";
}

// ---------------------------------------------------------------------------
// Trace export: valid JSON (checked by a small strict parser below), one
// named track per worker, task polls on the workers that ran them.
class JsonCheck {
 public:
  explicit JsonCheck(const std::string& s) : s_(s) {}
  bool valid() {
    ws();
    if (!value()) return false;
    ws();
    return i_ == s_.size();
  }

 private:
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r')) ++i_;
  }
  bool lit(const char* w) {
    size_t n = std::strlen(w);
    if (s_.compare(i_, n, w) != 0) return false;
    i_ += n;
    return true;
  }
  bool str() {
    if (i_ >= s_.size() || s_[i_] != '"') return false;
    ++i_;
    while (i_ < s_.size() && s_[i_] != '"') {
      if (static_cast<unsigned char>(s_[i_]) < 0x20) return false;
      if (s_[i_] == '\\') {
        ++i_;
        if (i_ >= s_.size()) return false;
        if (s_[i_] == 'u') {
          for (int k = 0; k < 4; ++k) {
            if (++i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_]))) return false;
          }
        } else if (std::strchr("\"\\/bfnrt", s_[i_]) == nullptr) {
          return false;
        }
      }
      ++i_;
    }
    if (i_ >= s_.size()) return false;
    ++i_;
    return true;
  }
  bool num() {
    size_t st = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
    }
    return i_ > st;
  }
  bool value() {
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      ws();
      if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
      for (;;) {
        ws();
        if (!str()) return false;
        ws();
        if (i_ >= s_.size() || s_[i_] != ':') return false;
        ++i_;
        ws();
        if (!value()) return false;
        ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == '}') return ++i_, true;
        return false;
      }
    }
    if (c == '[') {
      ++i_;
      ws();
      if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
      for (;;) {
        ws();
        if (!value()) return false;
        ws();
        if (i_ < s_.size() && s_[i_] == ',') {
          ++i_;
          continue;
        }
        if (i_ < s_.size() && s_[i_] == ']') return ++i_, true;
        return false;
      }
    }
    if (c == '"') return str();
    if (c == 't') return lit("true");
    if (c == 'f') return lit("false");
    if (c == 'n') return lit("null");
    return num();
  }
  const std::string& s_;
  size_t i_ = 0;
};

inline size_t count_of(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

inline Task<int> traced_work(Runtime* rt) {
  int sum = 0;
  for (size_t i = 0; i < rt->size(); ++i) {
    auto r = co_await rt->spawn_on(i, where_am_i(rt, 1), "traced \"quoted\" task");
    sum += r ? 1 : 0;
  }
  co_return sum;
}

inline std::string trace_export(size_t workers) {
  RuntimeOptions o = opts(workers);
  o.trace_events = 4096;
  Runtime rt(o);
  if (rt.block_on(traced_work(&rt)) != int(workers)) return "traced work failed";
  const std::string live = rt.trace_json();
  rt.shutdown();
  const std::string after = rt.trace_json();
  for (const std::string* j : {&live, &after}) {
    if (!JsonCheck(*j).valid()) return fmt("trace is not valid JSON:\n%.2000s", j->c_str());
    if (count_of(*j, "\"name\":\"thread_name\"") != workers) return "not one track per worker";
    for (size_t i = 0; i < workers; ++i) {
      if (j->find(fmt("\"tid\":%zu,\"args\":{\"name\":\"worker %zu\"}", i, i)) == std::string::npos) {
        return fmt("no track named 'worker %zu'", i);
      }
      if (j->find(fmt("\"name\":\"traced \\\"quoted\\\" task\",\"pid\":1,\"tid\":%zu,", i)) == std::string::npos) {
        return fmt("no poll of the traced task on worker %zu", i);
      }
    }
  }
  Runtime off(opts(1));
  if (RuntimeOptions::trace_events_from_env() == 0 && !off.trace_json().empty()) return "trace without tracing on";
  return "";
}

}  // namespace veloq::scenario
