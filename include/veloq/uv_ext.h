/* Veloq -- veloq/uv_ext.h
 *
 * Veloq-specific extensions to the libuv API.
 *
 * Everything declared here is prefixed `veloq_uv_` (functions, types) or
 * `VELOQ_UV_` (macros) so it can never collide with a present or future
 * libuv name; include/uv.h itself stays exactly libuv 1.44.  Planned (see
 * DESIGN.md section 4): one uv loop per core, sharding a listening TCP handle
 * across cores, zero-copy reads into FixedBufs. Declared so far: fs statistics.
 */
#ifndef VELOQ_UV_EXT_H
#define VELOQ_UV_EXT_H

#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* (extensions arrive with the compat_uv issues) */

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

#ifdef __cplusplus
}
#endif

#endif /* VELOQ_UV_EXT_H */
