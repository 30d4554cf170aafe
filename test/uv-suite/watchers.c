/* idle / prepare / check: phase order and start/stop rules. */
#include "suite.h"

static char seq[64];
static int seq_len;
static void rec(char c) {
  if (seq_len < (int)sizeof seq - 1) seq[seq_len++] = c;
  seq[seq_len] = 0;
}

static void t_cb(uv_timer_t* h) { (void)h; rec('T'); }
static void i_cb(uv_idle_t* h) { (void)h; rec('I'); }
static void p_cb(uv_prepare_t* h) { (void)h; rec('P'); }
static void c_cb(uv_check_t* h) { (void)h; rec('C'); }

/* upstream: loop phases (timers, idle, prepare, poll, check) in one pass */
static void test_phase_order(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t i;
  uv_prepare_t p;
  uv_check_t c;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_idle_init(&loop, &i);
  uv_prepare_init(&loop, &p);
  uv_check_init(&loop, &c);
  uv_check_start(&c, c_cb);
  uv_prepare_start(&p, p_cb);
  uv_idle_start(&i, i_cb);
  uv_timer_start(&t, t_cb, 0, 0);
  seq_len = 0;
  uv_sleep(2); /* the 0 ms timer is due at the first pass */
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_string_equal(seq, "TIPC");
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_string_equal(seq, "TIPCIPC");
  uv_close((uv_handle_t*)&t, NULL);
  uv_close((uv_handle_t*)&i, NULL);
  uv_close((uv_handle_t*)&p, NULL);
  uv_close((uv_handle_t*)&c, NULL);
  suite_loop_done(&loop);
}

static void named_check_cb(uv_check_t* h) { rec(*(const char*)h->data); }

/* upstream: loop-watcher order (the most recently started runs first) */
static void test_check_order(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_check_t a, b, c;
  uv_idle_t keep;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_check_init(&loop, &a);
  uv_check_init(&loop, &b);
  uv_check_init(&loop, &c);
  a.data = "a";
  b.data = "b";
  c.data = "c";
  uv_idle_init(&loop, &keep);
  uv_idle_start(&keep, i_cb);
  uv_check_start(&a, named_check_cb);
  uv_check_start(&b, named_check_cb);
  uv_check_start(&c, named_check_cb);
  seq_len = 0;
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_string_equal(seq, "Icba");
  uv_check_stop(&b);
  seq_len = 0;
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_string_equal(seq, "Ica");
  uv_close((uv_handle_t*)&a, NULL);
  uv_close((uv_handle_t*)&b, NULL);
  uv_close((uv_handle_t*)&c, NULL);
  uv_close((uv_handle_t*)&keep, NULL);
  suite_loop_done(&loop);
}

static uv_idle_t late;
static int late_calls;
static void late_cb(uv_idle_t* h) { (void)h; late_calls++; }
static void starter_cb(uv_idle_t* h) {
  uv_idle_start(&late, late_cb);
  uv_idle_stop(h);
}

/* upstream: idle started during the idle phase runs in the next pass */
static void test_idle_start_in_pass(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_idle_t s;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &s);
  uv_idle_init(&loop, &late);
  uv_idle_start(&s, starter_cb);
  late_calls = 0;
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(late_calls, 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(late_calls, 1);
  uv_close((uv_handle_t*)&s, NULL);
  uv_close((uv_handle_t*)&late, NULL);
  suite_loop_done(&loop);
}

/* upstream: idle / prepare / check start-stop rules */
static void test_watcher_start_stop_rules(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_idle_t i;
  uv_prepare_t p;
  uv_check_t c;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &i);
  uv_prepare_init(&loop, &p);
  uv_check_init(&loop, &c);
  assert_int_equal(uv_idle_start(&i, NULL), UV_EINVAL);
  assert_int_equal(uv_prepare_start(&p, NULL), UV_EINVAL);
  assert_int_equal(uv_check_start(&c, NULL), UV_EINVAL);
  assert_int_equal(uv_idle_stop(&i), 0);
  assert_int_equal(uv_idle_start(&i, i_cb), 0);
  assert_int_equal(uv_idle_start(&i, i_cb), 0); /* already active: 0 */
  assert_int_equal(loop.active_handles, 1);
  assert_int_equal(uv_prepare_start(&p, p_cb), 0);
  assert_int_equal(uv_check_start(&c, c_cb), 0);
  assert_int_equal(loop.active_handles, 3);
  assert_int_equal(uv_idle_stop(&i), 0);
  assert_int_equal(uv_prepare_stop(&p), 0);
  assert_int_equal(uv_check_stop(&c), 0);
  assert_int_equal(loop.active_handles, 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&i), 0);
  uv_close((uv_handle_t*)&i, NULL);
  uv_close((uv_handle_t*)&p, NULL);
  uv_close((uv_handle_t*)&c, NULL);
  suite_loop_done(&loop);
}

static int starve_idle_calls, starve_timer_calls;
static void starve_idle_cb(uv_idle_t* h) { (void)h; starve_idle_calls++; }
/* The timer repeats until the idle handle has run a few times: a process
 * stalled for 30 ms before its first turn sees the timer due before any
 * idle pass (timers run first), and that says nothing about starvation. */
static void starve_timer_cb(uv_timer_t* t) {
  starve_timer_calls++;
  if (starve_idle_calls > 5) {
    uv_idle_stop((uv_idle_t*)t->data);
    uv_timer_stop(t);
  }
}

/* upstream: idle_starvation (idle keeps polling non-blocking; timers still fire) */
static void test_idle_starvation(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_idle_t i;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &i);
  uv_timer_init(&loop, &t);
  t.data = &i;
  starve_idle_calls = starve_timer_calls = 0;
  uv_idle_start(&i, starve_idle_cb);
  uv_timer_start(&t, starve_timer_cb, 30, 30);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_true(starve_timer_calls >= 1);
  assert_true(starve_idle_calls > 5);
  uv_close((uv_handle_t*)&i, NULL);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_phase_order),        cmocka_unit_test(test_check_order),
      cmocka_unit_test(test_idle_start_in_pass), cmocka_unit_test(test_watcher_start_stop_rules),
      cmocka_unit_test(test_idle_starvation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
