/* abi.crosslink: compiled against VELOQ's uv.h, linked against the REAL
 * libuv (libuv.so.1 from libuv1-dev).
 *
 * If Veloq's headers give a struct the wrong size, the real libuv writes
 * past it (caught by the canary after every object); if a public field has
 * the wrong offset, the values libuv stores are read back wrong here.  So
 * this checks the layout table's claims against a working implementation:
 * every object libuv fills in, and the public fields programs read.
 * Everything stays on 127.0.0.1 and finishes in well under a second. */
#include <uv.h>

#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if !defined(VELOQ_UV_PRIVATE)
# error "crosslink must be compiled against Veloq's uv.h"
#endif

static int failures;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,       \
              #cond);                                                        \
      failures++;                                                            \
    }                                                                        \
  } while (0)

/* Every object libuv writes into is followed by a canary; libuv only knows
 * its own sizes, so a Veloq type that is too small lets it scribble here. */
#define CANARY_BYTES 64
#define CANARY_FILL 0xA5

#define GUARDED(type, name)                                                  \
  struct {                                                                   \
    type obj;                                                                \
    unsigned char canary[CANARY_BYTES];                                      \
  } name

#define ARM(g) memset((g).canary, CANARY_FILL, CANARY_BYTES)

static int canary_intact(const unsigned char* canary) {
  int i;
  for (i = 0; i < CANARY_BYTES; i++)
    if (canary[i] != CANARY_FILL) return 0;
  return 1;
}

#define CHECK_CANARY(g) CHECK(canary_intact((g).canary))

/* ---- callbacks ------------------------------------------------------------ */

static int timer_calls;
static uv_timer_t* timer_seen;
static void on_timer(uv_timer_t* t) {
  timer_calls++;
  timer_seen = t;
}

static int exit_calls;
static int64_t exit_status_seen;
static void on_exit_cb(uv_process_t* p, int64_t status, int term_signal) {
  (void)term_signal;
  exit_calls++;
  exit_status_seen = status;
  uv_close((uv_handle_t*)p, NULL);
}

static int write_calls;
static int write_status = 1;
static void on_write(uv_write_t* req, int status) {
  (void)req;
  write_calls++;
  write_status = status;
}

static int work_calls, after_work_calls;
static void on_work(uv_work_t* req) {
  (void)req;
  work_calls++;
}
static void on_after_work(uv_work_t* req, int status) {
  (void)req;
  CHECK(status == 0);
  after_work_calls++;
}

static int fs_cb_calls;
static void on_fs(uv_fs_t* req) {
  (void)req;
  fs_cb_calls++;
}

static void on_signal(uv_signal_t* h, int signum) {
  (void)h;
  (void)signum;
}

static void on_poll(uv_poll_t* h, int status, int events) {
  (void)h;
  (void)status;
  (void)events;
}

static void on_fs_event(uv_fs_event_t* h, const char* f, int e, int s) {
  (void)h;
  (void)f;
  (void)e;
  (void)s;
}

static int connect_calls;
static int connect_status;
static void on_connect(uv_connect_t* req, int status) {
  (void)req;
  connect_calls++;
  connect_status = status;
}

static void walk_count(uv_handle_t* h, void* arg) {
  (void)h;
  (*(int*)arg)++;
}

/* ---- cases ---------------------------------------------------------------- */

static void check_loop_and_timer(void) {
  GUARDED(uv_loop_t, loop);
  GUARDED(uv_timer_t, timer);
  int handles = 0;

  ARM(loop);
  ARM(timer);
  CHECK(uv_loop_init(&loop.obj) == 0);
  uv_loop_set_data(&loop.obj, &handles);
  CHECK(loop.obj.data == &handles);

  CHECK(uv_timer_init(&loop.obj, &timer.obj) == 0);
  CHECK(timer.obj.loop == &loop.obj);
  CHECK(timer.obj.type == UV_TIMER);
  timer.obj.data = &timer_calls;
  CHECK(uv_handle_get_data((uv_handle_t*)&timer.obj) == &timer_calls);
  CHECK(uv_timer_start(&timer.obj, on_timer, 1, 0) == 0);
  CHECK(loop.obj.active_handles == 1);
  uv_walk(&loop.obj, walk_count, &handles);
  CHECK(handles == 1);
  CHECK(uv_run(&loop.obj, UV_RUN_DEFAULT) == 0);
  CHECK(timer_calls == 1);
  CHECK(timer_seen == &timer.obj);
  CHECK(loop.obj.active_handles == 0);

  uv_stop(&loop.obj);
  CHECK(loop.obj.stop_flag == 1);
  uv_run(&loop.obj, UV_RUN_NOWAIT); /* consumes the stop request */
  CHECK(loop.obj.stop_flag == 0);
  uv_close((uv_handle_t*)&timer.obj, NULL);
  uv_run(&loop.obj, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop.obj) == 0);
  CHECK_CANARY(loop);
  CHECK_CANARY(timer);
}

