/* uv_timer_t. */
#include "suite.h"

static char order[64];
static int order_len;
static void record(char c) {
  if (order_len < (int)sizeof order - 1) order[order_len++] = c;
  order[order_len] = 0;
}
static void reset_order(void) {
  order_len = 0;
  order[0] = 0;
}

static void record_cb(uv_timer_t* t) { record(*(const char*)t->data); }

/* upstream: timer_order (same deadline: start order) */
static void test_timer_order_same_deadline(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t a, b, c;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &a);
  uv_timer_init(&loop, &b);
  uv_timer_init(&loop, &c);
  a.data = "a";
  b.data = "b";
  c.data = "c";
  reset_order();
  uv_timer_start(&b, record_cb, 5, 0);
  uv_timer_start(&c, record_cb, 5, 0);
  uv_timer_start(&a, record_cb, 5, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_string_equal(order, "bca");
  uv_close((uv_handle_t*)&a, NULL);
  uv_close((uv_handle_t*)&b, NULL);
  uv_close((uv_handle_t*)&c, NULL);
  suite_loop_done(&loop);
}

/* upstream: timer_order (different deadlines: deadline order) */
static void test_timer_order_deadlines(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t a, b, c;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &a);
  uv_timer_init(&loop, &b);
  uv_timer_init(&loop, &c);
  a.data = "a";
  b.data = "b";
  c.data = "c";
  reset_order();
  uv_timer_start(&c, record_cb, 30, 0);
  uv_timer_start(&b, record_cb, 20, 0);
  uv_timer_start(&a, record_cb, 10, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_string_equal(order, "abc");
  /* restarting an active timer moves it behind others with the same due */
  reset_order();
  uv_timer_start(&a, record_cb, 5, 0);
  uv_timer_start(&b, record_cb, 5, 0);
  uv_timer_start(&a, record_cb, 5, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_string_equal(order, "ba");
  uv_close((uv_handle_t*)&a, NULL);
  uv_close((uv_handle_t*)&b, NULL);
  uv_close((uv_handle_t*)&c, NULL);
  suite_loop_done(&loop);
}

static int repeat_calls;
static void repeat_cb(uv_timer_t* t) {
  if (++repeat_calls == 5) uv_timer_stop(t); /* stop inside the callback */
}

/* upstream: timer (repeat_cb) */
static void test_timer_repeat(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  repeat_calls = 0;
  uint64_t start = uv_hrtime();
  assert_int_equal(uv_timer_start(&t, repeat_cb, 5, 5), 0);
  assert_int_equal(uv_timer_get_repeat(&t), 5);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(repeat_calls, 5);
  assert_true(uv_hrtime() - start >= 24 * 1000000ull);
  assert_int_equal(uv_is_active((uv_handle_t*)&t), 0);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

static int again_calls;
static void again_cb(uv_timer_t* t) {
  again_calls++;
  if (again_calls == 3) uv_timer_set_repeat(t, 0); /* the last one */
}

/* upstream: timer_again */
static void test_timer_again(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  /* never started: no callback to restart with */
  assert_int_equal(uv_timer_again(&t), UV_EINVAL);
  again_calls = 0;
  uv_timer_start(&t, again_cb, 1000, 0);
  uv_timer_stop(&t);
  /* repeat 0: again is a no-op and leaves the timer stopped */
  assert_int_equal(uv_timer_again(&t), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&t), 0);
  uv_timer_set_repeat(&t, 5);
  assert_int_equal(uv_timer_again(&t), 0);
  assert_int_not_equal(uv_is_active((uv_handle_t*)&t), 0);
  assert_int_equal(uv_timer_get_due_in(&t), 5);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  /* the timer was re-armed with the old repeat before the 3rd callback ran,
   * so a repeat change takes effect one expiry later: 4 calls */
  assert_int_equal(again_calls, 4);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

static void never_cb(uv_timer_t* t) {
  (void)t;
  fail_msg("this timer must not fire");
}

/* upstream: timer_null_callback */
static void test_timer_null_cb(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  assert_int_equal(uv_timer_start(&t, NULL, 100, 100), UV_EINVAL);
  assert_int_equal(uv_is_active((uv_handle_t*)&t), 0);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: timer_start on a closing handle (timer_init / timer_is_closing) */
static void test_timer_start_closing(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_close((uv_handle_t*)&t, NULL);
  assert_int_equal(uv_timer_start(&t, never_cb, 1, 0), UV_EINVAL);
  suite_loop_done(&loop);
}

/* upstream: timer_init (fresh timer state) */
static void test_timer_init_state(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &t), 0);
  assert_int_equal(uv_timer_get_repeat(&t), 0);
  assert_int_equal(uv_timer_get_due_in(&t), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&t), 0);
  assert_int_equal(uv_timer_stop(&t), 0); /* stop when stopped: 0 */
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: timer_get_due_in */
static void test_timer_due_in(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  /* A long timer: the 20 ms sleep may take much longer on a loaded
   * machine, the due time must still be (timeout - elapsed), never more. */
  uv_timer_start(&t, never_cb, 10000, 0);
  assert_int_equal(uv_timer_get_due_in(&t), 10000); /* loop time unchanged */
  uint64_t t0 = uv_now(&loop);
  uv_sleep(20);
  uv_update_time(&loop);
  uint64_t elapsed = uv_now(&loop) - t0;
  uint64_t due = uv_timer_get_due_in(&t);
  assert_true(elapsed >= 20 && elapsed < 10000);
  assert_int_equal(due, 10000 - elapsed);
  uv_timer_set_repeat(&t, 7);
  assert_int_equal(uv_timer_get_repeat(&t), 7);
  uv_timer_stop(&t);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: timer_huge_timeout (an unref'd far timer never fires) */
static void test_timer_huge_timeout(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t1, t2;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t1);
  uv_timer_init(&loop, &t2);
  assert_int_equal(uv_timer_start(&t1, never_cb, 0xffffffffffffull, 0), 0);
  assert_int_equal(uv_timer_start(&t2, never_cb, (uint64_t)-1, 0), 0);
  assert_int_equal(uv_timer_get_due_in(&t1), 0xffffffffffffull);
  uv_unref((uv_handle_t*)&t1);
  uv_unref((uv_handle_t*)&t2);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t*)&t1, NULL);
  uv_close((uv_handle_t*)&t2, NULL);
  suite_loop_done(&loop);
}

