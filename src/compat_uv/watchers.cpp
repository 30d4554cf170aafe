// idle / prepare / check (libuv 1.44 src/unix/loop-watcher.c) and async
// (src/unix/async.c).
//
// Watchers: start inserts at the queue head; a pass moves the whole queue
// aside and runs it head first, re-queueing each handle before its callback,
// so the most recently started handle runs first and handles started during a
// pass wait for the next one.
#include <sched.h>

#include <cstddef>
#include <new>

#include "compat_uv/internal.hpp"

using namespace veloq::uvc;

namespace {

WatcherState* wstate(uv_idle_t* h) { return reinterpret_cast<WatcherState*>(h->veloq_idle.storage); }
WatcherState* wstate(uv_prepare_t* h) { return reinterpret_cast<WatcherState*>(h->veloq_prepare.storage); }
WatcherState* wstate(uv_check_t* h) { return reinterpret_cast<WatcherState*>(h->veloq_check.storage); }

// Same layout for all three: the storage follows the common handle fields.
static_assert(offsetof(uv_idle_t, veloq_idle) == sizeof(uv_handle_t));
static_assert(offsetof(uv_prepare_t, veloq_prepare) == sizeof(uv_handle_t));
static_assert(offsetof(uv_check_t, veloq_check) == sizeof(uv_handle_t));
static_assert(offsetof(uv_async_t, veloq_async) == sizeof(uv_handle_t));

template <class H>
H* handle_of(Queue* q) {
  return reinterpret_cast<H*>(reinterpret_cast<char*>(q) - sizeof(uv_handle_t) - offsetof(WatcherState, queue));
}

template <class H, class Cb>
int watcher_start(H* h, Cb cb, Queue& loop_queue) {
  uv_handle_t* base = reinterpret_cast<uv_handle_t*>(h);
  if (is_active(base)) return 0;
  if (cb == nullptr) return UV_EINVAL;
  WatcherState* ws = wstate(h);
  ws->cb = reinterpret_cast<void*>(cb);
  loop_queue.insert_head(&ws->queue);
  handle_start(base);
  return 0;
}

template <class H>
int watcher_stop(H* h) {
  uv_handle_t* base = reinterpret_cast<uv_handle_t*>(h);
  if (!is_active(base)) return 0;
  wstate(h)->queue.remove();
  handle_stop(base);
  return 0;
}

template <class H, class Cb>
void watcher_run(Queue& loop_queue) {
  Queue pass;
  loop_queue.move_to(&pass);
  while (!pass.empty()) {
    Queue* q = pass.next;
    H* h = handle_of<H>(q);
    q->remove();
    loop_queue.insert_tail(q);
    reinterpret_cast<Cb>(wstate(h)->cb)(h);
  }
}

template <class H>
void watcher_init(uv_loop_t* loop, H* h, uv_handle_type type) {
  handle_init(loop, reinterpret_cast<uv_handle_t*>(h), type);
  WatcherState* ws = wstate(h);
  ws->cb = nullptr;
  ws->queue.init();
}

}  // namespace

namespace veloq::uvc {
void run_idle(uv_loop_t* loop) { watcher_run<uv_idle_t, uv_idle_cb>(loop_state(loop)->idle_handles); }
void run_prepare(uv_loop_t* loop) { watcher_run<uv_prepare_t, uv_prepare_cb>(loop_state(loop)->prepare_handles); }
void run_check(uv_loop_t* loop) { watcher_run<uv_check_t, uv_check_cb>(loop_state(loop)->check_handles); }
void idle_close(uv_idle_t* h) { watcher_stop(h); }
void prepare_close(uv_prepare_t* h) { watcher_stop(h); }
void check_close(uv_check_t* h) { watcher_stop(h); }

// pending: 0 idle, 1 a sender is inside uv_async_send (flag set, wake not
// yet written), 2 sent. Waits out state 1 (a few instructions and one
// eventfd write) and consumes the send. Returns whether one was pending.
bool wait_send_done(AsyncState* as) {
  for (;;) {
    for (int i = 0; i < 1000; ++i) {
      int expected = 2;
      if (as->pending.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return true;
      if (expected == 0) return false;
      __builtin_ia32_pause();
    }
    sched_yield();
  }
}

// Runs in the poll phase, after the driver poll the senders woke.
void run_async(uv_loop_t* loop) {
  Queue& all = loop_state(loop)->async_handles;
  for (Queue* q = all.next; q != &all;) {
    Queue* next = q->next;  // a callback may close its own handle
    uv_async_t* h = reinterpret_cast<uv_async_t*>(reinterpret_cast<char*>(q) - sizeof(uv_handle_t) -
                                                  offsetof(AsyncState, queue));
    AsyncState* as = astate(h);
    if (as->pending.load(std::memory_order_acquire) != 0 && wait_send_done(as) && as->cb) as->cb(h);
    q = next;
  }
}

void async_close(uv_async_t* h) {
  // As libuv's uv__async_spin: once uv_close returns, no sender is still
  // inside uv_async_send touching this loop (the user may then close it).
  wait_send_done(astate(h));
  astate(h)->queue.remove();
  handle_stop(reinterpret_cast<uv_handle_t*>(h));
}
}  // namespace veloq::uvc

extern "C" {

int uv_idle_init(uv_loop_t* loop, uv_idle_t* h) { watcher_init(loop, h, UV_IDLE); return 0; }
int uv_idle_start(uv_idle_t* h, uv_idle_cb cb) { return watcher_start(h, cb, loop_state(h->loop)->idle_handles); }
int uv_idle_stop(uv_idle_t* h) { return watcher_stop(h); }

int uv_prepare_init(uv_loop_t* loop, uv_prepare_t* h) { watcher_init(loop, h, UV_PREPARE); return 0; }
int uv_prepare_start(uv_prepare_t* h, uv_prepare_cb cb) {
  return watcher_start(h, cb, loop_state(h->loop)->prepare_handles);
}
int uv_prepare_stop(uv_prepare_t* h) { return watcher_stop(h); }

int uv_check_init(uv_loop_t* loop, uv_check_t* h) { watcher_init(loop, h, UV_CHECK); return 0; }
int uv_check_start(uv_check_t* h, uv_check_cb cb) { return watcher_start(h, cb, loop_state(h->loop)->check_handles); }
int uv_check_stop(uv_check_t* h) { return watcher_stop(h); }

int uv_async_init(uv_loop_t* loop, uv_async_t* h, uv_async_cb cb) {
  uv_handle_t* base = reinterpret_cast<uv_handle_t*>(h);
  handle_init(loop, base, UV_ASYNC);
  AsyncState* as = astate(h);
  as->cb = cb;
  new (&as->pending) std::atomic<int>(0);
  loop_state(loop)->async_handles.insert_tail(&as->queue);
  handle_start(base);  // an async handle is active from init until closed
  return 0;
}

// Any thread. Coalesces: only the 0 -> 1 transition wakes the loop; the
// sender marks the send done (2) after its last touch of the loop.
int uv_async_send(uv_async_t* h) {
  AsyncState* as = astate(h);
  if (as->pending.load(std::memory_order_relaxed) != 0) return 0;
  int expected = 0;
  if (!as->pending.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) return 0;
  LoopState* ls = loop_state(h->loop);
  ls->async_pending.store(1, std::memory_order_release);
  ls->driver->wake();
  as->pending.store(2, std::memory_order_release);
  return 0;
}

}  // extern "C"
