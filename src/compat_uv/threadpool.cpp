// The libuv threadpool and uv_queue_work (libuv 1.44 src/threadpool.c).
//
// Pool side: one mutex, one condition variable, a FIFO of WorkItems. Slow
// I/O items wait in their own FIFO, represented in the main one by a single
// marker, so at most (threads + 1) / 2 threads run slow I/O at a time.
// Loop side: a finished item goes to its loop's WorkDoneQueue under that
// queue's mutex, and the driver is woken while the mutex is still held. The
// loop drains the queue under the same mutex, so by the time a done callback
// can run (and the user can close the loop) the pool thread has let go of
// the loop for good.
#include "compat_uv/threadpool.hpp"

#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "compat_uv/stream.hpp"  // req_register / req_unregister

namespace veloq::uvc {
namespace {

constexpr unsigned kDefaultThreads = 4;
constexpr unsigned kMaxThreads = 1024;  // libuv's MAX_THREADPOOL_SIZE

struct Pool {
  std::mutex mu;
  std::condition_variable cv;
  unsigned nthreads = 0;
  unsigned idle = 0;
  unsigned slow_running = 0;
  Queue wq;            // WorkItems, run_slow and exit markers
  Queue slow_pending;  // slow I/O WorkItems
  Queue run_slow;      // marker: "take the head of slow_pending"; empty() = not queued
  Queue exit_marker;   // left at the head for every thread to see
  std::vector<std::thread> threads;
  Pool() {
    wq.init();
    slow_pending.init();
    run_slow.init();
    exit_marker.init();
  }
  unsigned slow_threshold() const { return (nthreads + 1) / 2; }
};

// Heap-allocated and re-created in a forked child (the parent's threads do
// not exist there and its mutex may be held), as libuv resets its once.
// Atomic: uv_cancel reads it without going through the once (it must not
// start a pool), possibly on another loop's thread than the one that did.
std::atomic<Pool*> g_pool{nullptr};
pthread_once_t g_once = PTHREAD_ONCE_INIT;

// Stands in for work() of a cancelled item (never called).
void cancelled_marker(WorkItem*) { std::abort(); }

WorkItem* item_of(Queue* q) {
  return reinterpret_cast<WorkItem*>(reinterpret_cast<char*>(q) - offsetof(WorkItem, wq));
}

unsigned threads_from_env() {
  unsigned n = kDefaultThreads;
  if (const char* v = std::getenv("UV_THREADPOOL_SIZE")) n = static_cast<unsigned>(std::atoi(v));
  if (n == 0) n = 1;
  if (n > kMaxThreads) n = kMaxThreads;
  return n;
}

// Hand a finished (or cancelled) item to its loop; see the file comment.
void deliver(WorkItem* w, void (*work_state)(WorkItem*)) {
  LoopState* ls = loop_state(w->loop);
  std::lock_guard<std::mutex> lk(ls->work_done.mu);
  w->work = work_state;
  ls->work_done.items.insert_tail(&w->wq);
  // One wake per batch: while `pending` is set the loop has been woken and
  // has not drained yet (it clears the flag under this mutex when it does).
  if (!ls->work_done.pending.exchange(true, std::memory_order_acq_rel)) ls->driver->wake();
}

void worker_main(Pool* p) {
  std::unique_lock<std::mutex> lk(p->mu);
  for (;;) {
    // Sleep while there is nothing, or only slow I/O and its share of the
    // threads is busy.
    while (p->wq.empty() || (p->wq.next == &p->run_slow && p->run_slow.next == &p->wq &&
                             p->slow_running >= p->slow_threshold())) {
      p->idle++;
      p->cv.wait(lk);
      p->idle--;
    }
    Queue* q = p->wq.next;
    if (q == &p->exit_marker) {
      p->cv.notify_one();  // the next thread sees it too
      return;
    }
    q->remove();
    q->init();  // empty wq = picked up: uv_cancel says UV_EBUSY from now on
    bool slow = false;
    if (q == &p->run_slow) {
      if (p->slow_running >= p->slow_threshold()) {
        p->wq.insert_tail(q);  // after the other work
        continue;
      }
      if (p->slow_pending.empty()) continue;  // its items were cancelled
      slow = true;
      p->slow_running++;
      q = p->slow_pending.next;
      q->remove();
      q->init();
      if (!p->slow_pending.empty()) {
        p->wq.insert_tail(&p->run_slow);
        if (p->idle > 0) p->cv.notify_one();
      }
    }
    lk.unlock();
    WorkItem* w = item_of(q);
    w->work(w);
    deliver(w, nullptr);  // work == nullptr: ran to the end
    lk.lock();
    if (slow) p->slow_running--;
  }
}

void reset_in_child() {
  // The parent's pool: its threads are gone here; leak it (libuv does too).
  g_pool.store(nullptr, std::memory_order_relaxed);
  g_once = PTHREAD_ONCE_INIT;
}

void start_pool() {
  static bool atfork_registered = false;
  if (!atfork_registered) {
    atfork_registered = true;
    if (pthread_atfork(nullptr, nullptr, reset_in_child) != 0) std::abort();
  }
  Pool* p = new Pool();
  p->nthreads = threads_from_env();
  p->threads.reserve(p->nthreads);
  for (unsigned i = 0; i < p->nthreads; i++) {
    try {
      p->threads.emplace_back(worker_main, p);
    } catch (...) {
      // libuv aborts when a pool thread cannot be created.
      std::fprintf(stderr, "veloq: cannot start threadpool thread %u\n", i);
      std::abort();
    }
  }
  g_pool.store(p, std::memory_order_release);
}

Pool* pool() {
  pthread_once(&g_once, start_pool);
  return g_pool.load(std::memory_order_acquire);
}

}  // namespace

void work_submit(uv_loop_t* loop, WorkItem* w, WorkKind kind, void (*work)(WorkItem*),
                 void (*done)(WorkItem*, int)) {
  Pool* p = pool();
  w->loop = loop;
  w->work = work;
  w->done = done;
  std::lock_guard<std::mutex> lk(p->mu);
  Queue* q = &w->wq;
  if (kind == WorkKind::SlowIo) {
    p->slow_pending.insert_tail(q);
    if (!p->run_slow.empty()) return;  // the marker is queued: it picks this up in turn
    q = &p->run_slow;
  }
  p->wq.insert_tail(q);
  if (p->idle > 0) p->cv.notify_one();
}

int work_cancel(WorkItem* w) {
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (w->loop == nullptr || p == nullptr) return UV_EBUSY;  // never submitted
  LoopState* ls = loop_state(w->loop);
  bool cancelled;
  {
    std::lock_guard<std::mutex> pool_lk(p->mu);
    std::lock_guard<std::mutex> loop_lk(ls->work_done.mu);
    // Still in a pool queue: not picked up (wq re-initialised) and not done
    // (work cleared). A cancelled item waiting for its done() counts too: as
    // in libuv it is re-queued and the answer is 0 again (done runs once).
    cancelled = !w->wq.empty() && w->work != nullptr;
    if (cancelled) w->wq.remove();
  }
  if (!cancelled) return UV_EBUSY;
  deliver(w, cancelled_marker);
  return 0;
}

void run_work_done(uv_loop_t* loop) {
  WorkDoneQueue& d = loop_state(loop)->work_done;
  Queue batch;
  {
    std::lock_guard<std::mutex> lk(d.mu);
    d.pending.store(false, std::memory_order_relaxed);
    d.items.move_to(&batch);
  }
  while (!batch.empty()) {
    Queue* q = batch.next;
    q->remove();
    q->init();  // a uv_cancel after done() finds nothing queued: UV_EBUSY
    WorkItem* w = item_of(q);
    const int status = w->work == cancelled_marker ? UV_ECANCELED : 0;
    w->done(w, status);  // may free or resubmit the request: `w` is not touched after
  }
}

void threadpool_shutdown() {
  Pool* p = g_pool.load(std::memory_order_acquire);
  if (p == nullptr) return;
  {
    std::lock_guard<std::mutex> lk(p->mu);
    p->wq.insert_tail(&p->exit_marker);
    if (p->idle > 0) p->cv.notify_one();
  }
  for (std::thread& t : p->threads) t.join();
  p->threads.clear();
}

}  // namespace veloq::uvc

