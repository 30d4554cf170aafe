/* Veloq only: the libuv functions whose issue has not landed answer
 * UV_ENOSYS (or libuv's failure value for their kind) and never run a
 * callback.  One representative call per group of
 * src/compat_uv/unimplemented.cpp, with arguments that would succeed on real
 * libuv (so this cannot be an oracle-suite file).
 *
 * TEMPORARY: when issue 5 (streams/tcp/pipe/tty/udp/poll/addresses) or
 * issue 6 (fs/threadpool/dns/process/signal/fs_event/fs_poll/system/dl/
 * random) lands, delete its cases here -- its oracle tests replace them --
 * and this file with the last of them. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

static int failures;
static int callbacks;  /* every callback handed to a stub counts here */
static int close_cbs;
/* Real handles outlive the functions that close them: the loop finishes the
 * close in main's uv_run. */
static uv_timer_t timer;

#define CHECK_EQ(actual, expected)                                                    \
  do {                                                                                \
    long long a_ = (long long)(actual), e_ = (long long)(expected);                   \
    if (a_ != e_) {                                                                   \
      fprintf(stderr, "%s:%d: %s is %lld, expected %s = %lld\n", __FILE__, __LINE__, \
              #actual, a_, #expected, e_);                                            \
      failures++;                                                                     \
    }                                                                                 \
  } while (0)

static void fs_cb(uv_fs_t* r) { (void)r, callbacks++; }
static void close_cb(uv_handle_t* h) { (void)h, close_cbs++; }

/* issue 5 */
static void streams_and_addresses(uv_loop_t* loop) {
  /* a real handle closed among the stubs: its close_cb must still run */
  CHECK_EQ(uv_timer_init(loop, &timer), 0);
  uv_close((uv_handle_t*)&timer, close_cb);
}

/* issue 6 */
static void fs_and_system(uv_loop_t* loop) {
  uv_fs_t req;

  /* sync and async fs: the req is left as libuv's INIT leaves it, failed */
  memset(&req, 0xAA, sizeof req);
  CHECK_EQ(uv_fs_open(loop, &req, "/dev/null", UV_FS_O_RDONLY, 0, NULL), UV_ENOSYS);
  CHECK_EQ(uv_fs_get_type(&req), UV_FS_OPEN);
  CHECK_EQ(uv_fs_get_result(&req), UV_ENOSYS);
  CHECK_EQ(uv_fs_get_system_error(&req), -UV_ENOSYS);
  CHECK_EQ(uv_fs_get_ptr(&req) == NULL, 1);
  uv_fs_req_cleanup(&req);
  CHECK_EQ(uv_fs_open(loop, &req, "/dev/null", UV_FS_O_RDONLY, 0, fs_cb), UV_ENOSYS);
  CHECK_EQ(req.cb == fs_cb, 1);
  uv_fs_req_cleanup(&req);
  CHECK_EQ(uv_fs_stat(loop, &req, "/", fs_cb), UV_ENOSYS);
  uv_fs_req_cleanup(&req);
  CHECK_EQ(uv_fs_open(loop, NULL, "/dev/null", UV_FS_O_RDONLY, 0, NULL), UV_EINVAL);


}

int main(void) {
  uv_loop_t loop;
  CHECK_EQ(uv_loop_init(&loop), 0);
  streams_and_addresses(&loop);
  fs_and_system(&loop);
  /* nothing is pending: the run only closes the timer */
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(callbacks, 0);
  CHECK_EQ(close_cbs, 1);
  CHECK_EQ(uv_loop_close(&loop), 0);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("enosys probe: all checks passed\n");
  return 0;
}
