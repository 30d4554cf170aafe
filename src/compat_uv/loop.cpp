// uv_loop_t: init/close, the run loop and its phases (libuv 1.44 src/unix/core.c).
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>

#include <pthread.h>
#include <unistd.h>

#include "compat_uv/internal.hpp"
#include "compat_uv/threadpool.hpp"

using namespace veloq::uvc;

namespace {

// VELOQ_UV_LOOP_THREAD=bound: the program promises to run each loop on one
// thread only, so its ring may take SINGLE_ISSUER + DEFER_TASKRUN (bound to
// the first thread that runs it). Read once per process.
bool loops_thread_bound() {
  static const bool bound = [] {
    const char* v = std::getenv("VELOQ_UV_LOOP_THREAD");
    return v != nullptr && std::strcmp(v, "bound") == 0;
  }();
  return bound;
}

std::unique_ptr<veloq::Driver> make_loop_driver(int* uv_err);

// Set by loop_init_bound() (percore.cpp's loops) around its uv_loop_init:
// that loop is bound to its thread by construction.
thread_local bool init_thread_bound = false;

// A thread's identity for adopt_thread: unique for the process's lifetime
// (pthread_t values and tids are reused once a thread is joined).
uint64_t this_thread_serial() {
  static std::atomic<uint64_t> next{1};
  thread_local const uint64_t serial = next.fetch_add(1, std::memory_order_relaxed);
  return serial;
}

// A bound ring serves only the thread it was bound to. A loop that moves to
// another thread gets a new ring (bound to the new thread on first use) when
// nothing can touch the old one: no op in flight (that includes ops on the
// blocking pool), no request active (threadpool work delivers through
// driver->wake()), no async handle (uv_async_send calls driver->wake()).
// Otherwise it cannot move (the old thread alone can reap the ops) and the
// poll reports EEXIST.
void adopt_thread(uv_loop_t* loop) {
  if (!loops_thread_bound()) return;
  LoopState* ls = loop_state(loop);
  const uint64_t self = this_thread_serial();
  if (ls->runner == self) return;
  const bool quiet = ls->driver->in_flight() == 0 && loop->active_reqs.count == 0 && ls->fixed_bufs_out == 0 &&
                     ls->async_handles.empty() && ls->pool.pending.load(std::memory_order_acquire) == 0;
  if (ls->runner != 0 && quiet) {
    int err = 0;
    std::unique_ptr<veloq::Driver> fresh = make_loop_driver(&err);
    if (!fresh) return;  // keep the old ring; the poll reports why it can't serve
    {
      std::lock_guard<std::mutex> lk(ls->work_done.mu);  // as a pool thread's deliver() reads it
      ls->driver = std::move(fresh);
    }
    install_pool_offload(ls);  // the new driver offloads as the old one did
    ls->backend_dirty = true;
  }
  ls->runner = self;
}

uv_loop_t default_loop_storage;
uv_loop_t* default_loop_ptr = nullptr;

bool has_active_handles(const uv_loop_t* loop) { return loop->active_handles > 0; }
bool has_active_reqs(const uv_loop_t* loop) { return loop->active_reqs.count > 0; }

bool loop_alive(const uv_loop_t* loop) {
  const LoopState* ls = loop_state(loop);
  return has_active_handles(loop) || has_active_reqs(loop) || ls->closing_handles != nullptr || ls->draining > 0;
}

// uv__finish_close: the handle leaves the loop, then its close_cb runs.
void finish_close(uv_handle_t* h) {
  HandleState* hs = hstate(h);
  if (h->type == UV_SIGNAL && signal_undelivered(reinterpret_cast<uv_signal_t*>(h))) {
    // libuv: signals still in the loop's pipe name this handle; back into
    // the closing queue until the poll phase has read them.
    LoopState* ls = loop_state(h->loop);
    hs->next_closing = ls->closing_handles;
    ls->closing_handles = h;
    return;
  }
  if (h->type == UV_TCP || h->type == UV_NAMED_PIPE || h->type == UV_TTY) {
    stream_destroy(reinterpret_cast<uv_stream_t*>(h));
  }
  if (h->type == UV_UDP) udp_destroy(reinterpret_cast<uv_udp_t*>(h));
  hs->flags |= kClosed;
  // uv__handle_unref
  if (hs->flags & kRef) {
    hs->flags &= ~kRef;
    if (hs->flags & kActive) h->loop->active_handles--;
  }
  handle_queue_node(h)->remove();
  if (h->close_cb) h->close_cb(h);
}

// libuv pushes closing handles on a stack, so close_cbs run in reverse order
// of the uv_close calls; handles closed from a close_cb wait for the next pass.
void run_closing_handles(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  uv_handle_t* p = ls->closing_handles;
  ls->closing_handles = nullptr;
  while (p) {
    HandleState* hs = hstate(p);
    uv_handle_t* q = hs->next_closing;
    if (hs->ops > 0) {
      // Its ops are cancelled but not yet completed: the close_cb (after
      // which the user may free the handle) waits for handle_op_done().
      hs->flags |= kDraining;
      ls->draining++;
    } else {
      finish_close(p);
    }
    p = q;
  }
}

// uv__run_pending: the queue is moved aside first, so work queued by these
// callbacks waits for the next iteration. Returns whether anything ran.
bool run_pending(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  if (ls->pending_queue.empty()) return false;
  Queue pass;
  ls->pending_queue.move_to(&pass);
  while (!pass.empty()) {
    Queue* q = pass.next;
    q->remove();
    q->init();
    PendingWork* w = reinterpret_cast<PendingWork*>(reinterpret_cast<char*>(q) - offsetof(PendingWork, queue));
    w->run(loop, w);
  }
  return true;
}

// The poll phase: one driver poll, then the async handles it woke.
void io_poll(uv_loop_t* loop, int timeout_ms) {
  LoopState* ls = loop_state(loop);
  if (ls->async_pending.load(std::memory_order_acquire) || ls->work_done.pending.load(std::memory_order_acquire))
    timeout_ms = 0;
  const int64_t timeout_ns = timeout_ms < 0 ? -1 : int64_t(timeout_ms) * 1'000'000;
  // libuv waits in epoll_pwait with SIGPROF blocked when asked to.
  sigset_t old_mask;
  if (ls->block_sigprof) {
    sigset_t prof;
    sigemptyset(&prof);
    sigaddset(&prof, SIGPROF);
    pthread_sigmask(SIG_BLOCK, &prof, &old_mask);
  }
  const bool measure = ls->metrics_idle && timeout_ns != 0;
  const uint64_t t0 = measure ? uv_hrtime() : 0;
  const int r = ls->driver->poll(timeout_ns);
  // libuv aborts when epoll_wait fails for any reason but EINTR: the loop
  // cannot make progress and spinning would hide it.
  if (r < 0 && r != -EINTR) {
    std::fprintf(stderr, "veloq: uv loop %p: driver poll failed: %s%s\n", static_cast<void*>(loop),
                 std::strerror(-r),
                 r == -EEXIST && loops_thread_bound()
                     ? " (VELOQ_UV_LOOP_THREAD=bound, but this loop ran on another thread before)"
                     : "");
    std::abort();
  }
  if (measure) ls->idle_time_ns += uv_hrtime() - t0;
  if (ls->block_sigprof) pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
  ls->backend_dirty = false;
  update_time(loop);  // libuv updates the time after epoll_wait returns
  // Threadpool results first: libuv's wq_async is the loop's first async handle.
  if (ls->work_done.pending.load(std::memory_order_acquire)) run_work_done(loop);
  if (ls->async_pending.exchange(0, std::memory_order_acq_rel)) run_async(loop);
}

// uv__backend_timeout: the wait uv_run's poll phase uses.
int backend_timeout(const uv_loop_t* loop) {
  const LoopState* ls = loop_state(loop);
  if (loop->stop_flag != 0) return 0;
  if (!has_active_handles(loop) && !has_active_reqs(loop)) return 0;
  if (!ls->idle_handles.empty()) return 0;
  if (!ls->pending_queue.empty()) return 0;
  if (ls->closing_handles != nullptr) return 0;
  return next_timeout(loop);
}

// The driver of a uv loop, or null with *uv_err set (a UV_E* code). libuv
// lets any thread run a loop, one at a time, and a loop stopped on one
// thread may be run on another with I/O still in flight: by default the ring
// is not bound to a single submitter (DriverOptions::thread_bound; divergence
// i in docs/ARCHITECTURE.md says what that costs and why it is the default).
std::unique_ptr<veloq::Driver> make_loop_driver(int* uv_err) {
  veloq::DriverOptions o = veloq::DriverOptions::from_env();
  o.thread_bound = loops_thread_bound() || init_thread_bound;
  int err = 0;
  std::unique_ptr<veloq::Driver> d = veloq::make_driver(o, &err);
  if (!d) *uv_err = err > 0 ? -err : (err < 0 ? err : UV_ENOMEM);
  return d;
}

void print_handles(uv_loop_t* loop, bool only_active, FILE* stream) {
  if (loop == nullptr) loop = uv_default_loop();
  if (loop == nullptr || stream == nullptr) return;
  Queue* all = loop_handle_queue(loop);
  for (Queue* q = all->next; q != all; q = q->next) {
    uv_handle_t* h = handle_of_queue_node(q);
    const uint32_t flags = hstate(h)->flags;
    if (only_active && !(flags & kActive)) continue;
    const char* type = uv_handle_type_name(h->type);
    // libuv's format: [R|-][A|-][I|-] type address (Veloq has no internal handles).
    std::fprintf(stream, "[%c%c%c] %-8s %p\n", (flags & kRef) ? 'R' : '-', (flags & kActive) ? 'A' : '-', '-',
                 type ? type : "<unknown>", static_cast<void*>(h));
  }
}


}  // namespace

