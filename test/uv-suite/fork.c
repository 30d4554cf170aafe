/* uv_loop_fork with I/O started before the fork (libuv test-fork.c). The
 * parent stops and closes its copy of the handle, then tells the child; the
 * child re-arms its loop with uv_loop_fork and must see the data the parent
 * sends afterwards. Each child reports through its exit code and is bounded
 * by a guard timer (a lost watcher would otherwise hang it). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

static uv_loop_t loop;
static int socket_fds[2];
static int sync_pipe[2];
static int guard_fired, read_bytes, poll_calls, close_calls;
static char read_buf[64];
static uv_timer_t guard;

static int setup(void** state) {
  (void)state;
  guard_fired = read_bytes = poll_calls = close_calls = 0;
  memset(read_buf, 0, sizeof read_buf);
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, socket_fds) != 0) return -1;
  if (pipe(sync_pipe) != 0) return -1;
  return uv_loop_init(&loop);
}

static int teardown(void** state) {
  (void)state;
  close(socket_fds[1]);
  close(sync_pipe[0]);
  close(sync_pipe[1]);
  int bad = uv_run(&loop, UV_RUN_DEFAULT) != 0;
  bad |= uv_loop_close(&loop) != 0;
  return bad ? -1 : 0;
}

static void on_guard(uv_timer_t* t) {
  (void)t;
  guard_fired = 1;
  uv_stop(&loop);
}

/* In the child: wait for the parent's go, re-arm the loop, start the guard. */
static int child_begin(void) {
  char c;
  if (read(sync_pipe[0], &c, 1) != 1) return 20;
  if (uv_loop_fork(&loop) != 0) return 21;
  if (uv_timer_init(&loop, &guard) != 0) return 22;
  if (uv_timer_start(&guard, on_guard, 5000, 0) != 0) return 23;
  uv_unref((uv_handle_t*)&guard);
  return 0;
}

/* In the parent: the child's handle copy is the one that reads; tell it to
 * go, send, and collect its exit code. */