static void check_fs(uv_loop_t* loop, const char* dir) {
  GUARDED(uv_fs_t, req);
  GUARDED(uv_dir_t*, dirp);
  uv_dirent_t entries[4];
  struct stat st;
  char path[512];
  FILE* f;
  int n;

  snprintf(path, sizeof path, "%s/file", dir);
  f = fopen(path, "w");
  CHECK(f != NULL);
  if (f) {
    fputs("0123456789", f);
    fclose(f);
  }
  CHECK(stat(path, &st) == 0);

  /* Synchronous stat: result, fs_type, path and statbuf are public. */
  ARM(req);
  CHECK(uv_fs_stat(NULL, &req.obj, path, NULL) == 0);
  CHECK(req.obj.type == UV_FS);
  CHECK(req.obj.fs_type == UV_FS_STAT);
  CHECK(req.obj.result == 0);
  CHECK(req.obj.path != NULL && strcmp(req.obj.path, path) == 0);
  CHECK(req.obj.statbuf.st_size == 10);
  CHECK(req.obj.statbuf.st_ino == (uint64_t)st.st_ino);
  CHECK(req.obj.statbuf.st_mtim.tv_sec == (long)st.st_mtime);
  CHECK(req.obj.ptr == &req.obj.statbuf);
  CHECK(uv_fs_get_statbuf(&req.obj) == &req.obj.statbuf);
  CHECK(uv_fs_get_result(&req.obj) == req.obj.result);
  uv_fs_req_cleanup(&req.obj);
  CHECK_CANARY(req);

  /* Asynchronous: loop and cb are public too. */
  ARM(req);
  CHECK(uv_fs_stat(loop, &req.obj, path, on_fs) == 0);
  CHECK(req.obj.loop == loop);
  CHECK(req.obj.cb == on_fs);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK(fs_cb_calls == 1);
  CHECK(req.obj.result == 0 && req.obj.statbuf.st_size == 10);
  uv_fs_req_cleanup(&req.obj);
  CHECK_CANARY(req);

  /* uv_dir_t: the caller sets dirents/nentries; libuv fills them. */
  ARM(req);
  CHECK(uv_fs_opendir(NULL, &req.obj, dir, NULL) == 0);
  dirp.obj = (uv_dir_t*)req.obj.ptr;
  uv_fs_req_cleanup(&req.obj);
  CHECK(dirp.obj != NULL);
  if (dirp.obj) {
    dirp.obj->dirents = entries;
    dirp.obj->nentries = 4;
    n = uv_fs_readdir(NULL, &req.obj, dirp.obj, NULL);
    CHECK(n == 1);
    if (n == 1) {
      CHECK(strcmp(entries[0].name, "file") == 0);
      CHECK(entries[0].type == UV_DIRENT_FILE);
    }
    uv_fs_req_cleanup(&req.obj);
    uv_fs_closedir(NULL, &req.obj, dirp.obj, NULL);
    uv_fs_req_cleanup(&req.obj);
  }
  CHECK_CANARY(req);
  unlink(path);
}