namespace veloq::uvc {

void update_time(uv_loop_t* loop) {
  loop_state(loop)->time_ms = uv_hrtime() / 1'000'000;
}

int loop_init_bound(uv_loop_t* loop) {
  init_thread_bound = true;
  const int r = uv_loop_init(loop);
  init_thread_bound = false;
  return r;
}

void pending_add(uv_loop_t* loop, PendingWork* w) { loop_state(loop)->pending_queue.insert_tail(&w->queue); }


void handle_init(uv_loop_t* loop, uv_handle_t* h, uv_handle_type type) {
  h->loop = loop;
  h->type = type;
  h->close_cb = nullptr;
  HandleState* hs = hstate(h);
  hs->flags = kRef;
  hs->ops = 0;
  hs->next_closing = nullptr;
  loop_handle_queue(loop)->insert_tail(handle_queue_node(h));
}

void handle_start(uv_handle_t* h) {
  HandleState* hs = hstate(h);
  if (hs->flags & kActive) return;
  hs->flags |= kActive;
  if (hs->flags & kRef) h->loop->active_handles++;
}

void handle_stop(uv_handle_t* h) {
  HandleState* hs = hstate(h);
  if (!(hs->flags & kActive)) return;
  hs->flags &= ~kActive;
  if (hs->flags & kRef) h->loop->active_handles--;
}

}  // namespace veloq::uvc