using namespace veloq::uvc;

namespace {

WorkItem* work_of(uv_work_t* req) { return reinterpret_cast<WorkItem*>(req->veloq_work.storage); }
uv_work_t* req_of(WorkItem* w) {
  return reinterpret_cast<uv_work_t*>(reinterpret_cast<char*>(w) - offsetof(uv_work_t, veloq_work));
}

void queue_work_run(WorkItem* w) {
  uv_work_t* req = req_of(w);
  req->work_cb(req);
}

void queue_work_done(WorkItem* w, int status) {
  uv_work_t* req = req_of(w);
  req_unregister(req->loop);
  if (req->after_work_cb != nullptr) req->after_work_cb(req, status);
}

}  // namespace

extern "C" {

int uv_queue_work(uv_loop_t* loop, uv_work_t* req, uv_work_cb work_cb, uv_after_work_cb after_work_cb) {
  if (work_cb == nullptr) return UV_EINVAL;
  if (loop == nullptr || req == nullptr) return UV_EINVAL;  // libuv would crash
  req->type = UV_WORK;
  req_register(loop);
  req->loop = loop;
  req->work_cb = work_cb;
  req->after_work_cb = after_work_cb;
  work_submit(loop, work_of(req), WorkKind::Cpu, queue_work_run, queue_work_done);
  return 0;
}

}  // extern "C"
