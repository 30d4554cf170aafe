/* uv_loop_t: alive, run modes, stop, close, time. */
#include <pthread.h>

#include "suite.h"

static int timer_calls;
static void count_timer_cb(uv_timer_t* t) { (void)t; timer_calls++; }

/* upstream: loop_alive */
static void test_loop_alive(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_loop_alive(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &t), 0);
  assert_int_equal(uv_loop_alive(&loop), 0); /* inactive handle */
  timer_calls = 0;
  assert_int_equal(uv_timer_start(&t, count_timer_cb, 1, 0), 0);
  assert_int_not_equal(uv_loop_alive(&loop), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(timer_calls, 1);
  assert_int_equal(uv_loop_alive(&loop), 0);
  uv_close((uv_handle_t*)&t, NULL);
  assert_int_not_equal(uv_loop_alive(&loop), 0); /* closing handle */
  suite_loop_done(&loop);
}

/* upstream: run_nowait */
static void test_run_nowait(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  timer_calls = 0;
  uv_timer_start(&t, count_timer_cb, 100, 100);
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(timer_calls, 0);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: run_once (a blocking ONCE pass returns after the timer fired) */
static void test_run_once_timer(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  timer_calls = 0;
  uv_timer_start(&t, count_timer_cb, 20, 0);
  uint64_t t0 = uv_hrtime();
  assert_int_equal(uv_run(&loop, UV_RUN_ONCE), 0);
  assert_int_equal(timer_calls, 1);
  assert_true(uv_hrtime() - t0 >= 19 * 1000000ull);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

static int idle_calls;
static void idle_count_cb(uv_idle_t* h) {
  if (++idle_calls == 5) uv_idle_stop(h);
}

/* upstream: run_once (ONCE with an idle handle never blocks) */
static void test_run_once_idle(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_idle_t idle;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &idle);
  idle_calls = 0;
  uv_idle_start(&idle, idle_count_cb);
  int passes = 0;
  while (uv_run(&loop, UV_RUN_ONCE)) passes++;
  assert_int_equal(idle_calls, 5);
  assert_int_equal(passes, 4);
  uv_close((uv_handle_t*)&idle, NULL);
  suite_loop_done(&loop);
}

static int stop_idle_calls;
static void stop_idle_cb(uv_idle_t* h) {
  if (++stop_idle_calls == 10) uv_stop(h->loop);
}

/* upstream: loop_stop */
static void test_loop_stop(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_idle_t idle;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &idle);
  stop_idle_calls = 0;
  uv_idle_start(&idle, stop_idle_cb);
  /* stop before run: run returns at once, without running a pass */
  uv_stop(&loop);
  assert_int_not_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(stop_idle_calls, 0);
  assert_int_not_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(stop_idle_calls, 10);
  /* the stop flag was reset: the loop runs again */
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(stop_idle_calls, 11);
  uv_close((uv_handle_t*)&idle, NULL);
  suite_loop_done(&loop);
}

/* upstream: loop_close */
static void test_loop_close_busy(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, count_timer_cb, 100, 100);
  uv_unref((uv_handle_t*)&t);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* unref'd: returns */
  assert_int_equal(uv_loop_close(&loop), UV_EBUSY);
  uv_timer_stop(&t);
  assert_int_equal(uv_loop_close(&loop), UV_EBUSY); /* inactive, still open */
  uv_close((uv_handle_t*)&t, NULL);
  assert_int_equal(uv_loop_close(&loop), UV_EBUSY); /* close not finished */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: default_loop_close */