static uv_timer_t inner;
static int inner_calls, outer_calls, checks_at_inner;
static int check_passes;
static uv_check_t check;
static void inner_cb(uv_timer_t* t) {
  (void)t;
  inner_calls++;
  checks_at_inner = check_passes;
  uv_check_stop(&check); /* an active check alone would block the loop forever */
}
static void outer_cb(uv_timer_t* t) {
  outer_calls++;
  uv_timer_start(&inner, inner_cb, 1, 0);
  (void)t;
}
static void count_check_cb(uv_check_t* c) {
  (void)c;
  check_passes++;
}

/* upstream: timer_from_check-like: a timer started in a timer callback
 * with a later deadline does not run in the same timers phase. */
static void test_timer_start_in_cb(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t outer;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &outer);
  uv_timer_init(&loop, &inner);
  uv_check_init(&loop, &check);
  uv_check_start(&check, count_check_cb);
  inner_calls = outer_calls = check_passes = 0;
  checks_at_inner = -1;
  uv_timer_start(&outer, outer_cb, 1, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(outer_calls, 1);
  assert_int_equal(inner_calls, 1);
  assert_true(checks_at_inner >= 1); /* at least one check phase between */
  uv_close((uv_handle_t*)&outer, NULL);
  uv_close((uv_handle_t*)&inner, NULL);
  uv_close((uv_handle_t*)&check, NULL);
  suite_loop_done(&loop);
}

static int self_close_calls, self_close_cb_calls;
static void self_close_done(uv_handle_t* h) {
  (void)h;
  self_close_cb_calls++;
}
static void self_close_timer_cb(uv_timer_t* t) {
  self_close_calls++;
  uv_close((uv_handle_t*)t, self_close_done);
}

/* upstream: timer (close a repeating timer from its own callback) */
static void test_timer_close_in_cb(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  self_close_calls = self_close_cb_calls = 0;
  uv_timer_start(&t, self_close_timer_cb, 1, 1);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(self_close_calls, 1);
  assert_int_equal(self_close_cb_calls, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}


static int once_calls;
static void once_cb(uv_timer_t* t) { (void)t; once_calls++; }

/* upstream: timer_run_once */
static void test_timer_run_once(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  once_calls = 0;
  uv_timer_start(&t, once_cb, 0, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_ONCE), 0);
  assert_int_equal(once_calls, 1);
  uv_timer_start(&t, once_cb, 1, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_ONCE), 0);
  assert_int_equal(once_calls, 2);
  uv_close((uv_handle_t*)&t, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_ONCE), 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int stopper_calls;
static void stopper_cb(uv_timer_t* t) {
  if (++stopper_calls == 3) uv_stop(t->loop);
}

/* upstream: loop_stop (from a repeating timer) */
static void test_stop_from_timer(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  stopper_calls = 0;
  uv_timer_start(&t, stopper_cb, 1, 1);
  assert_int_not_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(stopper_calls, 3);
  assert_int_not_equal(uv_is_active((uv_handle_t*)&t), 0);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}