extern "C" {

int uv_loop_init(uv_loop_t* loop) {
  if (loop == nullptr) return UV_EINVAL;
  void* saved_data = loop->data;  // libuv keeps loop->data across init
  std::memset(static_cast<void*>(loop), 0, sizeof(*loop));
  loop->data = saved_data;
  LoopState* ls = new (std::nothrow) LoopState();
  if (ls == nullptr) return UV_ENOMEM;
  ls->idle_handles.init();
  ls->prepare_handles.init();
  ls->check_handles.init();
  ls->async_handles.init();
  ls->pending_queue.init();
  loop_handle_queue(loop)->init();
  int err = 0;
  ls->driver = make_loop_driver(&err);
  if (!ls->driver) {
    delete ls;
    return err;
  }
  install_pool_offload(ls);
  loop_state_ptr(loop) = ls;
  update_time(loop);
  return 0;
}

int uv_loop_close(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  if (ls == nullptr) return UV_EINVAL;
  if (has_active_reqs(loop)) return UV_EBUSY;
  if (ls->fixed_bufs_out != 0) return UV_EBUSY;  // zero-copy read buffers not released (uv_ext.h)
  // Every handle still in the loop (open or not yet finished closing) counts.
  if (!loop_handle_queue(loop)->empty()) return UV_EBUSY;
  process_loop_close(loop);
  signal_loop_close(loop);
  fs_event_loop_close(loop);
  if (ls->emfile_fd != -1) ::close(ls->emfile_fd);
  delete ls;
  loop_state_ptr(loop) = nullptr;
  if (loop == default_loop_ptr) default_loop_ptr = nullptr;
  return 0;
}

uv_loop_t* uv_default_loop(void) {
  if (default_loop_ptr != nullptr) return default_loop_ptr;
  if (uv_loop_init(&default_loop_storage) != 0) return nullptr;
  default_loop_ptr = &default_loop_storage;
  return default_loop_ptr;
}

size_t uv_loop_size(void) { return sizeof(uv_loop_t); }

int uv_loop_alive(const uv_loop_t* loop) { return loop_alive(loop); }

void uv_stop(uv_loop_t* loop) { loop->stop_flag = 1; }

uint64_t uv_now(const uv_loop_t* loop) { return loop_state(loop)->time_ms; }

void uv_update_time(uv_loop_t* loop) { update_time(loop); }

// What an embedder sleeps for on uv_backend_fd(). 0 while the loop has work
// the fd cannot signal yet (libuv: io watchers not yet registered with epoll).
int uv_backend_timeout(const uv_loop_t* loop) {
  const LoopState* ls = loop_state(loop);
  if (ls->backend_dirty || ls->driver->needs_submit()) return 0;
  return backend_timeout(loop);
}

int uv_backend_fd(const uv_loop_t* loop) { return loop_state(loop)->driver->pollable_fd(); }

void* uv_loop_get_data(const uv_loop_t* loop) { return loop->data; }
void uv_loop_set_data(uv_loop_t* loop, void* data) { loop->data = data; }

int uv_loop_configure(uv_loop_t* loop, uv_loop_option option, ...) {
  LoopState* ls = loop_state(loop);
  if (option == UV_METRICS_IDLE_TIME) {
    ls->metrics_idle = true;
    return 0;
  }
  if (option != UV_LOOP_BLOCK_SIGNAL) return UV_ENOSYS;
  va_list ap;
  va_start(ap, option);
  const int signum = va_arg(ap, int);
  va_end(ap);
  if (signum != SIGPROF) return UV_EINVAL;  // libuv blocks only SIGPROF
  ls->block_sigprof = true;
  return 0;
}

uint64_t uv_metrics_idle_time(uv_loop_t* loop) { return loop_state(loop)->idle_time_ns; }

// In a forked child the ring (or epoll set) is shared with the parent: give
// the loop its own. The old driver is released without touching the kernel
// objects the parent still uses (its destructor only unmaps and closes fds).
int uv_loop_fork(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  if (ls == nullptr) return UV_EINVAL;
  int err = 0;
  std::unique_ptr<veloq::Driver> fresh = make_loop_driver(&err);
  if (!fresh) return err;
  // Only this thread exists in the child: a pool thread the parent had
  // inside post_completion at the fork (counted in pool.pending) will never
  // leave it here, and ~PoolLink (uv_loop_close) would wait for it forever.
  ls->pool.pending.store(0, std::memory_order_relaxed);
  ls->driver = std::move(fresh);
  install_pool_offload(ls);
  ls->backend_dirty = true;
  // Before the signal / inotify re-arm: those release their old ops and arm
  // new ones on the new driver, which this pass must not see.
  handle_ops_fork(loop);
  signal_loop_fork(loop);
  fs_event_loop_fork(loop);
  // A send that raced the fork is not lost: the flag survives, the next poll
  // sees it.
  return 0;
}

uv_loop_t* uv_loop_new(void) {
  uv_loop_t* loop = static_cast<uv_loop_t*>(std::malloc(sizeof(uv_loop_t)));
  if (loop == nullptr) return nullptr;
  if (uv_loop_init(loop) != 0) {
    std::free(loop);
    return nullptr;
  }
  return loop;
}

void uv_loop_delete(uv_loop_t* loop) {
  uv_loop_t* default_loop = default_loop_ptr;
  // libuv asserts that the close succeeded; a loop with live handles is a
  // programming error it aborts on.
  if (uv_loop_close(loop) != 0) abort();
  if (loop != default_loop) std::free(loop);
}

// uv_walk: the handle queue is moved aside and each handle re-queued before
// its callback, so a callback may close (or init) handles safely.
void uv_walk(uv_loop_t* loop, uv_walk_cb walk_cb, void* arg) {
  if (walk_cb == nullptr) return;
  Queue pass;
  loop_handle_queue(loop)->move_to(&pass);
  while (!pass.empty()) {
    Queue* q = pass.next;
    q->remove();
    loop_handle_queue(loop)->insert_tail(q);
    walk_cb(handle_of_queue_node(q), arg);
  }
}

void uv_print_all_handles(uv_loop_t* loop, FILE* stream) { print_handles(loop, false, stream); }
void uv_print_active_handles(uv_loop_t* loop, FILE* stream) { print_handles(loop, true, stream); }

int uv_run(uv_loop_t* loop, uv_run_mode mode) {
  adopt_thread(loop);
  bool r = loop_alive(loop);
  if (!r) update_time(loop);
  while (r && loop->stop_flag == 0) {
    update_time(loop);
    run_timers(loop);
    const bool ran_pending = run_pending(loop);
    run_idle(loop);
    run_prepare(loop);
    int timeout = 0;
    if ((mode == UV_RUN_ONCE && !ran_pending) || mode == UV_RUN_DEFAULT) timeout = backend_timeout(loop);
    io_poll(loop, timeout);
    run_check(loop);
    run_closing_handles(loop);
    if (mode == UV_RUN_ONCE) {
      // UV_RUN_ONCE implies forward progress: timers due after the poll run now.
      update_time(loop);
      run_timers(loop);
    }
    r = loop_alive(loop);
    if (mode == UV_RUN_ONCE || mode == UV_RUN_NOWAIT) break;
  }
  // Reset so the loop can be run again after uv_stop.
  if (loop->stop_flag != 0) loop->stop_flag = 0;
  return r;
}

}  // extern "C"
