/* uv_fs_poll_t: stat polling (libuv test-fs-poll.c). Changes are made by
 * appending to the file, so each one changes st_size and is seen whatever
 * the timestamp granularity; no case depends on how fast the machine is. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "suite.h"

static char fixture[64];
static uv_loop_t loop;
static uv_fs_poll_t poll_handle;
static uv_timer_t timer_handle;
static int poll_cb_called, timer_cb_called, close_cb_called;
static const uv_stat_t zero_statbuf;

static void touch_file(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "z", 1), 1);
  close(fd);
}

static int setup(void** state) {
  (void)state;
  snprintf(fixture, sizeof fixture, "/tmp/uvfspoll-%d", (int)getpid());
  remove(fixture);
  poll_cb_called = timer_cb_called = close_cb_called = 0;
  return uv_loop_init(&loop);
}

static int teardown(void** state) {
  (void)state;
  remove(fixture);
  int bad = uv_run(&loop, UV_RUN_DEFAULT) != 0;
  bad |= uv_loop_close(&loop) != 0;
  return bad ? -1 : 0;
}

static void close_cb(uv_handle_t* h) {
  (void)h;
  close_cb_called++;
}

static void touch_timer_cb(uv_timer_t* t) {
  (void)t;
  touch_file(fixture);
  timer_cb_called++;
}

/* follows libuv test-fs-poll.c fs_poll: missing, created, changed twice, removed */
static void sequence_cb(uv_fs_poll_t* handle, int status, const uv_stat_t* prev, const uv_stat_t* curr) {
  assert_ptr_equal(handle, &poll_handle);
  assert_int_equal(uv_is_active((uv_handle_t*)handle), 1);
  assert_non_null(prev);
  assert_non_null(curr);
  switch (poll_cb_called++) {
    case 0:
      assert_int_equal(status, UV_ENOENT);
      assert_memory_equal(prev, &zero_statbuf, sizeof zero_statbuf);
      assert_memory_equal(curr, &zero_statbuf, sizeof zero_statbuf);
      touch_file(fixture);
      break;
    case 1:
      assert_int_equal(status, 0);
      assert_memory_equal(prev, &zero_statbuf, sizeof zero_statbuf);
      assert_int_equal(curr->st_size, 1);
      assert_int_equal(uv_timer_start(&timer_handle, touch_timer_cb, 20, 0), 0);
      break;
    case 2:
      assert_int_equal(status, 0);
      assert_int_equal(prev->st_size, 1);
      assert_int_equal(curr->st_size, 2);
      assert_int_equal(uv_timer_start(&timer_handle, touch_timer_cb, 20, 0), 0);
      break;
    case 3:
      assert_int_equal(status, 0);
      assert_int_equal(prev->st_size, 2);
      assert_int_equal(curr->st_size, 3);
      remove(fixture);
      break;
    case 4:
      assert_int_equal(status, UV_ENOENT);
      assert_int_equal(prev->st_size, 3);
      assert_memory_equal(curr, &zero_statbuf, sizeof zero_statbuf);
      uv_close((uv_handle_t*)handle, close_cb);
      break;
    default:
      fail();
  }
}

