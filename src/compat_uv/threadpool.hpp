// The libuv threadpool (libuv 1.44 src/threadpool.c), internal API.
//
// One process-wide pool of UV_THREADPOOL_SIZE threads (default 4, 1..1024,
// read once), started at the first submit. A request embeds a WorkItem (the
// shape of libuv's struct uv__work, so it fits every request's private
// storage). work() runs on a pool thread; done(status) runs on the loop
// thread in the poll phase, exactly once: status 0, or UV_ECANCELED when
// work_cancel() took the item off the queue before a thread did.
//
// Callers (uv_queue_work, uv_getaddrinfo, uv_getnameinfo, uv_random, uv_fs_*)
// count the request in loop->active_reqs before submitting and uncount it
// in done(): that is what keeps the loop alive and uv_loop_close at UV_EBUSY
// while a pool thread may still deliver to the loop.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <mutex>

#include "compat_uv/internal.hpp"

namespace veloq::uvc {

// libuv's work kinds: slow I/O (DNS) may occupy at most half the threads,
// so long lookups cannot starve fs and CPU work.
enum class WorkKind : uint8_t { Cpu, FastIo, SlowIo };

struct WorkItem {
  void (*work)(WorkItem* w);  // nullptr once it ran; a marker once cancelled
  void (*done)(WorkItem* w, int status);
  uv_loop_t* loop;
  Queue wq;  // in the pool's queue, then in the loop's done queue
};
static_assert(sizeof(WorkItem) == sizeof(struct uv__work));

// The WorkItem a request keeps at the start of `storage` (its private
// storage, or uv_random_t's work_req).
inline WorkItem* work_item(void* storage) { return static_cast<WorkItem*>(storage); }

// Queue `w` for a pool thread. Loop thread only. Never fails: if no thread
// can be started the process aborts, as libuv does.
void work_submit(uv_loop_t* loop, WorkItem* w, WorkKind kind, void (*work)(WorkItem*),
                 void (*done)(WorkItem*, int));
// Take `w` off the pool queue if no thread has picked it up: its done() then
// runs with UV_ECANCELED in the next poll phase, and this returns 0.
// Otherwise (running, finished, never submitted) UV_EBUSY. Loop thread only.
int work_cancel(WorkItem* w);

// For a request run inline (no callback): a later uv_cancel finds nothing
// queued and says UV_EBUSY.
inline void work_init_inline(WorkItem* w, uv_loop_t* loop) {
  w->work = nullptr;
  w->done = nullptr;
  w->loop = loop;
  w->wq.init();
}

// The poll phase (loop.cpp): run done() of every item delivered to `loop`.
void run_work_done(uv_loop_t* loop);
// uv_library_shutdown: let the threads finish the queue, then join them.
void threadpool_shutdown();

}  // namespace veloq::uvc