static void parent_send_and_wait(pid_t pid) {
  assert_int_equal(write(sync_pipe[1], "1", 1), 1);
  assert_int_equal(send(socket_fds[1], "hi\n", 3, MSG_NOSIGNAL), 3);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* follows libuv test-fork.c fork_socketpair_started: a uv_poll started (and
 * handed to the kernel) before the fork still reports in the child */
static uv_poll_t poll_handle;
static void on_poll(uv_poll_t* h, int status, int events) {
  if (status == 0 && (events & UV_READABLE)) {
    ssize_t n = read(socket_fds[0], read_buf, 3);
    if (n > 0) read_bytes += (int)n;
  }
  poll_calls++;
  uv_close((uv_handle_t*)h, NULL);
}

static int poll_child(void) {
  int err = child_begin();
  if (err != 0) return err;
  uv_run(&loop, UV_RUN_DEFAULT);
  if (guard_fired) return 30;
  if (poll_calls != 1 || read_bytes != 3 || strcmp(read_buf, "hi\n") != 0) return 31;
  uv_close((uv_handle_t*)&guard, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 32;
}

static void test_fork_socketpair_started(void** state) {
  (void)state;
  assert_int_equal(uv_poll_init(&loop, &poll_handle, socket_fds[0]), 0);
  assert_int_equal(uv_poll_start(&poll_handle, UV_READABLE, on_poll), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1); /* the watcher reached the kernel */
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(poll_child());
  assert_int_equal(uv_poll_stop(&poll_handle), 0);
  uv_close((uv_handle_t*)&poll_handle, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  parent_send_and_wait(pid);
  assert_int_equal(poll_calls, 0);
  close(socket_fds[0]);
}

/* The same with a stream: uv_read_start before the fork, the read reaches
 * the kernel, and the child's read_cb gets the bytes sent after it. */
static uv_pipe_t pipe_handle;
static char slab[256];
static void on_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  (void)h, (void)size;
  *buf = uv_buf_init(slab, sizeof slab);
}
static void on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  if (n > 0) {
    memcpy(read_buf + read_bytes, buf->base, (size_t)n);
    read_bytes += (int)n;
  }
  if (n < 0 || read_bytes >= 3) uv_close((uv_handle_t*)s, NULL);
}

static int read_child(void) {
  int err = child_begin();
  if (err != 0) return err;
  uv_run(&loop, UV_RUN_DEFAULT);
  if (guard_fired) return 30;
  if (read_bytes != 3 || strcmp(read_buf, "hi\n") != 0) return 31;
  uv_close((uv_handle_t*)&guard, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 32;
}

static void test_fork_read_started(void** state) {
  (void)state;
  assert_int_equal(uv_pipe_init(&loop, &pipe_handle, 0), 0);
  assert_int_equal(uv_pipe_open(&pipe_handle, socket_fds[0]), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&pipe_handle, on_alloc, on_read), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(read_child());
  uv_close((uv_handle_t*)&pipe_handle, NULL); /* closes the parent's socket_fds[0] */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  parent_send_and_wait(pid);
  assert_int_equal(read_bytes, 0);
}

/* A stream reading at the fork, closed in the child: its close_cb comes
 * (the read in flight is cancelled there, not lost). */
static void on_close(uv_handle_t* h) {
  (void)h;
  close_calls++;
}

static int close_child(void) {
  int err = child_begin();
  if (err != 0) return err;
  uv_close((uv_handle_t*)&pipe_handle, on_close);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (guard_fired) return 30;
  if (close_calls != 1 || read_bytes != 0) return 31;
  uv_close((uv_handle_t*)&guard, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 32;
}

static void test_fork_close_reading(void** state) {
  (void)state;
  assert_int_equal(uv_pipe_init(&loop, &pipe_handle, 0), 0);
  assert_int_equal(uv_pipe_open(&pipe_handle, socket_fds[0]), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&pipe_handle, on_alloc, on_read), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(close_child());
  uv_close((uv_handle_t*)&pipe_handle, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(write(sync_pipe[1], "1", 1), 1);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* follows libuv test-fork.c fork_threadpool_queue_work_simple, for fs: the
 * pool has threads when the process forks; in the child an async fs request
 * still completes, and the child can leave through exit() */
static int fs_calls, fs_result;
static void on_scandir(uv_fs_t* req) {
  fs_calls++;
  fs_result = (int)req->result;
  uv_fs_req_cleanup(req);
}

static int fs_child(void) {
  uv_fs_t req;
  int err = child_begin();
  if (err != 0) return err;
  fs_calls = 0;
  if (uv_fs_scandir(&loop, &req, "/", 0, on_scandir) != 0) return 24;
  uv_run(&loop, UV_RUN_DEFAULT);
  if (guard_fired) return 30;
  if (fs_calls != 1 || fs_result <= 0) return 31;
  uv_close((uv_handle_t*)&guard, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 32;
}

static void test_fork_fs_in_child(void** state) {
  uv_fs_t req;
  (void)state;
  close(socket_fds[0]);
  assert_int_equal(uv_fs_scandir(&loop, &req, "/", 0, on_scandir), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(fs_calls, 1);
  assert_true(fs_result > 0);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(20); /* exit() must not hang either */
    exit(fs_child());
  }
  assert_int_equal(write(sync_pipe[1], "1", 1), 1);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  if (!WIFEXITED(status)) fprintf(stderr, "child killed by signal %d\n", WTERMSIG(status));
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

/* A write waiting for room at the fork goes out from the child once the
 * peer drains (libuv re-registers the POLLOUT watcher in the child); the
 * parent closes its copy (its write fails with UV_ECANCELED there). */
static uv_write_t wreq;
static int write_cbs, write_status;
static size_t drained, fill_len;
static int saw_tail;
static void on_written(uv_write_t* r, int status) {
  (void)r;
  write_cbs++;
  write_status = status;
}
static void on_drain(uv_timer_t* t) {
  char buf[65536];
  ssize_t n;
  (void)t;
  while ((n = recv(socket_fds[1], buf, sizeof buf, MSG_DONTWAIT)) > 0) {
    drained += (size_t)n;
    if (buf[n - 1] == 'Z') saw_tail = 1;
  }
  if (write_cbs > 0 && saw_tail) uv_stop(&loop);
}

static int write_child(void) {
  uv_timer_t drain;
  int err = child_begin();
  if (err != 0) return err;
  if (uv_timer_init(&loop, &drain) != 0) return 24;
  if (uv_timer_start(&drain, on_drain, 10, 10) != 0) return 25;
  uv_run(&loop, UV_RUN_DEFAULT);
  if (guard_fired) return 30;
  if (write_cbs != 1 || write_status != 0 || !saw_tail || drained != fill_len + 1) return 31;
  uv_close((uv_handle_t*)&drain, NULL);
  uv_close((uv_handle_t*)&pipe_handle, NULL);
  uv_close((uv_handle_t*)&guard, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 32;
}

static void test_fork_write_waiting(void** state) {
  char fill[4096];
  uv_buf_t z = uv_buf_init("Z", 1);
  ssize_t n;
  (void)state;
  write_cbs = 0;
  write_status = 1;
  drained = fill_len = 0;
  saw_tail = 0;
  memset(fill, 'f', sizeof fill);
  while ((n = send(socket_fds[0], fill, sizeof fill, MSG_DONTWAIT)) > 0) fill_len += (size_t)n;
  assert_int_equal(uv_pipe_init(&loop, &pipe_handle, 0), 0);
  assert_int_equal(uv_pipe_open(&pipe_handle, socket_fds[0]), 0);
  assert_int_equal(uv_write(&wreq, (uv_stream_t*)&pipe_handle, &z, 1, on_written), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1);
  assert_int_equal(write_cbs, 0); /* waiting for room */
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(write_child());
  uv_close((uv_handle_t*)&pipe_handle, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(write_cbs, 1);
  assert_int_equal(write_status, UV_ECANCELED);
  assert_int_equal(write(sync_pipe[1], "1", 1), 1);
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_fork_socketpair_started),
      T(test_fork_read_started),
      T(test_fork_close_reading),
      T(test_fork_fs_in_child),
      T(test_fork_write_waiting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
