// uv_fs_poll_t: stat polling on a timer (libuv 1.44 src/fs-poll.c).
//
// As libuv: each start() allocates a context holding the path, a timer and
// a uv_fs_t; the timer fires a uv_fs_stat, whose callback compares with the
// last result and re-arms the timer for the rest of the interval. The
// callback runs on a change (prev = the last good stat, zeroed if none), on
// an error (curr zeroed) unless the previous stat failed the same way, and on
// the first success after an error; never for the first good stat. stop()
// keeps a context whose stat is in flight until that stat returns; the
// handle's close_cb waits for every context (handle_hold), as libuv's does.
//
// The timer is libuv's "internal" handle: unreferenced, and kept out of the
// loop's handle queue, so uv_walk, uv_print_*_handles and uv_loop_close do
// not see it.
#include <cstdlib>
#include <cstring>

#include "compat_uv/alloc.hpp"
#include "compat_uv/internal.hpp"

namespace veloq::uvc {

namespace {

struct PollCtx {
  uv_fs_poll_t* parent;
  int busy_polling;  // 0: no result yet; 1: last stat succeeded; < 0: its error
  unsigned interval;
  uint64_t start_time;
  uv_loop_t* loop;
  uv_fs_poll_cb poll_cb;
  uv_timer_t timer;
  uv_fs_t fs_req;
  uv_stat_t statbuf;
  PollCtx* previous;  // context of an earlier start()..stop() still winding down
  char path[1];       // variable length
};

const uv_stat_t zero_statbuf{};

PollCtx* ctx_of_timer(uv_timer_t* t) {
  return reinterpret_cast<PollCtx*>(reinterpret_cast<char*>(t) - offsetof(PollCtx, timer));
}
PollCtx* ctx_of_req(uv_fs_t* r) {
  return reinterpret_cast<PollCtx*>(reinterpret_cast<char*>(r) - offsetof(PollCtx, fs_req));
}

bool statbuf_eq(const uv_stat_t* a, const uv_stat_t* b) {
  return a->st_ctim.tv_nsec == b->st_ctim.tv_nsec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
         a->st_birthtim.tv_nsec == b->st_birthtim.tv_nsec && a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
         a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_birthtim.tv_sec == b->st_birthtim.tv_sec &&
         a->st_size == b->st_size && a->st_mode == b->st_mode && a->st_uid == b->st_uid &&
         a->st_gid == b->st_gid && a->st_ino == b->st_ino && a->st_dev == b->st_dev &&
         a->st_flags == b->st_flags && a->st_gen == b->st_gen;
}

bool handle_gone(uv_fs_poll_t* h) {
  return !uv_is_active(reinterpret_cast<uv_handle_t*>(h)) || is_closing(reinterpret_cast<uv_handle_t*>(h));
}

void poll_cb(uv_fs_t* req);

void timer_cb(uv_timer_t* timer) {
  PollCtx* ctx = ctx_of_timer(timer);
  ctx->start_time = uv_now(ctx->loop);
  if (uv_fs_stat(ctx->loop, &ctx->fs_req, ctx->path, poll_cb) != 0) abort();  // as libuv
}

// The context's timer is closed: unlink the context, free it, and let the
// handle's close_cb run if this was the last one.
void timer_close_cb(uv_handle_t* timer) {
  PollCtx* ctx = ctx_of_timer(reinterpret_cast<uv_timer_t*>(timer));
  uv_fs_poll_t* handle = ctx->parent;
  if (ctx == handle->poll_ctx) {
    handle->poll_ctx = ctx->previous;
  } else {
    PollCtx* last = static_cast<PollCtx*>(handle->poll_ctx);
    while (last->previous != ctx) last = last->previous;
    last->previous = ctx->previous;
  }
  uv_free(ctx);
  handle_unhold(reinterpret_cast<uv_handle_t*>(handle));
}

void poll_cb(uv_fs_t* req) {
  PollCtx* ctx = ctx_of_req(req);
  uv_fs_poll_t* handle = ctx->parent;
  if (!handle_gone(handle)) {
    if (req->result != 0) {
      if (ctx->busy_polling != req->result) {
        ctx->poll_cb(handle, int(req->result), &ctx->statbuf, &zero_statbuf);
        ctx->busy_polling = int(req->result);
      }
    } else {
      const uv_stat_t* statbuf = &req->statbuf;
      if (ctx->busy_polling != 0 && (ctx->busy_polling < 0 || !statbuf_eq(&ctx->statbuf, statbuf))) {
        ctx->poll_cb(handle, 0, &ctx->statbuf, statbuf);
      }
      ctx->statbuf = *statbuf;
      ctx->busy_polling = 1;
    }
  }
  uv_fs_req_cleanup(req);
  if (handle_gone(handle)) {
    uv_close(reinterpret_cast<uv_handle_t*>(&ctx->timer), timer_close_cb);
    return;
  }
  // Re-arm for what is left of the interval.
  uint64_t interval = ctx->interval;
  interval -= (uv_now(ctx->loop) - ctx->start_time) % interval;
  if (uv_timer_start(&ctx->timer, timer_cb, interval, 0) != 0) abort();
}

}  // namespace

void fs_poll_close(uv_fs_poll_t* h) { uv_fs_poll_stop(h); }

}  // namespace veloq::uvc

