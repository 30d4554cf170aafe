#include "core/runtime/runtime.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace veloq {

namespace {

// Per-thread xorshift for placement choices (no shared state, no locks).
uint64_t next_random() {
  thread_local uint64_t s = [] {
    static std::atomic<uint64_t> seed{0x9e3779b97f4a7c15ull};
    uint64_t v = seed.fetch_add(0x9e3779b97f4a7c15ull, std::memory_order_relaxed);
    v ^= std::hash<std::thread::id>{}(std::this_thread::get_id());
    return v == 0 ? 1 : v;
  }();
  s ^= s << 13;
  s ^= s >> 7;
  s ^= s << 17;
  return s;
}

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
    }
  }
  return cpus;
}

// Backoff for a thread that is not a worker and finds a ring full: spin a
// little, then yield, then sleep briefly. It may block (it is not a worker).
void backoff(unsigned& round) {
  if (round < 16) {
    for (unsigned i = 0; i < (1u << round) && i < 1024; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
  } else if (round < 64) {
    std::this_thread::yield();
  } else {
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  ++round;
}

}  // namespace

size_t RuntimeOptions::trace_events_from_env() {
  const char* v = std::getenv("VELOQ_TRACE_EVENTS");
  if (v == nullptr || *v == '\0') return 0;
  long n = std::strtol(v, nullptr, 10);
  return n <= 0 ? 0 : size_t(n);
}

size_t Runtime::available_cpus() {
  size_t n = allowed_cpus().size();
  if (n == 0) n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

Runtime* Runtime::current() {
  Worker* w = Worker::current();
  return w ? w->runtime() : nullptr;
}

int Runtime::current_index() {
  Worker* w = Worker::current();
  return (w && w->runtime()) ? w->index() : -1;
}

Runtime::Runtime() : Runtime(RuntimeOptions()) {}

Runtime::Runtime(RuntimeOptions opts)
    : opts_(std::move(opts)),
      n_(opts_.workers == 0 ? available_cpus() : opts_.workers),
      started_(ptrdiff_t(n_)),
      drained_(ptrdiff_t(n_)),
      destroy_(1) {
  mesh_ = std::make_unique<Mesh>(n_, opts_.mesh_capacity == 0 ? 1 : opts_.mesh_capacity);
  std::vector<int> cpus = allowed_cpus();
  for (size_t i = 0; i < n_; ++i) {
    auto s = std::make_unique<Slot>();
    s->overflow.resize(n_);
    if (opts_.trace_events > 0) s->trace = std::make_unique<TraceRing>(opts_.trace_events);
    if (opts_.pin && !cpus.empty()) s->cpu = cpus[i % cpus.size()];
    slots_.push_back(std::move(s));
  }
  size_t launched = 0;
  try {
    for (; launched < n_; ++launched) {
      slots_[launched]->thread = std::thread(&Runtime::worker_main, this, launched);
    }
  } catch (...) {
    std::lock_guard lk(error_mu_);
    if (!start_error_) start_error_ = std::current_exception();
    for (size_t i = launched; i < n_; ++i) {
      started_.count_down();
      drained_.count_down();
    }
  }
  started_.wait();
  if (!start_error_ && opts_.watchdog_ns != 0) {
    try {
      watchdog_ = std::thread(&Runtime::watchdog_main, this);
    } catch (...) {
      start_error_ = std::current_exception();
    }
  }
  if (start_error_) {
    shutdown();
    std::rethrow_exception(start_error_);
  }
}

Runtime::~Runtime() { shutdown(); }

// ---------------------------------------------------------------------------
// Worker threads

void Runtime::worker_main(size_t i) {
  Slot& s = *slots_[i];
  if (s.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(s.cpu, &set);
    s.pinned = pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;  // best effort
  }
  s.tid = std::this_thread::get_id();
  try {
    WorkerOptions wo = opts_.worker;
    wo.time_slice_ns = opts_.time_slice_ns;
    s.worker = std::make_unique<Worker>(wo);
  } catch (...) {
    {
      std::lock_guard lk(error_mu_);
      if (!start_error_) start_error_ = std::current_exception();
    }
    started_.count_down();
    drained_.count_down();
    return;
  }
  Worker& w = *s.worker;
  w.index_ = int(i);
  w.runtime_ = this;
  s.wake_ctx = {this, i};
  w.executor().set_remote_wake(&Runtime::remote_wake, &s.wake_ctx);
  w.executor().set_track_polls(opts_.watchdog_ns != 0);
  w.executor().set_trace(s.trace.get());
  s.backend = w.backend();
  s.msg_ring = w.driver().features().msg_ring;
  {
    Worker::Scope scope(&w);
    // Enable the ring on this thread (its single issuer) and arm its wake
    // read before anyone can see this worker parked: a MSG_RING to a ring
    // still disabled would fail.
    w.poll_io(false);
    started_.count_down();
    while (!stop_.load(std::memory_order_acquire)) turn(i);
    // Shutdown, phase 1: abort every task, drain every op. Other workers may
    // still post to us (wakes from their own aborts): those stay in the
    // rings and are disposed of after the join.
    w.drain();
  }
  drained_.count_down();
  // Phase 2, once every worker is drained (nobody will touch our driver
  // again): destroy the Worker on its own thread.
  destroy_.wait();
  s.worker.reset();
}

void Runtime::turn(size_t i) {
  Slot& s = *slots_[i];
  Worker& w = *s.worker;
  drain_inbox(i);
  if (s.overflow_len > 0) flush_overflow(i);
  adopt_own(i);
  w.run_ready();
  s.ready.store(uint32_t(w.executor().ready_count()), std::memory_order_relaxed);
  s.preemptions.store(w.executor().preemptions(), std::memory_order_relaxed);
  if (w.executor().has_ready()) {
    w.poll_io(false);
    return;
  }
  if (try_steal(i)) {
    w.poll_io(false);
    return;
  }
  // Park: announce it, then look once more for work that raced with the
  // announcement. A sender stores the ring's tail (or a queue length), then
  // reads `parked`; we store `parked`, then read the tails and lengths; all
  // four seq_cst, so one of us sees the other and a message is never left
  // behind a sleeping worker. (seq_cst operations rather than fences: TSan
  // does not model fences.)
  s.parked.store(true, std::memory_order_seq_cst);
  if (has_incoming(i) || stop_.load(std::memory_order_seq_cst)) {
    s.parked.store(false, std::memory_order_relaxed);
    w.poll_io(false);
    return;
  }
  s.counters.parks.fetch_add(1, std::memory_order_relaxed);
  const uint64_t park_start = s.trace ? detail::slice_clock_ns() : 0;
  w.poll_io(true, s.overflow_len > 0 ? opts_.overflow_retry_ns : -1);
  if (s.trace) s.trace->add(TraceKind::Park, park_start, detail::slice_clock_ns() - park_start, 0);
  s.parked.store(false, std::memory_order_release);
}

bool Runtime::has_incoming(size_t i) const {
  for (size_t from = 0; from <= n_; ++from) {
    if (!mesh_->ring(from, i).empty()) return true;
  }
  for (size_t j = 0; j < n_; ++j) {  // own queue, or work to steal
    if (slots_[j]->qlen.load(std::memory_order_seq_cst) > 0) return true;
  }
  return false;
}

size_t Runtime::drain_inbox(size_t i) {
  size_t handled = 0;
  MeshMsg m;
  for (size_t from = 0; from <= n_; ++from) {
    SpscRing<MeshMsg>& r = mesh_->ring(from, i);
    // At most one ring's worth per sender per turn: a flooding sender cannot
    // keep this worker from its own tasks.
    size_t k = 0;
    for (; k < r.capacity() && r.try_pop(m); ++k) {
      handle(i, m);
      ++handled;
    }
    // A worker waiting to push more to us: there is room now.
    if (k > 0 && from < n_ && slots_[from]->has_overflow.load(std::memory_order_relaxed)) {
      notify(from);
    }
  }
  if (handled) {
    slots_[i]->counters.received.fetch_add(handled, std::memory_order_relaxed);
    if (slots_[i]->trace) slots_[i]->trace->add(TraceKind::MeshRecv, detail::slice_clock_ns(), 0, handled);
  }
  return handled;
}

void Runtime::handle(size_t i, MeshMsg& m) {
  Executor& ex = slots_[i]->worker->executor();
  switch (m.kind) {
    case MeshMsg::Kind::Run:
      try {
        if (m.fn) m.fn();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "veloq: mesh closure on worker %zu threw: %s\n", i, e.what());
      } catch (...) {
        std::fprintf(stderr, "veloq: mesh closure on worker %zu threw\n", i);
      }
      m.fn = nullptr;
      break;
    case MeshMsg::Kind::Spawn:
      ex.adopt(m.task);
      break;
    case MeshMsg::Kind::Wake:
      ex.receive_wake(m.task);
      break;
  }
  m.task = nullptr;
}

void Runtime::flush_overflow(size_t i) {
  Slot& s = *slots_[i];
  for (size_t to = 0; to < n_; ++to) {
    auto& q = s.overflow[to];
    if (q.empty()) continue;
    SpscRing<MeshMsg>& r = mesh_->ring(i, to);
    bool pushed = false;
    while (!q.empty() && r.try_push(q.front())) {
      q.pop_front();
      --s.overflow_len;
      pushed = true;
    }
    if (pushed) notify(to);
  }
  if (s.overflow_len == 0) s.has_overflow.store(false, std::memory_order_relaxed);
}

void Runtime::adopt_own(size_t i) {
  Slot& s = *slots_[i];
  if (s.qlen.load(std::memory_order_relaxed) == 0) return;
  Executor& ex = s.worker->executor();
  const size_t budget = opts_.worker.budget == 0 ? 1 : opts_.worker.budget;
  // Take only what this turn can start; the rest stays stealable.
  size_t want = ex.ready_count() >= budget ? 0 : budget - ex.ready_count();
  if (want == 0) return;
  TaskHeader* got[64];
  size_t k = 0;
  {
    std::lock_guard lk(s.qmu);
    while (k < want && k < 64 && !s.queue.empty()) {
      got[k++] = s.queue.front();
      s.queue.pop_front();
    }
    s.qlen.store(s.queue.size(), std::memory_order_relaxed);
  }
  for (size_t j = 0; j < k; ++j) ex.adopt(got[j]);
}

bool Runtime::try_steal(size_t i) {
  if (n_ < 2) return false;
  Slot& me = *slots_[i];
  const size_t start = size_t(next_random() % n_);
  for (size_t k = 0; k < n_; ++k) {
    size_t v = (start + k) % n_;
    if (v == i) continue;
    Slot& victim = *slots_[v];
    if (victim.qlen.load(std::memory_order_relaxed) == 0) continue;
    TaskHeader* got[32];
    size_t taken = 0;
    {
      std::lock_guard lk(victim.qmu);
      // Half of what waits there (at least one), oldest first.
      size_t want = (victim.queue.size() + 1) / 2;
      while (taken < want && taken < 32 && !victim.queue.empty()) {
        got[taken++] = victim.queue.front();
        victim.queue.pop_front();
      }
      victim.qlen.store(victim.queue.size(), std::memory_order_relaxed);
    }
    if (taken == 0) continue;
    // Unstarted (never polled: no op, no timer, no frame state tied to the
    // victim), so adopting them here is a plain move of ownership.
    for (size_t j = 0; j < taken; ++j) me.worker->executor().adopt(got[j]);
    me.counters.stolen.fetch_add(taken, std::memory_order_relaxed);
    if (me.trace) me.trace->add(TraceKind::Steal, detail::slice_clock_ns(), 0, taken);
    return true;
  }
  return false;
}

// Watchdog: a plain thread that looks at every worker's published "task
// running since" every watchdog_ns / 4 and reports a poll that has lasted
// longer than watchdog_ns, once per poll. It never touches a worker beyond
// those atomics: a report, not a kill (a task cannot be stopped safely from
// outside; cooperative preemption is the cure for long runs that await).
void Runtime::watchdog_main() {
  std::vector<uint64_t> reported_since(n_, 0);
  const auto period = std::chrono::nanoseconds(std::max<uint64_t>(opts_.watchdog_ns / 4, 1'000'000));
  std::unique_lock lk(watchdog_mu_);
  while (!stop_.load(std::memory_order_acquire)) {
    watchdog_cv_.wait_for(lk, period, [&] { return stop_.load(std::memory_order_acquire); });
    if (stop_.load(std::memory_order_acquire)) break;
    const uint64_t now = detail::slice_clock_ns();
    for (size_t i = 0; i < n_; ++i) {
      Worker* w = slots_[i]->worker.get();
      if (w == nullptr) continue;
      Executor::Running r = w->executor().running();
      if (r.since_ns == 0 || now < r.since_ns || now - r.since_ns < opts_.watchdog_ns) continue;
      if (reported_since[i] == r.since_ns) continue;  // this poll was reported already
      reported_since[i] = r.since_ns;
      slots_[i]->counters.stalls.fetch_add(1, std::memory_order_relaxed);
      StallReport rep{i, r.id, r.name, r.file, r.line, now - r.since_ns};
      if (opts_.on_stall) {
        opts_.on_stall(rep);
      } else {
        std::fprintf(stderr,
                     "veloq: watchdog: task %llu (%s, spawned at %s:%u) has held worker %zu "
                     "for %llu ms without yielding\n",
                     (unsigned long long)rep.task_id, rep.name[0] ? rep.name : "unnamed", rep.file,
                     rep.line, i, (unsigned long long)(rep.held_ns / 1'000'000));
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Sending

void Runtime::dispose(MeshMsg& m) {
  switch (m.kind) {
    case MeshMsg::Kind::Run:
      m.fn = nullptr;  // dropped unrun
      break;
    case MeshMsg::Kind::Spawn:
      detail::cancel_unstarted(m.task);
      break;
    case MeshMsg::Kind::Wake:
      m.task->release();
      break;
  }
  m.task = nullptr;
}

bool Runtime::send(size_t to, MeshMsg&& m) {
  Worker* w = Worker::current();
  if (w != nullptr && w->runtime() == this) {
    // A worker never blocks on a full ring: what does not fit waits in its
    // overflow queue (behind anything already waiting there, to keep this
    // sender's order) and is retried at its next turn.
    const size_t from = size_t(w->index());
    Slot& me = *slots_[from];
    auto& q = me.overflow[to];
    if (q.empty() && mesh_->ring(from, to).try_push(m)) {
      notify(to);
    } else {
      q.push_back(std::move(m));
      ++me.overflow_len;
      me.has_overflow.store(true, std::memory_order_relaxed);
      me.counters.overflowed.fetch_add(1, std::memory_order_relaxed);
    }
    return true;
  }
  // Any other thread: the shared row, one producer at a time; on a full
  // ring, back off (spin, yield, sleep) until the receiver makes room.
  senders_.fetch_add(1, std::memory_order_seq_cst);
  bool ok = false;
  unsigned round = 0;
  for (;;) {
    if (stop_.load(std::memory_order_seq_cst)) break;
    {
      std::lock_guard lk(mesh_->external_lock(to));
      ok = mesh_->ring(mesh_->external_row(), to).try_push(m);
    }
    if (ok) break;
    backoff(round);
  }
  if (ok) notify(to);
  senders_.fetch_sub(1, std::memory_order_seq_cst);
  if (!ok) dispose(m);
  return ok;
}

void Runtime::notify(size_t to) {
  // Pairs with turn(): our push (a seq_cst tail store) is ordered before
  // this seq_cst load of `parked`.
  Slot& t = *slots_[to];
  if (!t.parked.load(std::memory_order_seq_cst)) return;  // busy: it will see the message
  if (!t.parked.exchange(false, std::memory_order_acq_rel)) return;  // someone else woke it
  wake_worker(to);
}

void Runtime::wake_worker(size_t to) {
  Worker* self = Worker::current();
  Driver& target = slots_[to]->worker->driver();
  // From a worker of ours: through its own ring (MSG_RING) when the kernel
  // has it and the target is a ring too; else the target's eventfd.
  if (self != nullptr && self->runtime() == this) {
    WorkerCounters& c = slots_[size_t(self->index())]->counters;
    if (self->driver().wake_other(target)) {
      c.wakes_msg_ring.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    c.wakes_eventfd.fetch_add(1, std::memory_order_relaxed);
  }
  target.wake();
}

void Runtime::notify_for_steal(size_t owner) {
  // After the seq_cst store of the queue length (see turn()).
  Slot& o = *slots_[owner];
  if (o.parked.load(std::memory_order_seq_cst)) {
    if (o.parked.exchange(false, std::memory_order_acq_rel)) wake_worker(owner);
    return;
  }
  // The owner is busy: wake one idle worker so the task can be stolen now
  // rather than wait behind whatever the owner is running.
  const size_t start = size_t(next_random() % n_);
  for (size_t k = 0; k < n_; ++k) {
    size_t j = (start + k) % n_;
    Slot& s = *slots_[j];
    if (j == owner || !s.parked.load(std::memory_order_seq_cst)) continue;
    if (s.parked.exchange(false, std::memory_order_acq_rel)) {
      wake_worker(j);
      return;
    }
  }
}

void Runtime::remote_wake(void* ctx, Executor* /*target*/, TaskHeader* t) {
  auto* c = static_cast<Slot::WakeCtx*>(ctx);
  MeshMsg m;
  m.kind = MeshMsg::Kind::Wake;
  m.task = t;  // with the ref wake() took for the trip
  c->rt->send(c->index, std::move(m));
}

bool Runtime::post(size_t core, std::move_only_function<void()> fn) {
  if (core >= n_) throw std::out_of_range("veloq::Runtime::post: no such worker");
  if (stop_.load(std::memory_order_acquire)) return false;
  MeshMsg m;
  m.kind = MeshMsg::Kind::Run;
  m.fn = std::move(fn);
  return send(core, std::move(m));
}

void Runtime::submit_pinned(size_t core, TaskHeader* t) {
  if (stop_.load(std::memory_order_acquire)) {
    detail::cancel_unstarted(t);
    return;
  }
  Worker* w = Worker::current();
  if (w != nullptr && w->runtime() == this && size_t(w->index()) == core) {
    w->executor().adopt(t);
    return;
  }
  MeshMsg m;
  m.kind = MeshMsg::Kind::Spawn;
  m.task = t;
  send(core, std::move(m));  // disposes (cancels) it if stopping
}

void Runtime::submit_unstarted(size_t core, TaskHeader* t) {
  if (stop_.load(std::memory_order_acquire)) {
    detail::cancel_unstarted(t);
    return;
  }
  Slot& s = *slots_[core];
  {
    std::lock_guard lk(s.qmu);
    s.queue.push_back(t);
    s.qlen.store(s.queue.size(), std::memory_order_seq_cst);
  }
  s.counters.placed.fetch_add(1, std::memory_order_relaxed);
  notify_for_steal(core);
}

size_t Runtime::pick_p2c() {
  if (n_ == 1) return 0;
  size_t a = size_t(next_random() % n_);
  size_t b = size_t(next_random() % (n_ - 1));
  if (b >= a) ++b;
  auto load = [&](size_t i) {
    const Slot& s = *slots_[i];
    return s.qlen.load(std::memory_order_relaxed) + s.ready.load(std::memory_order_relaxed);
  };
  return load(b) < load(a) ? b : a;
}

// ---------------------------------------------------------------------------
// Debug dump

std::string Runtime::dump(std::chrono::milliseconds wait) {
  if (current() == this) throw std::logic_error("veloq::Runtime::dump on its own worker");
  struct Part {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> text;
    std::vector<bool> done;
  };
  auto part = std::make_shared<Part>();
  part->text.resize(n_);
  part->done.resize(n_, false);
  for (size_t i = 0; i < n_; ++i) {
    post(i, [this, part, i] {
      Worker& w = *slots_[i]->worker;
      std::string out;
      char line[512];
      std::snprintf(line, sizeof line,
                    "worker %zu (thread cpu %d, %s): %zu live tasks, %zu ready, %zu ops in flight, "
                    "%zu op slots live, %zu unstarted queued, %zu messages in overflow\n",
                    i, slots_[i]->cpu, backend_name(w.backend()), w.executor().live_tasks(),
                    w.executor().ready_count(), w.driver().in_flight(), w.ops().live(),
                    slots_[i]->qlen.load(std::memory_order_relaxed), slots_[i]->overflow_len);
      out += line;
      w.executor().for_each_live([&](const TaskHeader& t) {
        std::snprintf(line, sizeof line, "  task %llu %s (spawned at %s:%u)%s%s\n",
                      (unsigned long long)t.id, t.name[0] ? t.name : "unnamed", t.file, t.line,
                      t.scheduled ? " ready" : " waiting",
                      t.aborted.load(std::memory_order_relaxed) ? " aborting" : "");
        out += line;
      });
      std::lock_guard lk(part->mu);
      part->text[i] = std::move(out);
      part->done[i] = true;
      part->cv.notify_all();
    });
  }
  std::unique_lock lk(part->mu);
  part->cv.wait_for(lk, wait, [&] {
    for (bool d : part->done) {
      if (!d) return false;
    }
    return true;
  });
  std::string all;
  for (size_t i = 0; i < n_; ++i) {
    if (part->done[i]) {
      all += part->text[i];
      continue;
    }
    char line[512];
    Executor::Running r = slots_[i]->worker ? slots_[i]->worker->executor().running()
                                            : Executor::Running{0, 0, "", "", 0};
    if (r.since_ns != 0) {
      std::snprintf(line, sizeof line,
                    "worker %zu: no answer; running task %llu %s (spawned at %s:%u) for %llu ms\n", i,
                    (unsigned long long)r.id, r.name[0] ? r.name : "unnamed", r.file, r.line,
                    (unsigned long long)((detail::slice_clock_ns() - r.since_ns) / 1'000'000));
    } else {
      std::snprintf(line, sizeof line, "worker %zu: no answer (busy; enable the watchdog to see the task)\n", i);
    }
    all += line;
  }
  return all;
}

// ---------------------------------------------------------------------------
// Trace export

std::string Runtime::trace_json(std::chrono::milliseconds wait) {
  if (opts_.trace_events == 0) return "";
  if (current() == this) throw std::logic_error("veloq::Runtime::trace_json on its own worker");
  std::vector<std::string> parts(n_);
  auto name = [](size_t i) { return "worker " + std::to_string(i); };
  if (joined_.load(std::memory_order_acquire)) {
    // Threads joined: the rings are quiet.
    for (size_t i = 0; i < n_; ++i) {
      bool first = true;
      trace_append_json(parts[i], *slots_[i]->trace, i, name(i), &first);
    }
  } else {
    struct Shared {
      std::mutex mu;
      std::condition_variable cv;
      std::vector<std::string> text;
      std::vector<bool> done;
    };
    auto sh = std::make_shared<Shared>();
    sh->text.resize(n_);
    sh->done.resize(n_, false);
    for (size_t i = 0; i < n_; ++i) {
      post(i, [this, sh, i, name] {
        std::string out;
        bool first = true;
        trace_append_json(out, *slots_[i]->trace, i, name(i), &first);
        std::lock_guard lk(sh->mu);
        sh->text[i] = std::move(out);
        sh->done[i] = true;
        sh->cv.notify_all();
      });
    }
    std::unique_lock lk(sh->mu);
    sh->cv.wait_for(lk, wait, [&] {
      for (bool d : sh->done) {
        if (!d) return false;
      }
      return true;
    });
    for (size_t i = 0; i < n_; ++i) {
      if (sh->done[i]) parts[i] = std::move(sh->text[i]);
    }
  }
  std::string out = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n";
  bool any = false;
  for (std::string& p : parts) {
    if (p.empty()) continue;
    if (any) out += ",\n";
    out += p;
    any = true;
  }
  out += "\n]}\n";
  return out;
}

// ---------------------------------------------------------------------------
// Shutdown

void Runtime::shutdown() {
  if (shut_.exchange(true)) return;
  if (current() == this) {
    std::fprintf(stderr, "veloq: Runtime::shutdown called on its own worker\n");
    std::terminate();
  }
  stop_.store(true, std::memory_order_seq_cst);
  if (watchdog_.joinable()) {
    {
      std::lock_guard lk(watchdog_mu_);
      watchdog_cv_.notify_all();
    }
    watchdog_.join();
  }
  // Non-worker senders inside send() finish (or give up) first: after this,
  // nobody outside the workers touches a worker's driver.
  while (senders_.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
  for (auto& s : slots_) {
    if (s->worker) s->worker->driver().wake();
  }
  drained_.wait();
  destroy_.count_down();
  for (auto& s : slots_) {
    if (s->thread.joinable()) s->thread.join();
  }
  // Undelivered messages, overflow and steal queues: cancel the tasks,
  // drop the closures and the wakes' refs.
  MeshMsg m;
  for (size_t from = 0; from <= n_; ++from) {
    for (size_t to = 0; to < n_; ++to) {
      while (mesh_->ring(from, to).try_pop(m)) dispose(m);
    }
  }
  for (auto& s : slots_) {
    for (auto& q : s->overflow) {
      for (MeshMsg& x : q) dispose(x);
      q.clear();
    }
    s->overflow_len = 0;
    for (TaskHeader* t : s->queue) detail::cancel_unstarted(t);
    s->queue.clear();
    s->qlen.store(0);
  }
  joined_.store(true, std::memory_order_release);
}

}  // namespace veloq