static void check_name_resolution(uv_loop_t* loop) {
  GUARDED(uv_getaddrinfo_t, gai);
  GUARDED(uv_getnameinfo_t, gni);
  struct addrinfo hints;
  struct sockaddr_in sin;

  ARM(gai);
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_flags = AI_NUMERICHOST;
  CHECK(uv_getaddrinfo(loop, &gai.obj, NULL, "127.0.0.1", NULL, &hints) == 0);
  CHECK(gai.obj.loop == loop);
  CHECK(gai.obj.type == UV_GETADDRINFO);
  CHECK(gai.obj.addrinfo != NULL);
  if (gai.obj.addrinfo) {
    CHECK(gai.obj.addrinfo->ai_family == AF_INET);
    uv_freeaddrinfo(gai.obj.addrinfo);
  }
  CHECK_CANARY(gai);

  ARM(gni);
  CHECK(uv_ip4_addr("127.0.0.1", 8080, &sin) == 0);
  CHECK(uv_getnameinfo(loop, &gni.obj, NULL, (const struct sockaddr*)&sin,
                       NI_NUMERICHOST | NI_NUMERICSERV) == 0);
  CHECK(gni.obj.loop == loop);
  CHECK(strcmp(gni.obj.host, "127.0.0.1") == 0);
  CHECK(strcmp(gni.obj.service, "8080") == 0);
  CHECK_CANARY(gni);
}