using namespace veloq::uvc;

extern "C" {

int uv_fs_poll_init(uv_loop_t* loop, uv_fs_poll_t* handle) {
  handle_init(loop, reinterpret_cast<uv_handle_t*>(handle), UV_FS_POLL);
  handle->poll_ctx = nullptr;
  return 0;
}

int uv_fs_poll_start(uv_fs_poll_t* handle, uv_fs_poll_cb cb, const char* path, unsigned int interval) {
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(handle))) return 0;
  if (path == nullptr) return UV_EINVAL;  // libuv would crash in strlen
  uv_loop_t* loop = handle->loop;
  const size_t len = std::strlen(path);
  auto* ctx = static_cast<PollCtx*>(uv_calloc(1, sizeof(PollCtx) + len));
  if (ctx == nullptr) return UV_ENOMEM;
  ctx->loop = loop;
  ctx->poll_cb = cb;
  ctx->interval = interval ? interval : 1;
  ctx->start_time = uv_now(loop);
  ctx->parent = handle;
  std::memcpy(ctx->path, path, len + 1);
  uv_timer_init(loop, &ctx->timer);
  // libuv's UV_HANDLE_INTERNAL: out of the handle queue, unreferenced.
  handle_queue_node(reinterpret_cast<uv_handle_t*>(&ctx->timer))->remove();
  handle_queue_node(reinterpret_cast<uv_handle_t*>(&ctx->timer))->init();
  uv_unref(reinterpret_cast<uv_handle_t*>(&ctx->timer));
  const int err = uv_fs_stat(loop, &ctx->fs_req, ctx->path, poll_cb);
  if (err < 0) {
    uv_free(ctx);
    return err;
  }
  ctx->previous = static_cast<PollCtx*>(handle->poll_ctx);
  handle->poll_ctx = ctx;
  handle_hold(reinterpret_cast<uv_handle_t*>(handle));  // released by timer_close_cb
  handle_start(reinterpret_cast<uv_handle_t*>(handle));
  return 0;
}

int uv_fs_poll_stop(uv_fs_poll_t* handle) {
  // The internal flag, not uv_is_active(): uv_close sets kClosing before it
  // calls here, and uv_is_active() is false on a closing handle, so the
  // armed timer would survive until its next expiry (and one more stat).
  if (!is_active(reinterpret_cast<uv_handle_t*>(handle))) return 0;
  auto* ctx = static_cast<PollCtx*>(handle->poll_ctx);
  // Timer armed: close it now. Not armed: a stat is in flight, and poll_cb
  // closes the timer when it returns.
  if (uv_is_active(reinterpret_cast<uv_handle_t*>(&ctx->timer))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&ctx->timer), timer_close_cb);
  }
  handle_stop(reinterpret_cast<uv_handle_t*>(handle));
  return 0;
}

int uv_fs_poll_getpath(uv_fs_poll_t* handle, char* buffer, size_t* size) {
  if (!uv_is_active(reinterpret_cast<uv_handle_t*>(handle))) {
    *size = 0;
    return UV_EINVAL;
  }
  const auto* ctx = static_cast<const PollCtx*>(handle->poll_ctx);
  const size_t required = std::strlen(ctx->path);
  if (required >= *size) {
    *size = required + 1;
    return UV_ENOBUFS;
  }
  std::memcpy(buffer, ctx->path, required);
  *size = required;
  buffer[required] = '\0';
  return 0;
}

}  // extern "C"
