/* veloq.fs_ring_probe (label veloq; Veloq only: veloq_uv_fs_stats is an
 * extension). Async open/write/read/fsync/fstat/stat/rename/mkdir/unlink/
 * rmdir/close run on the loop's io_uring and never on the blocking pool
 * when the backend is io_uring; on epoll they all run on the pool. A
 * Custom-only request (access) is counted as a pool request on both. With
 * opcodes masked (VELOQ_URING_DISABLE, as on an older kernel) those requests
 * run on the pool and still succeed. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>
#include <veloq/uv_ext.h>

#define CHECK_EQ(a, b)                                                                     \
  do {                                                                                     \
    long long a_ = (long long)(a), b_ = (long long)(b);                                    \
    if (a_ != b_) {                                                                        \
      fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #a, a_, b_); \
      exit(1);                                                                             \
    }                                                                                      \
  } while (0)

static uv_loop_t loop;
static int calls;
static void cb(uv_fs_t* req) { (void)req, calls++; }

/* one async request, run to completion; its result */
static ssize_t run(int r, uv_fs_t* req) {
  CHECK_EQ(r, 0);
  calls = 0;
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(calls, 1);
  ssize_t res = req->result;
  uv_fs_req_cleanup(req);
  return res;
}

int main(void) {
  char dir[] = "/tmp/veloq-fs-ring-XXXXXX";
  char path[96], path2[96], sub[96];
  char buf[16] = {0};
  uv_fs_t req;
  veloq_uv_fs_stats_t st;
  if (mkdtemp(dir) == NULL) return 1;
  snprintf(path, sizeof path, "%s/a", dir);
  snprintf(path2, sizeof path2, "%s/b", dir);
  snprintf(sub, sizeof sub, "%s/sub", dir);
  CHECK_EQ(uv_loop_init(&loop), 0);
  CHECK_EQ(veloq_uv_fs_stats(NULL, &st), UV_EINVAL);
  CHECK_EQ(veloq_uv_fs_stats(&loop, NULL), UV_EINVAL);
  CHECK_EQ(veloq_uv_fs_stats(&loop, &st), 0);
  CHECK_EQ(st.ring + st.pool, 0);

  ssize_t fd = run(uv_fs_open(&loop, &req, path, O_RDWR | O_CREAT, 0644, cb), &req);
  CHECK_EQ(fd >= 0, 1);
  uv_buf_t w[2] = {uv_buf_init("ring", 4), uv_buf_init("-fs", 3)};
  CHECK_EQ(run(uv_fs_write(&loop, &req, (int)fd, w, 2, 0, cb), &req), 7);
  uv_buf_t r = uv_buf_init(buf, sizeof buf);
  CHECK_EQ(run(uv_fs_read(&loop, &req, (int)fd, &r, 1, 0, cb), &req), 7);
  CHECK_EQ(memcmp(buf, "ring-fs", 7), 0);
  CHECK_EQ(run(uv_fs_fsync(&loop, &req, (int)fd, cb), &req), 0);
  CHECK_EQ(run(uv_fs_fdatasync(&loop, &req, (int)fd, cb), &req), 0);
  CHECK_EQ(run(uv_fs_fstat(&loop, &req, (int)fd, cb), &req), 0);
  CHECK_EQ(run(uv_fs_close(&loop, &req, (int)fd, cb), &req), 0);
  CHECK_EQ(run(uv_fs_stat(&loop, &req, path, cb), &req), 0);
  CHECK_EQ(run(uv_fs_rename(&loop, &req, path, path2, cb), &req), 0);
  CHECK_EQ(run(uv_fs_mkdir(&loop, &req, sub, 0755, cb), &req), 0);
  CHECK_EQ(run(uv_fs_unlink(&loop, &req, path2, cb), &req), 0);
  CHECK_EQ(run(uv_fs_rmdir(&loop, &req, sub, cb), &req), 0);
  const unsigned ring_ops = 12;

  CHECK_EQ(veloq_uv_fs_stats(&loop, &st), 0);
  if (st.uring) {
    CHECK_EQ(st.ring, ring_ops);
    CHECK_EQ(st.pool, 0);
  } else {
    CHECK_EQ(st.ring, 0);
    CHECK_EQ(st.pool, ring_ops);
  }
  /* no opcode: the pool on either backend; sync requests are not counted */
  CHECK_EQ(run(uv_fs_access(&loop, &req, dir, F_OK, cb), &req), 0);
  CHECK_EQ(uv_fs_access(NULL, &req, dir, F_OK, NULL), 0);
  uv_fs_req_cleanup(&req);
  CHECK_EQ(veloq_uv_fs_stats(&loop, &st), 0);
  CHECK_EQ(st.pool, st.uring ? 1 : ring_ops + 1);
  printf("fs_ring_probe: backend=%s ring=%llu pool=%llu\n", st.uring ? "uring" : "epoll",
         (unsigned long long)st.ring, (unsigned long long)st.pool);

  CHECK_EQ(uv_loop_close(&loop), 0);

  /* a ring without the opcodes (VELOQ_URING_DISABLE, or an older kernel):
   * the same requests run on the pool, with the same results */
  setenv("VELOQ_URING_DISABLE", "openat,statx,close", 1);
  CHECK_EQ(uv_loop_init(&loop), 0);
  fd = run(uv_fs_open(&loop, &req, dir, O_RDONLY | O_DIRECTORY, 0, cb), &req);
  CHECK_EQ(fd >= 0, 1);
  CHECK_EQ(uv_fs_fstat(&loop, &req, (int)fd, cb), 0);
  calls = 0;
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(calls, 1);
  CHECK_EQ(req.result, 0);
  CHECK_EQ(req.statbuf.st_mode & 0170000, 0040000); /* S_IFDIR */
  uv_fs_req_cleanup(&req);
  CHECK_EQ(run(uv_fs_close(&loop, &req, (int)fd, cb), &req), 0);
  CHECK_EQ(run(uv_fs_mkdir(&loop, &req, sub, 0755, cb), &req), 0);
  CHECK_EQ(run(uv_fs_rmdir(&loop, &req, sub, cb), &req), 0);
  CHECK_EQ(veloq_uv_fs_stats(&loop, &st), 0);
  CHECK_EQ(st.pool, st.uring ? 3 : 5);
  CHECK_EQ(st.ring, st.uring ? 2 : 0);
  CHECK_EQ(uv_loop_close(&loop), 0);
  unsetenv("VELOQ_URING_DISABLE");

  CHECK_EQ(rmdir(dir), 0);
  return 0;
}
