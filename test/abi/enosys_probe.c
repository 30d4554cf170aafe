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
static uv_process_t process;

#define CHECK_EQ(actual, expected)                                                    \
  do {                                                                                \
    long long a_ = (long long)(actual), e_ = (long long)(expected);                   \
    if (a_ != e_) {                                                                   \
      fprintf(stderr, "%s:%d: %s is %lld, expected %s = %lld\n", __FILE__, __LINE__, \
              #actual, a_, #expected, e_);                                            \
      failures++;                                                                     \
    }                                                                                 \
  } while (0)

static void connect_cb(uv_connect_t* r, int status) { (void)r, (void)status, callbacks++; }
static void work_cb(uv_work_t* r) { (void)r, callbacks++; }
static void after_work_cb(uv_work_t* r, int status) { (void)r, (void)status, callbacks++; }
static void getaddrinfo_cb(uv_getaddrinfo_t* r, int status, struct addrinfo* res) {
  (void)r, (void)status, (void)res, callbacks++;
}
static void exit_cb(uv_process_t* p, int64_t status, int sig) { (void)p, (void)status, (void)sig, callbacks++; }
static void random_cb(uv_random_t* r, int status, void* buf, size_t len) {
  (void)r, (void)status, (void)buf, (void)len, callbacks++;
}
static void close_cb(uv_handle_t* h) { (void)h, close_cbs++; }

/* issue 5 */
static void streams_and_addresses(uv_loop_t* loop) {
  uv_pipe_t pipe;
  uv_udp_t udp;
  uv_tty_t tty;
  uv_connect_t connect;
  int sv[2];

  CHECK_EQ(uv_pipe_init(loop, &pipe, 0), UV_ENOSYS);
  CHECK_EQ(uv_pipe_pending_type(&pipe), UV_UNKNOWN_HANDLE);
  CHECK_EQ(uv_udp_init(loop, &udp), UV_ENOSYS);
  CHECK_EQ(uv_tty_init(loop, &tty, 1, 0), UV_ENOSYS);
  CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  CHECK_EQ(uv_socketpair(SOCK_STREAM, 0, sv, 0, 0), UV_ENOSYS);
  close(sv[0]);
  close(sv[1]);
  /* a real handle closed among the stubs: its close_cb must still run */
  CHECK_EQ(uv_timer_init(loop, &timer), 0);
  uv_close((uv_handle_t*)&timer, close_cb);
  /* void and cannot report: prints one line on stderr, runs no callback */
  uv_pipe_connect(&connect, &pipe, "/tmp/veloq-enosys-probe.sock", connect_cb);
}

/* issue 6 */
static void fs_and_system(uv_loop_t* loop) {
  uv_work_t work;
  uv_getaddrinfo_t gai;
  uv_process_options_t options;
  char* args[] = {"/bin/true", NULL};
  uv_signal_t sig;
  uv_fs_event_t fs_event;
  uv_random_t rnd;
  unsigned char buf[16];
  uv_cpu_info_t* cpus = (uv_cpu_info_t*)&buf; /* must be reset to NULL */
  int ncpus = -1;
  uv_lib_t lib;

  CHECK_EQ(uv_queue_work(loop, &work, work_cb, after_work_cb), UV_ENOSYS);
  CHECK_EQ(uv_getaddrinfo(loop, &gai, getaddrinfo_cb, "localhost", NULL, NULL), UV_ENOSYS);
  uv_freeaddrinfo(NULL);

  /* spawn initialises the handle before failing, as libuv; it must be closed */
  memset(&options, 0, sizeof options);
  options.file = args[0];
  options.args = args;
  options.exit_cb = exit_cb;
  CHECK_EQ(uv_spawn(loop, &process, &options), UV_ENOSYS);
  CHECK_EQ(uv_is_active((uv_handle_t*)&process), 0);
  uv_close((uv_handle_t*)&process, close_cb);

  CHECK_EQ(uv_signal_init(loop, &sig), UV_ENOSYS);
  CHECK_EQ(uv_fs_event_init(loop, &fs_event), UV_ENOSYS);
  CHECK_EQ(uv_random(loop, &rnd, buf, sizeof buf, 0, random_cb), UV_ENOSYS);
  CHECK_EQ(uv_random(NULL, NULL, buf, sizeof buf, 0, NULL), UV_ENOSYS);

  CHECK_EQ(uv_cpu_info(&cpus, &ncpus), UV_ENOSYS);
  CHECK_EQ(cpus == NULL && ncpus == 0, 1);
  uv_free_cpu_info(cpus, ncpus);
  CHECK_EQ(uv_get_total_memory(), 0);

  /* dl: libuv's -1 + message convention */
  CHECK_EQ(uv_dlopen("libm.so.6", &lib), -1);
  CHECK_EQ(strstr(uv_dlerror(&lib), "not implemented") != NULL, 1);
  uv_dlclose(&lib);
  CHECK_EQ(lib.errmsg == NULL && lib.handle == NULL, 1);
}

int main(void) {
  uv_loop_t loop;
  CHECK_EQ(uv_loop_init(&loop), 0);
  streams_and_addresses(&loop);
  fs_and_system(&loop);
  /* nothing is pending: the run only closes the timer and the process */
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(callbacks, 0);
  CHECK_EQ(close_cbs, 2);
  CHECK_EQ(uv_loop_close(&loop), 0);
  if (failures != 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("enosys probe: all checks passed\n");
  return 0;
}