static uv_timer_t zero_inner;
static int zero_checks, outer_at, inner_at;
static void zero_inner_cb(uv_timer_t* t) { (void)t; inner_at = zero_checks; }
static void zero_outer_cb(uv_timer_t* t) {
  (void)t;
  outer_at = zero_checks;
  uv_timer_start(&zero_inner, zero_inner_cb, 0, 0);
}
static void zero_check_cb(uv_check_t* c) { (void)c; zero_checks++; }

/* libuv 1.44 (the oracle): a 0 ms timer started inside a timer callback is
 * already due, so it fires in the SAME timers phase (1.45 changed this). */
static void test_timer_zero_from_cb_same_phase(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t outer;
  uv_check_t check;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &outer);
  uv_timer_init(&loop, &zero_inner);
  uv_check_init(&loop, &check);
  uv_check_start(&check, zero_check_cb);
  uv_unref((uv_handle_t*)&check);
  zero_checks = 0;
  outer_at = inner_at = -1;
  uv_timer_start(&outer, zero_outer_cb, 1, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_true(outer_at >= 0);
  assert_int_equal(inner_at, outer_at);
  uv_close((uv_handle_t*)&outer, NULL);
  uv_close((uv_handle_t*)&zero_inner, NULL);
  uv_close((uv_handle_t*)&check, NULL);
  suite_loop_done(&loop);
}

enum { kHeapTimers = 3000 };
static uv_timer_t heap_timers[kHeapTimers];
static int heap_timeout[kHeapTimers];  /* ms, as last started */
static int heap_seq[kHeapTimers];      /* start order of the last start */
static int heap_fired_order[kHeapTimers];
static int heap_fired;

static void heap_timer_cb(uv_timer_t* t) { heap_fired_order[heap_fired++] = (int)(t - heap_timers); }

/* upstream: timer_order / timer_huge_repeat-style stress of the timer heap:
 * thousands of timers started, restarted and stopped in a pseudo-random
 * pattern without a time update in between fire exactly in (timeout, start
 * order) order, each once. */
static void test_timer_heap_random_order(void** state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  unsigned rng = 12345;
  int seq = 0;
  char active[kHeapTimers];
  memset(active, 0, sizeof active);
  for (int i = 0; i < kHeapTimers; i++) uv_timer_init(&loop, &heap_timers[i]);
  for (int step = 0; step < 4 * kHeapTimers; step++) {
    rng = rng * 1103515245u + 12345u;
    int i = (int)((rng >> 8) % kHeapTimers);
    int op = (int)((rng >> 4) % 4);
    if (op == 3 && active[i]) { /* stop */
      uv_timer_stop(&heap_timers[i]);
      active[i] = 0;
    } else { /* (re)start: a restart moves the timer to the back of its deadline */
      heap_timeout[i] = (int)((rng >> 16) % 30);
      heap_seq[i] = seq++;
      assert_int_equal(uv_timer_start(&heap_timers[i], heap_timer_cb, (uint64_t)heap_timeout[i], 0), 0);
      active[i] = 1;
    }
  }
  int expected = 0;
  for (int i = 0; i < kHeapTimers; i++) expected += active[i];
  heap_fired = 0;
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(heap_fired, expected);
  for (int k = 1; k < heap_fired; k++) {
    int a = heap_fired_order[k - 1], b = heap_fired_order[k];
    assert_true(heap_timeout[a] < heap_timeout[b] ||
                (heap_timeout[a] == heap_timeout[b] && heap_seq[a] < heap_seq[b]));
  }
  for (int i = 0; i < kHeapTimers; i++) uv_close((uv_handle_t*)&heap_timers[i], NULL);
  suite_loop_done(&loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_timer_order_same_deadline),
      cmocka_unit_test(test_timer_order_deadlines),
      cmocka_unit_test(test_timer_repeat),
      cmocka_unit_test(test_timer_again),
      cmocka_unit_test(test_timer_null_cb),
      cmocka_unit_test(test_timer_start_closing),
      cmocka_unit_test(test_timer_init_state),
      cmocka_unit_test(test_timer_due_in),
      cmocka_unit_test(test_timer_huge_timeout),
      cmocka_unit_test(test_timer_start_in_cb),
      cmocka_unit_test(test_timer_close_in_cb),
      cmocka_unit_test(test_timer_run_once),
      cmocka_unit_test(test_stop_from_timer),
      cmocka_unit_test(test_timer_zero_from_cb_same_phase),
      cmocka_unit_test(test_timer_heap_random_order),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
