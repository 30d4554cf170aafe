/* Veloq -- veloq/uv_ext.h
 *
 * Veloq-specific extensions to the libuv API.
 *
 * Everything declared here is prefixed `veloq_uv_` (functions, types) or
 * `VELOQ_UV_` (macros) so it can never collide with a present or future
 * libuv name; include/uv.h itself stays exactly libuv 1.44.  Declared: fs
 * statistics, one uv loop per core (veloq_uv_percore_*), cross-core posts
 * (veloq_uv_post), SO_REUSEPORT-sharded TCP listeners, zero-copy reads
 * (veloq_uv_read_start_fixed).
 */
#ifndef VELOQ_UV_EXT_H
#define VELOQ_UV_EXT_H

#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- one uv loop per core ------------------------------------------------
 *
 * veloq_uv_percore_start() starts `ncores` threads (0: one per CPU the
 * process may run on, sched_getaffinity), thread i pinned to the i-th allowed
 * CPU (modulo their number; a refused pin is not fatal, see _cpu()). Each
 * thread owns one uv_loop_t, initialised, run, closed on that thread and
 * never anywhere else, so its io_uring is bound to it (SINGLE_ISSUER +
 * DEFER_TASKRUN, whatever VELOQ_UV_LOOP_THREAD says). Every loop handle may
 * be touched only from its core's thread: reach another core with
 * veloq_uv_post().
 *
 * `setup(loop, core, arg)` runs on each core's thread before its loop runs
 * (create handles there); start returns once every setup has returned.
 * `teardown(loop, core, arg)` (may be NULL) runs on each core's thread when
 * the stop arrives, after the posts accepted before the stop have run: close
 * your handles there with your close callbacks. Whatever is still open after
 * it is closed by a walk (uv_close with a NULL close_cb), the loop runs until
 * every close is done, then uv_loop_close() runs on that thread.
 *
 * *out is set before the first setup runs (a setup may use it, e.g. to
 * post); it is NULL again after a failure. Returns 0, UV_EINVAL (NULL out),
 * UV_ENOMEM, or the error of a loop that failed to start (the others are
 * then stopped and joined). */
typedef struct veloq_uv_percore_s veloq_uv_percore_t;
typedef void (*veloq_uv_percore_cb)(uv_loop_t* loop, unsigned core, void* arg);
typedef void (*veloq_uv_post_cb)(uv_loop_t* loop, void* arg);

UV_EXTERN int veloq_uv_percore_start(veloq_uv_percore_t** out, unsigned ncores, veloq_uv_percore_cb setup,
                                     veloq_uv_percore_cb teardown, void* arg);
/* The number of cores (loops); 0 for NULL. */
UV_EXTERN unsigned veloq_uv_percore_count(const veloq_uv_percore_t* pc);
/* Core `core`'s loop, or NULL (NULL pc, core out of range). */
UV_EXTERN uv_loop_t* veloq_uv_percore_loop(veloq_uv_percore_t* pc, unsigned core);
/* The CPU core `core`'s thread is pinned to, or -1 (not pinned: the kernel
 * refused, or out of range). */
UV_EXTERN int veloq_uv_percore_cpu(const veloq_uv_percore_t* pc, unsigned core);
/* The core whose loop thread calls this, or -1 from any other thread. */
UV_EXTERN int veloq_uv_percore_self(const veloq_uv_percore_t* pc);

/* Run cb(loop, arg) on core `core`'s loop thread, from any thread (that core's
 * own included: it runs on a later loop iteration, never inline). Posts from
 * one thread to one core run in the order they were posted. The queue is a
 * mutex-guarded MPSC list with no bound: a post is never dropped and never
 * blocks the poster (back-pressure is the application's business). The core
 * is woken like uv_async_send (coalesced). Returns 0 (cb will run exactly
 * once, before that core's teardown), UV_EINVAL (NULL pc / cb, core out of
 * range), UV_ECANCELED (stop already requested: cb will not run). */
UV_EXTERN int veloq_uv_post(veloq_uv_percore_t* pc, unsigned core, veloq_uv_post_cb cb, void* arg);

/* Ask every loop to stop (from any thread, a core's included; returns at
 * once; a second call is a no-op). Returns 0, or UV_EINVAL for NULL. */
UV_EXTERN int veloq_uv_percore_stop(veloq_uv_percore_t* pc);
/* Stop (if not yet asked), wait for every core thread to finish, free `pc`.
 * Not from a core's own thread (UV_EBUSY, nothing freed). Returns 0 when
 * every uv_loop_close() returned 0, else the first non-zero result. */
