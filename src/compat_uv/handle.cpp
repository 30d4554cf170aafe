// Handle basics: uv_close, ref counting, accessors (libuv 1.44 src/unix/core.c, src/uv-common.c).
#include <cstdlib>

#include "compat_uv/internal.hpp"
#include "compat_uv/threadpool.hpp"

using namespace veloq::uvc;

extern "C" {

void uv_close(uv_handle_t* handle, uv_close_cb close_cb) {
  HandleState* hs = hstate(handle);
  // libuv asserts here: closing a handle twice is a programming error.
  if (hs->flags & (kClosing | kClosed)) abort();
  hs->flags |= kClosing;
  handle->close_cb = close_cb;
  switch (handle->type) {
    case UV_TIMER: timer_close(reinterpret_cast<uv_timer_t*>(handle)); break;
    case UV_IDLE: idle_close(reinterpret_cast<uv_idle_t*>(handle)); break;
    case UV_PREPARE: prepare_close(reinterpret_cast<uv_prepare_t*>(handle)); break;
    case UV_CHECK: check_close(reinterpret_cast<uv_check_t*>(handle)); break;
    case UV_ASYNC: async_close(reinterpret_cast<uv_async_t*>(handle)); break;
    case UV_POLL: poll_close(reinterpret_cast<uv_poll_t*>(handle)); break;
    case UV_TCP:
    case UV_TTY: stream_close(reinterpret_cast<uv_stream_t*>(handle)); break;
    case UV_NAMED_PIPE: pipe_close(reinterpret_cast<uv_pipe_t*>(handle)); break;
    case UV_UDP: udp_close(reinterpret_cast<uv_udp_t*>(handle)); break;
    case UV_SIGNAL: signal_close(reinterpret_cast<uv_signal_t*>(handle)); break;
    case UV_PROCESS: process_close(reinterpret_cast<uv_process_t*>(handle)); break;
    case UV_FS_EVENT: fs_event_close(reinterpret_cast<uv_fs_event_t*>(handle)); break;
    case UV_FS_POLL: fs_poll_close(reinterpret_cast<uv_fs_poll_t*>(handle)); break;
    default: handle_stop(handle); break;
  }
  // uv__make_close_pending: a stack, so close_cbs run newest first.
  LoopState* ls = loop_state(handle->loop);
  hs->next_closing = ls->closing_handles;
  ls->closing_handles = handle;
}

int uv_is_closing(const uv_handle_t* handle) { return is_closing(handle); }

int uv_is_active(const uv_handle_t* handle) {
  return (hstate(handle)->flags & kActive) && !(hstate(handle)->flags & kClosing);
}

void uv_ref(uv_handle_t* handle) {
  HandleState* hs = hstate(handle);
  if (hs->flags & kRef) return;
  hs->flags |= kRef;
  if (hs->flags & kClosing) return;
  if (hs->flags & kActive) handle->loop->active_handles++;
}

void uv_unref(uv_handle_t* handle) {
  HandleState* hs = hstate(handle);
  if (!(hs->flags & kRef)) return;
  hs->flags &= ~kRef;
  if (hs->flags & kClosing) return;
  if (hs->flags & kActive) handle->loop->active_handles--;
}

int uv_has_ref(const uv_handle_t* handle) { return (hstate(handle)->flags & kRef) != 0; }

uv_handle_type uv_handle_get_type(const uv_handle_t* handle) { return handle->type; }
uv_loop_t* uv_handle_get_loop(const uv_handle_t* handle) { return handle->loop; }
void* uv_handle_get_data(const uv_handle_t* handle) { return handle->data; }
void uv_handle_set_data(uv_handle_t* handle, void* data) { handle->data = data; }

const char* uv_handle_type_name(uv_handle_type type) {
  switch (type) {
#define XX(uc, lc) \
  case UV_##uc:    \
    return #lc;
    UV_HANDLE_TYPE_MAP(XX)
#undef XX
    case UV_FILE: return "file";
    default: return nullptr;
  }
}

size_t uv_handle_size(uv_handle_type type) {
  switch (type) {
#define XX(uc, lc) \
  case UV_##uc:    \
    return sizeof(uv_##lc##_t);
    UV_HANDLE_TYPE_MAP(XX)
#undef XX
    default: return size_t(-1);
  }
}

size_t uv_req_size(uv_req_type type) {
  switch (type) {
#define XX(uc, lc) \
  case UV_##uc:    \
    return sizeof(uv_##lc##_t);
    UV_REQ_TYPE_MAP(XX)
#undef XX
    default: return size_t(-1);
  }
}

// libuv: the fd of a handle that has one (streams, UDP, poll), UV_EINVAL for
// other types, UV_EBADF when closing or not yet bound to an fd.
int uv_fileno(const uv_handle_t* handle, uv_os_fd_t* fd) {
  int value;
  switch (handle->type) {
    case UV_POLL: value = poll_fileno(reinterpret_cast<const uv_poll_t*>(handle)); break;
    case UV_TCP:
    case UV_NAMED_PIPE:
    case UV_TTY: value = stream_fileno(reinterpret_cast<const uv_stream_t*>(handle)); break;
    case UV_UDP: value = udp_fileno(reinterpret_cast<const uv_udp_t*>(handle)); break;
    default: return UV_EINVAL;
  }
  if (is_closing(handle) || value == -1) return UV_EBADF;
  *fd = value;
  return 0;
}

uv_req_type uv_req_get_type(const uv_req_t* req) { return req->type; }
void* uv_req_get_data(const uv_req_t* req) { return req->data; }
void uv_req_set_data(uv_req_t* req, void* data) { req->data = data; }

const char* uv_req_type_name(uv_req_type type) {
  switch (type) {
#define XX(uc, lc) \
  case UV_##uc:    \
    return #lc;
    UV_REQ_TYPE_MAP(XX)
#undef XX
    default: return nullptr;
  }
}

// libuv cancels only requests waiting in its threadpool (fs, work, DNS,
// random); everything else is UV_EINVAL. A request a pool thread has picked
// up (or finished) is UV_EBUSY (threadpool.cpp).
int uv_cancel(uv_req_t* req) {
  if (req == nullptr) return UV_EINVAL;
  switch (req->type) {
    case UV_FS: return fs_cancel(reinterpret_cast<uv_fs_t*>(req));
    case UV_WORK: return work_cancel(work_item(reinterpret_cast<uv_work_t*>(req)->veloq_work.storage));
    case UV_GETADDRINFO:
      return work_cancel(work_item(reinterpret_cast<uv_getaddrinfo_t*>(req)->veloq_getaddrinfo.storage));
    case UV_GETNAMEINFO:
      return work_cancel(work_item(reinterpret_cast<uv_getnameinfo_t*>(req)->veloq_getnameinfo.storage));
    case UV_RANDOM: return work_cancel(work_item(&reinterpret_cast<uv_random_t*>(req)->work_req));
    default: return UV_EINVAL;
  }
}

}  // extern "C"
