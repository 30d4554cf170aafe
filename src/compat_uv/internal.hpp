// compat_uv internals: where Veloq keeps libuv's private state.
//
// uv_loop_t's private storage holds one pointer to a LoopState (side
// allocation, freed in uv_loop_close). Every handle keeps its flags and its
// closing-list link in the 16-byte handle storage; timers, idle/prepare/check
// and async keep their callback and queue links in their own storage, so
// nothing is allocated per handle. Semantics follow libuv 1.44 (src/unix).
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <cstddef>
#include <tuple>
#include <unordered_map>

#include "compat_uv/timer_heap.hpp"
#include "core/driver/driver.hpp"
#include "core/op/registry.hpp"

namespace veloq::uvc {

// libuv's QUEUE: a circular doubly linked list with a sentinel.
struct Queue {
  Queue* next;
  Queue* prev;
  void init() { next = prev = this; }
  bool empty() const { return next == this; }
  void remove() {
    prev->next = next;
    next->prev = prev;
  }
  void insert_tail(Queue* q) {  // `this` is the sentinel
    q->next = this;
    q->prev = prev;
    prev->next = q;
    prev = q;
  }
  void insert_head(Queue* q) {
    q->next = next;
    q->prev = this;
    next->prev = q;
    next = q;
  }
  // Move every element of `this` into `into` (which must be empty-initialised).
  void move_to(Queue* into) {
    if (empty()) {
      into->init();
      return;
    }
    into->next = next;
    into->prev = prev;
    next->prev = into;
    prev->next = into;
    init();
  }
};

enum HandleFlags : uint32_t {
  kClosing = 1u << 0,
  kClosed = 1u << 1,
  kActive = 1u << 2,
  kRef = 1u << 3,
  kDraining = 1u << 4,  // closed, waiting for its ops' last completions
};

struct HandleState {  // fits UV_HANDLE_PRIVATE_FIELDS (16 bytes)
  uint32_t flags;
  uint32_t ops;  // driver ops owned by this handle whose last completion is pending
  uv_handle_t* next_closing;
};
static_assert(sizeof(HandleState) <= sizeof(((uv_handle_t*)nullptr)->veloq_handle));

struct TimerState {  // fits UV_TIMER_PRIVATE_FIELDS (56 bytes)
  uv_timer_cb cb;
  uint64_t timeout;  // absolute due time in loop ms
  uint64_t repeat;
  uint64_t start_id;
  HeapNode node;     // in LoopState::timers while active
};
static_assert(sizeof(TimerState) <= sizeof(((uv_timer_t*)nullptr)->veloq_timer));

struct WatcherState {  // idle / prepare / check (24 bytes)
  void* cb;
  Queue queue;
};
static_assert(sizeof(WatcherState) <= sizeof(((uv_idle_t*)nullptr)->veloq_idle));
static_assert(sizeof(WatcherState) <= sizeof(((uv_prepare_t*)nullptr)->veloq_prepare));
static_assert(sizeof(WatcherState) <= sizeof(((uv_check_t*)nullptr)->veloq_check));

struct AsyncState {  // 32 bytes
  uv_async_cb cb;
  Queue queue;
  std::atomic<int> pending;
};
static_assert(sizeof(AsyncState) <= sizeof(((uv_async_t*)nullptr)->veloq_async));

// A deferred callback run in the loop's pending phase (libuv's pending_queue:
// I/O results reported one iteration later, e.g. a write_cb). Embedded in
// the state of whatever handle or request defers work.
struct PendingWork {
  Queue queue;
  void (*run)(uv_loop_t* loop, PendingWork* w);
};

inline TimerState* timer_of_node(const HeapNode* n) {
  return reinterpret_cast<TimerState*>(reinterpret_cast<char*>(const_cast<HeapNode*>(n)) -
                                       offsetof(TimerState, node));
}
// libuv's timer order: due time, then start order (equal deadlines fire in
// the order they were started).
struct TimerLess {
  bool operator()(const HeapNode* a, const HeapNode* b) const {
    const TimerState* x = timer_of_node(a);
    const TimerState* y = timer_of_node(b);
    return std::tie(x->timeout, x->start_id) < std::tie(y->timeout, y->start_id);
  }
};

// Threadpool results for one loop (threadpool.cpp): pool threads append
// finished WorkItems under `mu` and wake the driver; the poll phase runs
// their done callbacks (libuv's loop->wq, wq_mutex and wq_async).
struct WorkDoneQueue {
  std::mutex mu;
  Queue items;
  std::atomic<bool> pending{false};
  WorkDoneQueue() { items.init(); }
};

struct SignalLoop;   // signal.cpp
struct ProcessLoop;  // process.cpp
struct InotifyLoop;  // fs_event.cpp

// The link between a loop's driver and the BlockingPool threads running its
// offloaded ops: a pool thread posts the result, then leaves `pending`.
struct PoolLink {
  Driver* driver = nullptr;
  std::atomic<uint32_t> pending{0};
  PoolLink() = default;
  PoolLink(const PoolLink&) = delete;
  ~PoolLink();  // waits for pending == 0
};

struct LoopState {
  uint64_t time_ms = 0;
  uint64_t timer_counter = 0;
  TimerHeap<TimerLess> timers;  // active timers, min = next due
  Queue idle_handles;
  Queue prepare_handles;
  Queue check_handles;
  Queue async_handles;
  Queue pending_queue;  // PendingWork, run in the pending phase
  uv_handle_t* closing_handles = nullptr;
  // libuv's watcher_queue stand-in: true until the poll phase has run once
  // (libuv registers its signal fd then). uv_backend_timeout says 0 while it
  // is set, so an embedder calls uv_run before sleeping on uv_backend_fd.
  bool backend_dirty = true;
  // uv_loop_configure
  bool block_sigprof = false;   // UV_LOOP_BLOCK_SIGNAL, SIGPROF
  bool metrics_idle = false;    // UV_METRICS_IDLE_TIME
  uint64_t idle_time_ns = 0;    // time blocked in the poll phase
  // Set by uv_async_send (any thread) before waking the driver; the loop
  // polls with timeout 0 while it is set so no send is ever missed.
  std::atomic<int> async_pending{0};
  // Closed handles whose ops are still in the kernel: their close_cb waits
  // for the last completion (the kernel may still write their buffers).
  uint32_t draining = 0;
  // fd -> the handle watching it (libuv's loop->watchers): one per fd.
  std::unordered_map<int, uv_handle_t*> fd_watchers;
  // VELOQ_UV_LOOP_THREAD=bound: the thread the ring is bound to (the last
  // one that ran the loop), as loop.cpp's thread serial; 0 before any run.
  uint64_t runner = 0;
  WorkDoneQueue work_done;
  // Signals, child processes, inotify: created on first use, torn down by
  // uv_loop_close (loop_close_issue6).
  SignalLoop* signals = nullptr;
  ProcessLoop* processes = nullptr;
  InotifyLoop* inotify = nullptr;
  // Async fs requests by where they ran (veloq_uv_fs_stats, fs.cpp).
  uint64_t fs_ring_reqs = 0;
  uint64_t fs_pool_reqs = 0;
  // Provided-ring buffers handed to the application by zero-copy reads
  // (veloq_uv_read_start_fixed) and not yet released: the ring must stay.
  uint32_t fixed_bufs_out = 0;
  // libuv's loop->emfile_fd: a spare fd opened by the first stream init, so
  // an accept that hits EMFILE can still take the pending connections and
  // close them (stream.cpp, emfile_trick) instead of failing forever.
  int emfile_fd = -1;
  // Declared before the driver so the driver goes first at destruction.
  OpRegistry ops;
  std::unique_ptr<Driver> driver;
  // Ops the driver offloads run on the shared BlockingPool (fs.cpp,
  // install_pool_offload). Declared after the driver so that it is destroyed
  // first: its destructor waits until no pool thread can still touch it.
  PoolLink pool;
};

inline LoopState*& loop_state_ptr(uv_loop_t* loop) {
  static_assert(sizeof(LoopState*) <= sizeof(loop->veloq_loop));
  return *reinterpret_cast<LoopState**>(loop->veloq_loop.storage);
}
inline LoopState* loop_state(const uv_loop_t* loop) {
  return *reinterpret_cast<LoopState* const*>(loop->veloq_loop.storage);
}
inline HandleState* hstate(const uv_handle_t* h) {
  return reinterpret_cast<HandleState*>(const_cast<unsigned char*>(h->veloq_handle.storage));
}
inline TimerState* tstate(const uv_timer_t* t) {
  return reinterpret_cast<TimerState*>(const_cast<unsigned char*>(t->veloq_timer.storage));
}
inline uv_timer_t* timer_handle(TimerState* ts) {
  return reinterpret_cast<uv_timer_t*>(reinterpret_cast<char*>(ts) - offsetof(uv_timer_t, veloq_timer.storage));
}
inline AsyncState* astate(uv_async_t* a) {
  return reinterpret_cast<AsyncState*>(a->veloq_async.storage);
}
inline Queue* loop_handle_queue(uv_loop_t* loop) {
  return reinterpret_cast<Queue*>(loop->handle_queue);
}
inline Queue* handle_queue_node(uv_handle_t* h) {
  return reinterpret_cast<Queue*>(h->handle_queue);
}
inline uv_handle_t* handle_of_queue_node(Queue* q) {
  return reinterpret_cast<uv_handle_t*>(reinterpret_cast<char*>(q) - offsetof(uv_handle_t, handle_queue));
}

// uv__handle_init / start / stop, as libuv's macros do.
void handle_init(uv_loop_t* loop, uv_handle_t* h, uv_handle_type type);
void handle_start(uv_handle_t* h);
void handle_stop(uv_handle_t* h);
inline bool is_active(const uv_handle_t* h) { return hstate(h)->flags & kActive; }
inline bool is_closing(const uv_handle_t* h) { return hstate(h)->flags & (kClosing | kClosed); }

void update_time(uv_loop_t* loop);
// uv_loop_init with a ring bound to the calling thread (SINGLE_ISSUER +
// DEFER_TASKRUN) whatever VELOQ_UV_LOOP_THREAD says: for a loop that is run
// and closed on this thread only (percore.cpp).
int loop_init_bound(uv_loop_t* loop);
// Queue `w` for the next pending phase (libuv's uv__io_feed).
void pending_add(uv_loop_t* loop, PendingWork* w);
void run_timers(uv_loop_t* loop);
int next_timeout(const uv_loop_t* loop);
void run_idle(uv_loop_t* loop);
void run_prepare(uv_loop_t* loop);
void run_check(uv_loop_t* loop);
void run_async(uv_loop_t* loop);
// Driver ops owned by a handle (io.cpp). handle_op() acquires an op whose
// completions go to `fn`; `fn` must end with handle_op_done(op, flags),
// which on the last completion releases the op and, if the handle was
// closed meanwhile, lets its close_cb run.
Op* handle_op(uv_handle_t* h, OpCode code, OpCompleteFn fn);
void handle_op_done(Op* op, uint32_t flags);
// A loop-owned op (no handle: the signal pipe's or inotify's PollAdd), whose
// handler clears `*slot` on its last completion: cancel it and poll until
// then. A poll that fails (-EEXIST: a bound loop closed off its issuer
// thread, which will never reap it) abandons the slot as ~Worker does: a
// PollAdd owns no buffer, and the ring's exit cancels it.
void loop_op_cancel_wait(LoopState* ls, Op** slot);
inline uv_handle_t* op_handle(const Op* op) { return static_cast<uv_handle_t*>(op->owner); }
// Something other than a driver op that the handle's close_cb must wait
// for (fs_poll: its timer and stat request). handle_unhold() is the release,
// with handle_op_done()'s rule: a closed handle's close_cb runs after the last.
inline void handle_hold(uv_handle_t* h) { hstate(h)->ops++; }
void handle_unhold(uv_handle_t* h);
// uv_loop_fork, after the driver swap: the handles' ops go to the new driver.
void handle_ops_fork(uv_loop_t* loop);

// Route the driver's offloaded ops (no opcode, Custom, epoll file I/O) to
// the shared BlockingPool; called whenever ls->driver is (re)created.
void install_pool_offload(LoopState* ls);
// uv_cancel of a uv_fs_t (fs.cpp).
int fs_cancel(uv_fs_t* req);
// uv_close's part for uv_fs_poll_t (fs_poll.cpp).
void fs_poll_close(uv_fs_poll_t* h);

// Type-specific part of uv_close.
void timer_close(uv_timer_t* h);
void idle_close(uv_idle_t* h);
void prepare_close(uv_prepare_t* h);
void check_close(uv_check_t* h);
void async_close(uv_async_t* h);
void poll_close(uv_poll_t* h);
int poll_fileno(const uv_poll_t* h);
// Streams (stream.cpp): uv_close's part, the part that runs in the closing
// phase right before close_cb (libuv's uv__stream_destroy), uv_fileno's.
void stream_close(uv_stream_t* s);
void stream_destroy(uv_stream_t* s);
int stream_fileno(const uv_stream_t* s);
// libuv's uv__nonblock (socket.cpp): FIONBIO on or off, EINTR retried; 0 or -errno.
int set_nonblock(int fd, bool on = true);
// uv_pipe / uv_socketpair (socket.cpp): the kernel sets O_NONBLOCK on both
// ends of a new pair or on neither; make each end of a blocking pair
// non-blocking as asked, closing both ends on failure. 0 or -errno.
int pair_set_nonblock(int fds[2], bool nonblock0, bool nonblock1);
void pipe_close(uv_pipe_t* p);  // pipe.cpp: unlinks the bound path, then stream_close
// UDP (udp.cpp): uv_close's part, the closing-phase part before close_cb, uv_fileno's.
void udp_close(uv_udp_t* h);
void udp_destroy(uv_udp_t* h);
int udp_fileno(const uv_udp_t* h);

// uv_library_shutdown's part of the process title (proctitle.cpp).
void process_title_cleanup();
// Signals (signal.cpp), processes (process.cpp), fs events (fs_event.cpp).
void signal_close(uv_signal_t* h);
// True while messages written for `h` are still in its loop's pipe: its
// close_cb waits for them (libuv's caught_signals > dispatched_signals).
bool signal_undelivered(const uv_signal_t* h);
// A uv_signal_t the loop owns (not in the handle queue, never ref'd).
int signal_init_internal(uv_loop_t* loop, uv_signal_t* h);
int signal_start_internal(uv_signal_t* h, uv_signal_cb cb, int signum);
void signal_stop_internal(uv_signal_t* h);
void process_close(uv_process_t* h);
void fs_event_close(uv_fs_event_t* h);
// uv_loop_close, once the loop is known empty: processes, then signals, then inotify.
void process_loop_close(uv_loop_t* loop);
void signal_loop_close(uv_loop_t* loop);
void fs_event_loop_close(uv_loop_t* loop);
// uv_loop_fork, after the driver swap: fresh signal pipe / inotify fd.
void signal_loop_fork(uv_loop_t* loop);
void fs_event_loop_fork(uv_loop_t* loop);

}  // namespace veloq::uvc