static void test_default_loop(void** state) {
  (void)state;
  uv_loop_t* a = uv_default_loop();
  assert_non_null(a);
  assert_ptr_equal(a, uv_default_loop());
  assert_int_equal(uv_run(a, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(a), 0);
  uv_loop_t* b = uv_default_loop(); /* re-initialised after close */
  assert_non_null(b);
  uv_timer_t t;
  timer_calls = 0;
  uv_timer_init(b, &t);
  uv_timer_start(&t, count_timer_cb, 1, 0);
  assert_int_equal(uv_run(b, UV_RUN_DEFAULT), 0);
  assert_int_equal(timer_calls, 1);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(b);
}

/* upstream: loop_backend_timeout */
static void test_backend_timeout(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t idle;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_backend_timeout(&loop), 0); /* nothing to wait for */
  uv_timer_init(&loop, &t);
  assert_int_equal(uv_backend_timeout(&loop), 0);
  /* 10 s, asserted to within 1 s: robust to a stalled test process */
  uv_timer_start(&t, count_timer_cb, 10000, 0);
  /* (a fresh libuv loop reports 0 before its first run: ask after one) */
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  int to = uv_backend_timeout(&loop);
  assert_true(to > 9000 && to <= 10000);
  uv_idle_init(&loop, &idle);
  uv_idle_start(&idle, idle_count_cb);
  assert_int_equal(uv_backend_timeout(&loop), 0); /* idle: never block */
  uv_idle_stop(&idle);
  to = uv_backend_timeout(&loop);
  assert_true(to > 9000 && to <= 10000);
  uv_stop(&loop);
  assert_int_equal(uv_backend_timeout(&loop), 0); /* stop requested */
  uv_close((uv_handle_t*)&t, NULL);
  uv_close((uv_handle_t*)&idle, NULL);
  /* the pending stop makes this run return at once (alive), then clears */
  assert_int_not_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  suite_loop_done(&loop);
}

/* upstream: loop_update_time */
static void test_update_time(void** state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  uint64_t a = uv_now(&loop);
  uv_sleep(30);
  assert_int_equal(uv_now(&loop), a); /* cached until updated */
  uv_update_time(&loop);
  assert_true(uv_now(&loop) - a >= 29);
  suite_loop_done(&loop);
}

/* upstream: loop_init / uv_loop_size */
static void test_loop_size_and_data(void** state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_size(), sizeof(uv_loop_t));
  loop.data = &loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_ptr_equal(loop.data, &loop); /* init keeps loop->data */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_ONCE), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void* run_loop_thread(void* arg) {
  uv_loop_t* loop = arg;
  intptr_t r = uv_run(loop, UV_RUN_DEFAULT);
  return (void*)r;
}

/* A loop initialised on one thread and run on another (embedders do this). */
static void test_loop_other_thread(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  timer_calls = 0;
  uv_timer_start(&t, count_timer_cb, 5, 0);
  pthread_t th;
  void* ret = (void*)1;
  assert_int_equal(pthread_create(&th, NULL, run_loop_thread, &loop), 0);
  assert_int_equal(pthread_join(th, &ret), 0);
  assert_ptr_equal(ret, NULL);
  assert_int_equal(timer_calls, 1);
  uv_close((uv_handle_t*)&t, NULL);
  assert_int_equal(pthread_create(&th, NULL, run_loop_thread, &loop), 0);
  assert_int_equal(pthread_join(th, &ret), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* A loop whose signal pipe and inotify watchers were armed is run on another
 * thread, then closed from this one (as bound_close in the review showed:
 * with VELOQ_UV_LOOP_THREAD=bound the ring refuses this thread, and
 * uv_loop_close must still return, not wait for completions forever). */
static void ignore_fs_event_cb(uv_fs_event_t* h, const char* f, int ev, int st) { (void)h, (void)f, (void)ev, (void)st; }
static void test_loop_close_other_thread(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_signal_t sig;
  uv_fs_event_t fse;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_signal_init(&loop, &sig), 0);
  assert_int_equal(uv_fs_event_init(&loop, &fse), 0);
  assert_int_equal(uv_fs_event_start(&fse, ignore_fs_event_cb, "/tmp", 0), 0);
  uv_close((uv_handle_t*)&sig, NULL);
  uv_close((uv_handle_t*)&fse, NULL);
  pthread_t th;
  void* ret = (void*)1;
  assert_int_equal(pthread_create(&th, NULL, run_loop_thread, &loop), 0);
  assert_int_equal(pthread_join(th, &ret), 0);
  assert_ptr_equal(ret, NULL);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loop_alive),       cmocka_unit_test(test_run_nowait),
      cmocka_unit_test(test_run_once_timer),   cmocka_unit_test(test_run_once_idle),
      cmocka_unit_test(test_loop_stop),        cmocka_unit_test(test_loop_close_busy),
      cmocka_unit_test(test_default_loop),     cmocka_unit_test(test_backend_timeout),
      cmocka_unit_test(test_update_time),      cmocka_unit_test(test_loop_size_and_data),
      cmocka_unit_test(test_loop_other_thread), cmocka_unit_test(test_loop_close_other_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