static void check_streams(uv_loop_t* loop) {
  GUARDED(uv_pipe_t, pipe);
  GUARDED(uv_pipe_t, client);
  GUARDED(uv_write_t, wreq);
  GUARDED(uv_connect_t, creq);
  GUARDED(uv_tcp_t, tcp);
  GUARDED(uv_udp_t, udp);
  GUARDED(uv_tty_t, tty);
  uv_os_sock_t fds[2];
  uv_buf_t buf = uv_buf_init((char*)"hello", 5);
  char got[8] = {0};

  ARM(pipe);
  ARM(wreq);
  CHECK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0) == 0);
  CHECK(uv_pipe_init(loop, &pipe.obj, 1) == 0);
  CHECK(pipe.obj.ipc == 1);
  CHECK(pipe.obj.type == UV_NAMED_PIPE);
  CHECK(uv_pipe_open(&pipe.obj, fds[0]) == 0);
  CHECK(uv_write(&wreq.obj, (uv_stream_t*)&pipe.obj, &buf, 1, on_write) == 0);
  CHECK(wreq.obj.type == UV_WRITE);
  CHECK(wreq.obj.handle == (uv_stream_t*)&pipe.obj);
  CHECK(wreq.obj.send_handle == NULL);
  CHECK(wreq.obj.cb == on_write);
  CHECK(pipe.obj.write_queue_size ==
        uv_stream_get_write_queue_size((uv_stream_t*)&pipe.obj));
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK(write_calls == 1 && write_status == 0);
  CHECK(pipe.obj.write_queue_size == 0);
  CHECK(read(fds[1], got, 5) == 5 && memcmp(got, "hello", 5) == 0);
  uv_close((uv_handle_t*)&pipe.obj, NULL);
  close(fds[1]);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK_CANARY(pipe);
  CHECK_CANARY(wreq);

  /* A failed connect still fills the connect request's public fields. */
  ARM(client);
  ARM(creq);
  CHECK(uv_pipe_init(loop, &client.obj, 0) == 0);
  uv_pipe_connect(&creq.obj, &client.obj, "/nonexistent/veloq-abi.sock",
                  on_connect);
  CHECK(creq.obj.handle == (uv_stream_t*)&client.obj);
  CHECK(creq.obj.cb == on_connect);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK(connect_calls == 1 && connect_status == UV_ENOENT);
  uv_close((uv_handle_t*)&client.obj, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK_CANARY(client);
  CHECK_CANARY(creq);

  ARM(tcp);
  CHECK(uv_tcp_init(loop, &tcp.obj) == 0);
  CHECK(tcp.obj.type == UV_TCP && tcp.obj.write_queue_size == 0);
  uv_close((uv_handle_t*)&tcp.obj, NULL);

  ARM(udp);
  CHECK(uv_udp_init(loop, &udp.obj) == 0);
  CHECK(udp.obj.send_queue_size == 0 && udp.obj.send_queue_count == 0);
  CHECK(uv_udp_get_send_queue_count(&udp.obj) == udp.obj.send_queue_count);
  uv_close((uv_handle_t*)&udp.obj, NULL);

  /* uv_tty_init accepts any fd libuv can reopen; a pipe end fails with a
   * defined error, but must not write past the handle either way. */
  ARM(tty);
  (void)uv_tty_init(loop, &tty.obj, 0, 0);
  if (tty.obj.type == UV_TTY) uv_close((uv_handle_t*)&tty.obj, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK_CANARY(tcp);
  CHECK_CANARY(udp);
  CHECK_CANARY(tty);
}

static void check_other_handles(uv_loop_t* loop, const char* dir) {
  GUARDED(uv_process_t, proc);
  GUARDED(uv_signal_t, sig);
  GUARDED(uv_poll_t, poll);
  GUARDED(uv_fs_event_t, fsev);
  GUARDED(uv_work_t, work);
  GUARDED(uv_async_t, async);
  GUARDED(uv_idle_t, idle);
  GUARDED(uv_prepare_t, prepare);
  GUARDED(uv_check_t, check);
  GUARDED(uv_fs_poll_t, fspoll);
  uv_process_options_t opts;
  char* args[] = {(char*)"/bin/sh", (char*)"-c", (char*)"exit 3", NULL};
  uv_os_sock_t fds[2];

  ARM(proc);
  memset(&opts, 0, sizeof opts);
  opts.file = args[0];
  opts.args = args;
  opts.exit_cb = on_exit_cb;
  CHECK(uv_spawn(loop, &proc.obj, &opts) == 0);
  CHECK(proc.obj.pid > 0);
  CHECK(proc.obj.pid == uv_process_get_pid(&proc.obj));
  CHECK(proc.obj.exit_cb == on_exit_cb);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK(exit_calls == 1 && exit_status_seen == 3);
  CHECK_CANARY(proc);

  ARM(sig);
  CHECK(uv_signal_init(loop, &sig.obj) == 0);
  CHECK(uv_signal_start(&sig.obj, on_signal, SIGUSR2) == 0);
  CHECK(sig.obj.signum == SIGUSR2);
  CHECK(sig.obj.signal_cb == on_signal);
  uv_close((uv_handle_t*)&sig.obj, NULL);

  ARM(poll);
  CHECK(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0) == 0);
  CHECK(uv_poll_init_socket(loop, &poll.obj, fds[0]) == 0);
  CHECK(uv_poll_start(&poll.obj, UV_WRITABLE, on_poll) == 0);
  CHECK(poll.obj.poll_cb == on_poll);
  uv_close((uv_handle_t*)&poll.obj, NULL);

  ARM(fsev);
  CHECK(uv_fs_event_init(loop, &fsev.obj) == 0);
  CHECK(uv_fs_event_start(&fsev.obj, on_fs_event, dir, 0) == 0);
  CHECK(fsev.obj.path != NULL && strcmp(fsev.obj.path, dir) == 0);
  uv_close((uv_handle_t*)&fsev.obj, NULL);

  ARM(fspoll);
  CHECK(uv_fs_poll_init(loop, &fspoll.obj) == 0);
  CHECK(fspoll.obj.poll_ctx == NULL);
  uv_close((uv_handle_t*)&fspoll.obj, NULL);

  ARM(async);
  ARM(idle);
  ARM(prepare);
  ARM(check);
  CHECK(uv_async_init(loop, &async.obj, NULL) == 0);
  CHECK(uv_idle_init(loop, &idle.obj) == 0);
  CHECK(uv_prepare_init(loop, &prepare.obj) == 0);
  CHECK(uv_check_init(loop, &check.obj) == 0);
  uv_close((uv_handle_t*)&async.obj, NULL);
  uv_close((uv_handle_t*)&idle.obj, NULL);
  uv_close((uv_handle_t*)&prepare.obj, NULL);
  uv_close((uv_handle_t*)&check.obj, NULL);

  ARM(work);
  CHECK(uv_queue_work(loop, &work.obj, on_work, on_after_work) == 0);
  CHECK(work.obj.loop == loop);
  CHECK(work.obj.work_cb == on_work);
  CHECK(work.obj.after_work_cb == on_after_work);
  uv_run(loop, UV_RUN_DEFAULT);
  CHECK(work_calls == 1 && after_work_calls == 1);
  close(fds[0]);
  close(fds[1]);

  CHECK_CANARY(sig);
  CHECK_CANARY(poll);
  CHECK_CANARY(fsev);
  CHECK_CANARY(fspoll);
  CHECK_CANARY(async);
  CHECK_CANARY(idle);
  CHECK_CANARY(prepare);
  CHECK_CANARY(check);
  CHECK_CANARY(work);
}

