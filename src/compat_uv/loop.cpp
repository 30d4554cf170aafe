// uv_loop_t: init/close, the run loop and its phases (libuv 1.44 src/unix/core.c).
#include <climits>
#include <cstring>
#include <ctime>
#include <new>

#include "compat_uv/internal.hpp"

using namespace veloq::uvc;

namespace {

uv_loop_t default_loop_storage;
uv_loop_t* default_loop_ptr = nullptr;

bool has_active_handles(const uv_loop_t* loop) { return loop->active_handles > 0; }
bool has_active_reqs(const uv_loop_t* loop) { return loop->active_reqs.count > 0; }

bool loop_alive(const uv_loop_t* loop) {
  return has_active_handles(loop) || has_active_reqs(loop) || loop_state(loop)->closing_handles != nullptr;
}

// uv__finish_close: the handle leaves the loop, then its close_cb runs.
void finish_close(uv_handle_t* h) {
  HandleState* hs = hstate(h);
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
    uv_handle_t* q = hstate(p)->next_closing;
    finish_close(p);
    p = q;
  }
}

// The poll phase: one driver poll, then the async handles it woke.
void io_poll(uv_loop_t* loop, int timeout_ms) {
  LoopState* ls = loop_state(loop);
  if (ls->async_pending.load(std::memory_order_acquire)) timeout_ms = 0;
  int64_t timeout_ns = timeout_ms < 0 ? -1 : int64_t(timeout_ms) * 1'000'000;
  if (ls->driver) ls->driver->poll(timeout_ns);
  else if (timeout_ns > 0) {
    struct timespec ts{time_t(timeout_ms / 1000), long(timeout_ms % 1000) * 1'000'000};
    nanosleep(&ts, nullptr);
  }
  update_time(loop);  // libuv updates the time after epoll_wait returns
  if (ls->async_pending.exchange(0, std::memory_order_acq_rel)) run_async(loop);
}

}  // namespace

namespace veloq::uvc {

void update_time(uv_loop_t* loop) {
  loop_state(loop)->time_ms = uv_hrtime() / 1'000'000;
}

void handle_init(uv_loop_t* loop, uv_handle_t* h, uv_handle_type type) {
  h->loop = loop;
  h->type = type;
  h->close_cb = nullptr;
  HandleState* hs = hstate(h);
  hs->flags = kRef;
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
  loop_handle_queue(loop)->init();
  // The uring driver is created with its ring disabled and enables it on the
  // first poll, so the loop may be run on another thread than this one.
  int err = 0;
  ls->driver = veloq::make_driver(veloq::DriverOptions::from_env(), &err);
  if (!ls->driver) {
    delete ls;
    return err > 0 ? -err : (err < 0 ? err : UV_ENOMEM);
  }
  loop_state_ptr(loop) = ls;
  update_time(loop);
  return 0;
}

int uv_loop_close(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  if (ls == nullptr) return UV_EINVAL;
  if (has_active_reqs(loop)) return UV_EBUSY;
  // Every handle still in the loop (open or not yet finished closing) counts.
  if (!loop_handle_queue(loop)->empty()) return UV_EBUSY;
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

int uv_backend_timeout(const uv_loop_t* loop) {
  const LoopState* ls = loop_state(loop);
  if (loop->stop_flag != 0) return 0;
  if (!has_active_handles(loop) && !has_active_reqs(loop)) return 0;
  if (!ls->idle_handles.empty()) return 0;
  if (ls->closing_handles != nullptr) return 0;
  return next_timeout(loop);
}

int uv_run(uv_loop_t* loop, uv_run_mode mode) {
  bool r = loop_alive(loop);
  if (!r) update_time(loop);
  while (r && loop->stop_flag == 0) {
    update_time(loop);
    run_timers(loop);
    // No pending queue yet: nothing in this slice defers callbacks to it.
    const bool ran_pending = false;
    run_idle(loop);
    run_prepare(loop);
    int timeout = 0;
    if ((mode == UV_RUN_ONCE && !ran_pending) || mode == UV_RUN_DEFAULT) timeout = uv_backend_timeout(loop);
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