static void test_fs_poll(void** state) {
  (void)state;
  assert_int_equal(uv_timer_init(&loop, &timer_handle), 0);
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  assert_int_equal(uv_fs_poll_start(&poll_handle, sequence_cb, fixture, 10), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(poll_cb_called, 5);
  assert_int_equal(timer_cb_called, 2);
  assert_int_equal(close_cb_called, 1);
  uv_close((uv_handle_t*)&timer_handle, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

static void never_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev, const uv_stat_t* curr) {
  (void)h, (void)status, (void)prev, (void)curr;
  poll_cb_called++;
}

/* follows libuv test-fs-poll.c fs_poll_getpath */
static void test_fs_poll_getpath(void** state) {
  (void)state;
  char buf[1024];
  size_t len = sizeof buf;
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  assert_int_equal(uv_fs_poll_getpath(&poll_handle, buf, &len), UV_EINVAL);
  assert_int_equal(len, 0);
  assert_int_equal(uv_fs_poll_start(&poll_handle, never_cb, fixture, 100), 0);
  len = sizeof buf;
  assert_int_equal(uv_fs_poll_getpath(&poll_handle, buf, &len), 0);
  assert_int_equal(len, strlen(fixture));
  assert_string_equal(buf, fixture);
  len = 3;
  assert_int_equal(uv_fs_poll_getpath(&poll_handle, buf, &len), UV_ENOBUFS);
  assert_int_equal(len, strlen(fixture) + 1);
  uv_close((uv_handle_t*)&poll_handle, close_cb);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(close_cb_called, 1);
}

/* follows libuv test-fs-poll.c fs_poll_close_request: closed while its first
 * stat is in flight; the close_cb waits for it */
static void test_fs_poll_close_request(void** state) {
  (void)state;
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  assert_int_equal(uv_fs_poll_start(&poll_handle, never_cb, fixture, 100), 0);
  uv_close((uv_handle_t*)&poll_handle, close_cb);
  while (close_cb_called == 0) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(close_cb_called, 1);
  assert_int_equal(poll_cb_called, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

/* follows libuv test-fs-poll.c fs_poll_close_request_multi_start_stop */
static void test_fs_poll_close_request_multi_start_stop(void** state) {
  (void)state;
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  for (int i = 0; i < 10; ++i) {
    assert_int_equal(uv_fs_poll_start(&poll_handle, never_cb, fixture, 100), 0);
    assert_int_equal(uv_fs_poll_stop(&poll_handle), 0);
  }
  uv_close((uv_handle_t*)&poll_handle, close_cb);
  while (close_cb_called == 0) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(close_cb_called, 1);
  assert_int_equal(poll_cb_called, 0);
}

/* follows libuv test-fs-poll.c fs_poll_close_request_multi_stop_start */
static void test_fs_poll_close_request_multi_stop_start(void** state) {
  (void)state;
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  for (int i = 0; i < 10; ++i) {
    assert_int_equal(uv_fs_poll_stop(&poll_handle), 0);
    assert_int_equal(uv_fs_poll_start(&poll_handle, never_cb, fixture, 100), 0);
  }
  uv_close((uv_handle_t*)&poll_handle, close_cb);
  while (close_cb_called == 0) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(close_cb_called, 1);
  assert_int_equal(poll_cb_called, 0);
}

/* follows libuv test-fs-poll.c fs_poll_close_request_stop_when_active:
 * stopped while its timer is armed (after the first stat came back) */
static void first_stat_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev, const uv_stat_t* curr) {
  (void)prev, (void)curr;
  assert_int_equal(status, UV_ENOENT);
  poll_cb_called++;
  assert_int_equal(uv_fs_poll_stop(h), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)h), 0);
}

static void test_fs_poll_stop_when_active(void** state) {
  (void)state;
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  assert_int_equal(uv_fs_poll_start(&poll_handle, first_stat_cb, fixture, 100), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(poll_cb_called, 1);
  uv_close((uv_handle_t*)&poll_handle, close_cb);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(close_cb_called, 1);
}

/* follows libuv test-fs-poll.c fs_poll_ref: an unreferenced poll handle does
 * not keep the loop alive; its internal timer never does; uv_walk does not
 * see that timer */
static int walked;
static void walk_cb(uv_handle_t* h, void* arg) {
  (void)arg;
  assert_ptr_equal(h, &poll_handle);
  walked++;
}

static void test_fs_poll_ref(void** state) {
  (void)state;
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  assert_int_equal(uv_fs_poll_start(&poll_handle, never_cb, fixture, 100), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&poll_handle), 1);
  assert_int_equal(uv_fs_poll_start(&poll_handle, never_cb, "/elsewhere", 100), 0); /* active: no-op */
  char buf[128];
  size_t len = sizeof buf;
  assert_int_equal(uv_fs_poll_getpath(&poll_handle, buf, &len), 0);
  assert_string_equal(buf, fixture);
  walked = 0;
  uv_walk(&loop, walk_cb, NULL);
  assert_int_equal(walked, 1);
  uv_unref((uv_handle_t*)&poll_handle);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* returns once the first stat is back */
  assert_int_equal(uv_is_active((uv_handle_t*)&poll_handle), 1);
  uv_close((uv_handle_t*)&poll_handle, close_cb);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(close_cb_called, 1);
}

/* follows libuv test-fs-poll.c fs_poll_close_request_stop_when_active, via
 * uv_close: closed while its timer is armed for a long interval, the close_cb
 * comes at once, not when that interval would have expired */
static uint64_t closed_at, close_cb_at;
static void close_now_cb(uv_handle_t* h) {
  (void)h;
  close_cb_at = uv_now(&loop);
  close_cb_called++;
}
static void close_poll_timer_cb(uv_timer_t* t) {
  closed_at = uv_now(&loop);
  uv_close((uv_handle_t*)&poll_handle, close_now_cb);
  uv_close((uv_handle_t*)t, NULL);
}

static void test_fs_poll_close_when_armed(void** state) {
  (void)state;
  touch_file(fixture); /* exists: the first stat calls no callback */
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  assert_int_equal(uv_fs_poll_start(&poll_handle, never_cb, fixture, 60000), 0);
  assert_int_equal(uv_timer_init(&loop, &timer_handle), 0);
  assert_int_equal(uv_timer_start(&timer_handle, close_poll_timer_cb, 100, 0), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(close_cb_called, 1);
  assert_int_equal(poll_cb_called, 0);
  assert_true(close_cb_at - closed_at < 30000); /* not the 60 s interval */
}

/* a change while running: the callback reports the old and new sizes.
 * The poll's baseline is its first stat, which has no callback, so the
 * test cannot know when it was taken: a single touch could land before it
 * (a stat delayed on a loaded machine; with io_uring the stat is only
 * submitted at the loop's first poll phase, after a due timer has run) and
 * the change would never be seen. So the file grows every 30 ms until the
 * poll reports a growth. */
static void touch_repeat_cb(uv_timer_t* t) {
  touch_file(fixture);
  /* bounded: a poll that never reports fails the case (poll_cb_called
   * stays 0) instead of hanging it */
  if (++timer_cb_called == 200) {
    uv_close((uv_handle_t*)&poll_handle, close_cb);
    assert_int_equal(uv_timer_stop(t), 0);
  }
}

static void change_cb(uv_fs_poll_t* h, int status, const uv_stat_t* prev, const uv_stat_t* curr) {
  assert_int_equal(status, 0);
  assert_true(prev->st_size >= 1);
  assert_true(curr->st_size > prev->st_size);
  assert_true(curr->st_size <= 1 + (uint64_t)timer_cb_called); /* one byte per touch */
  assert_true(S_ISREG(curr->st_mode));
  poll_cb_called++;
  uv_close((uv_handle_t*)h, close_cb);
  assert_int_equal(uv_timer_stop(&timer_handle), 0);
}

static void test_fs_poll_change(void** state) {
  (void)state;
  touch_file(fixture);
  assert_int_equal(uv_timer_init(&loop, &timer_handle), 0);
  assert_int_equal(uv_fs_poll_init(&loop, &poll_handle), 0);
  assert_int_equal(uv_fs_poll_start(&poll_handle, change_cb, fixture, 5), 0);
  assert_int_equal(uv_timer_start(&timer_handle, touch_repeat_cb, 30, 30), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(poll_cb_called, 1);
  assert_true(timer_cb_called >= 1);
  assert_int_equal(close_cb_called, 1);
  uv_close((uv_handle_t*)&timer_handle, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_fs_poll),
      T(test_fs_poll_getpath),
      T(test_fs_poll_close_request),
      T(test_fs_poll_close_request_multi_start_stop),
      T(test_fs_poll_close_request_multi_stop_start),
      T(test_fs_poll_stop_when_active),
      T(test_fs_poll_ref),
      T(test_fs_poll_close_when_armed),
      T(test_fs_poll_change),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