/* Arrays libuv allocates are walked with Veloq's sizeof: a wrong stride
 * would turn the second element into garbage. */
static void check_system_structs(void) {
  uv_cpu_info_t* cpus = NULL;
  uv_interface_address_t* ifs = NULL;
  uv_env_item_t* env = NULL;
  uv_passwd_t pw;
  uv_utsname_t uts;
  uv_rusage_t ru;
  uv_timeval64_t tv;
  int count = 0, i, found_lo = 0;

  CHECK(uv_cpu_info(&cpus, &count) == 0 && count >= 1);
  for (i = 0; i < count; i++) CHECK(cpus[i].model != NULL);
  uv_free_cpu_info(cpus, count);

  CHECK(uv_interface_addresses(&ifs, &count) == 0);
  for (i = 0; i < count; i++) {
    CHECK(ifs[i].name != NULL);
    CHECK(ifs[i].address.address4.sin_family == AF_INET ||
          ifs[i].address.address4.sin_family == AF_INET6);
    if (ifs[i].is_internal && ifs[i].address.address4.sin_family == AF_INET)
      found_lo = ifs[i].address.address4.sin_addr.s_addr == htonl(0x7f000001);
  }
  CHECK(found_lo);
  uv_free_interface_addresses(ifs, count);

  CHECK(uv_os_environ(&env, &count) == 0);
  for (i = 0; i < count; i++) CHECK(env[i].name != NULL && env[i].value != NULL);
  uv_os_free_environ(env, count);

  CHECK(uv_os_get_passwd(&pw) == 0);
  CHECK(pw.username != NULL && pw.homedir != NULL);
  CHECK(pw.uid == (unsigned long)getuid());
  uv_os_free_passwd(&pw);

  CHECK(uv_os_uname(&uts) == 0);
  CHECK(strcmp(uts.sysname, "Linux") == 0);
  CHECK(uts.machine[0] != '\0');

  CHECK(uv_getrusage(&ru) == 0);
  CHECK(ru.ru_maxrss > 0);

  CHECK(uv_gettimeofday(&tv) == 0);
  CHECK(tv.tv_sec > 1600000000 && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
}

/* The real libuv reports its own sizes; Veloq's sizeof must agree. */
static void check_reported_sizes(void) {
  CHECK(uv_loop_size() == sizeof(uv_loop_t));
#define CHECK_HANDLE_SIZE(uc, lc) CHECK(uv_handle_size(UV_##uc) == sizeof(uv_##lc##_t));
  UV_HANDLE_TYPE_MAP(CHECK_HANDLE_SIZE)
#undef CHECK_HANDLE_SIZE
#define CHECK_REQ_SIZE(uc, lc) CHECK(uv_req_size(UV_##uc) == sizeof(uv_##lc##_t));
  UV_REQ_TYPE_MAP(CHECK_REQ_SIZE)
#undef CHECK_REQ_SIZE
}

int main(void) {
  uv_loop_t loop;
  char dir[] = "/tmp/veloq-abi-XXXXXX";

  /* A wrong offset can send libuv into a pointer chase: fail, don't hang. */
  alarm(20);
  CHECK(uv_version() == UV_VERSION_HEX);
  check_reported_sizes();
  CHECK(mkdtemp(dir) != NULL);
  check_loop_and_timer();
  CHECK(uv_loop_init(&loop) == 0);
  check_fs(&loop, dir);
  check_name_resolution(&loop);
  check_streams(&loop);
  check_other_handles(&loop, dir);
  uv_run(&loop, UV_RUN_DEFAULT);
  CHECK(uv_loop_close(&loop) == 0);
  check_system_structs();
  rmdir(dir);

  if (failures) {
    fprintf(stderr, "crosslink: %d check(s) failed\n", failures);
    return 1;
  }
  printf("crosslink: all checks passed against %s\n", uv_version_string());
  return 0;
}