UV_EXTERN int veloq_uv_percore_join(veloq_uv_percore_t* pc);

/* ---- sharded listening TCP -------------------------------------------------
 *
 * veloq_uv_tcp_bind_reuseport(): bind an initialised, fd-less uv_tcp_t to
 * `addr` with SO_REUSEADDR + SO_REUSEPORT set (libuv 1.44 has no flag for
 * it), so several handles -- one per core -- may listen on the same port and
 * the kernel spreads incoming connections over them (by 4-tuple hash).
 * Returns 0, UV_EINVAL (NULL, unknown family), UV_EBUSY (the handle already
 * has a socket), or the socket/bind error.
 *
 * veloq_uv_tcp_listen_sharded(): the same for every core at once. Call it
 * from a thread that is not one of pc's cores (UV_EBUSY otherwise: it waits
 * for each core). handles[i] (an array of veloq_uv_percore_count(pc)) is
 * initialised on core i's loop, bound with SO_REUSEPORT to `addr` (port 0:
 * the port the first one got) and put listening with `cb`, all on core i's
 * thread; cb then runs on that core. Returns 0, or the first error (the
 * handles initialised so far stay in their loops: close them, or let stop's
 * walk do it; the array must outlive veloq_uv_percore_join in any case). */
UV_EXTERN int veloq_uv_tcp_bind_reuseport(uv_tcp_t* handle, const struct sockaddr* addr);
UV_EXTERN int veloq_uv_tcp_listen_sharded(veloq_uv_percore_t* pc, const struct sockaddr* addr, int backlog,
                                          uv_tcp_t* handles, uv_connection_cb cb);

/* fs: where a loop's async uv_fs_* requests ran, counted when their callback
 * is due. `ring`: by the loop's io_uring (open, close, read, write, the stat
 * family, fsync, fdatasync, ftruncate, unlink, rmdir, rename, mkdir, link,
 * symlink); `pool`: on the blocking pool (every other request, all of them
 * on the epoll backend, and any the kernel refused on the ring). */
typedef struct veloq_uv_fs_stats_s {
  uint64_t ring;
  uint64_t pool;
  int uring; /* 1: the loop's backend is io_uring; 0: epoll */
} veloq_uv_fs_stats_t;

/* 0, or UV_EINVAL for a NULL or closed loop / NULL stats. */
UV_EXTERN int veloq_uv_fs_stats(uv_loop_t* loop, veloq_uv_fs_stats_t* stats);

/* ---- zero-copy reads -------------------------------------------------------
 *
 * veloq_uv_read_start_fixed(): like uv_read_start, without alloc_cb: each
 * read_cb gets the buffer the kernel wrote into, and owns it until it hands
 * it back with veloq_uv_fixed_buf_release(). On io_uring with buffer rings
 * that is one of the loop's provided buffers (no copy at all; the loop has
 * 32 of 64 KiB: while the application holds them all, reads go on into
 * op-owned buffers); otherwise (epoll, pipes, ipc, old kernels) the 64 KiB
 * buffer the read op owned, handed over the same way. Data received before
 * the switch and kept aside is handed over as a copy.
 *
 * read_cb(stream, nread, buf): nread > 0 with buf (copy *buf: the pointer is
 * valid during the callback only, the bytes until release); nread < 0
 * (UV_EOF, an error) with buf NULL, reading stopped as uv_read_start's.
 * uv_read_stop() stops it; uv_read_start() switches back to alloc_cb reads.
 *
 * Release each buffer exactly once, on the stream's loop thread, before that
 * loop closes: uv_loop_close() answers UV_EBUSY while ring buffers are out.
 * Returns 0, or uv_read_start's errors (UV_EINVAL, UV_EALREADY, UV_ENOTCONN). */
typedef struct veloq_uv_fixed_buf_s {
  char* base;
  size_t len;
  /* private */
  void* veloq_owner;
  uint32_t veloq_id;
  uint32_t veloq_kind;
} veloq_uv_fixed_buf_t;
typedef void (*veloq_uv_fixed_read_cb)(uv_stream_t* stream, ssize_t nread, const veloq_uv_fixed_buf_t* buf);

UV_EXTERN int veloq_uv_read_start_fixed(uv_stream_t* stream, veloq_uv_fixed_read_cb read_cb);
/* Hand a buffer back (NULL loop or buf: ignored). */
UV_EXTERN void veloq_uv_fixed_buf_release(uv_loop_t* loop, const veloq_uv_fixed_buf_t* buf);

#ifdef __cplusplus
}
#endif

#endif /* VELOQ_UV_EXT_H */
