// uv_timer_t (libuv 1.44 src/timer.c). Due times are absolute loop
// milliseconds; active timers sit in the loop's intrusive min-heap ordered by
// (due, start order), so equal deadlines fire in start order.
#include <climits>

#include "compat_uv/internal.hpp"

using namespace veloq::uvc;

namespace veloq::uvc {

int next_timeout(const uv_loop_t* loop) {
  const LoopState* ls = loop_state(loop);
  if (ls->timers.empty()) return -1;  // block indefinitely
  const uint64_t due = timer_of_node(ls->timers.min())->timeout;
  if (due <= ls->time_ms) return 0;
  const uint64_t diff = due - ls->time_ms;
  return diff > uint64_t(INT_MAX) ? INT_MAX : int(diff);
}

void run_timers(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  for (;;) {
    if (ls->timers.empty()) break;
    TimerState* ts = timer_of_node(ls->timers.min());
    if (ts->timeout > ls->time_ms) break;
    uv_timer_t* handle = timer_handle(ts);
    uv_timer_stop(handle);
    uv_timer_again(handle);
    tstate(handle)->cb(handle);
  }
}

void timer_close(uv_timer_t* h) { uv_timer_stop(h); }

}  // namespace veloq::uvc

extern "C" {

int uv_timer_init(uv_loop_t* loop, uv_timer_t* handle) {
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_TIMER);
  TimerState* ts = tstate(handle);
  ts->cb = nullptr;
  ts->timeout = 0;
  ts->repeat = 0;
  ts->start_id = 0;
  return 0;
}

int uv_timer_start(uv_timer_t* handle, uv_timer_cb cb, uint64_t timeout, uint64_t repeat) {
  uv_handle_t* h = reinterpret_cast<uv_handle_t*>(handle);
  if (is_closing(h) || cb == nullptr) return UV_EINVAL;
  if (is_active(h)) uv_timer_stop(handle);
  LoopState* ls = loop_state(handle->loop);
  uint64_t clamped = ls->time_ms + timeout;
  if (clamped < timeout) clamped = uint64_t(-1);  // overflow: never
  TimerState* ts = tstate(handle);
  ts->cb = cb;
  ts->timeout = clamped;
  ts->repeat = repeat;
  ts->start_id = ls->timer_counter++;
  ls->timers.insert(&ts->node);
  handle_start(h);
  return 0;
}

int uv_timer_stop(uv_timer_t* handle) {
  uv_handle_t* h = reinterpret_cast<uv_handle_t*>(handle);
  if (!is_active(h)) return 0;
  loop_state(handle->loop)->timers.remove(&tstate(handle)->node);
  handle_stop(h);
  return 0;
}

int uv_timer_again(uv_timer_t* handle) {
  TimerState* ts = tstate(handle);
  if (ts->cb == nullptr) return UV_EINVAL;
  if (ts->repeat) {
    uv_timer_stop(handle);
    uv_timer_start(handle, ts->cb, ts->repeat, ts->repeat);
  }
  return 0;
}

void uv_timer_set_repeat(uv_timer_t* handle, uint64_t repeat) { tstate(handle)->repeat = repeat; }

uint64_t uv_timer_get_repeat(const uv_timer_t* handle) { return tstate(handle)->repeat; }

uint64_t uv_timer_get_due_in(const uv_timer_t* handle) {
  const uint64_t now = loop_state(handle->loop)->time_ms;
  const uint64_t due = tstate(handle)->timeout;
  return now >= due ? 0 : due - now;
}

}  // extern "C"
