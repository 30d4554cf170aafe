/* Handle basics: ref counting, close, accessors. */
#include "suite.h"

static int timer_calls;
static void count_timer_cb(uv_timer_t* t) { (void)t; timer_calls++; }

static void fail_timer_cb(uv_timer_t* t) {
  (void)t;
  fail_msg("unref'd timer must not keep the loop running");
}

/* upstream: ref / unref_in_prepare_cb (an unref'd timer does not keep the loop alive) */
static void test_unref_timer(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  /* A long timer and a bound well below it: uv_run must return without
   * waiting for the timer, and a descheduled test process (a loaded CI
   * machine) must not be mistaken for a wait. */
  uv_timer_start(&t, fail_timer_cb, 10000, 0);
  uv_unref((uv_handle_t*)&t);
  assert_int_equal(uv_loop_alive(&loop), 0);
  uint64_t t0 = uv_hrtime();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_true(uv_hrtime() - t0 < 5000 * 1000000ull);
  assert_int_not_equal(uv_is_active((uv_handle_t*)&t), 0);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: ref (has_ref, idempotent ref/unref, active count) */
static void test_ref_counting(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  assert_int_not_equal(uv_has_ref((uv_handle_t*)&t), 0);
  uv_unref((uv_handle_t*)&t);
  uv_unref((uv_handle_t*)&t);
  assert_int_equal(uv_has_ref((uv_handle_t*)&t), 0);
  uv_timer_start(&t, count_timer_cb, 10, 0);
  assert_int_equal(loop.active_handles, 0);
  uv_ref((uv_handle_t*)&t);
  uv_ref((uv_handle_t*)&t);
  assert_int_not_equal(uv_has_ref((uv_handle_t*)&t), 0);
  assert_int_equal(loop.active_handles, 1);
  assert_int_not_equal(uv_loop_alive(&loop), 0);
  timer_calls = 0;
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* ref'd again: fires */
  assert_int_equal(timer_calls, 1);
  assert_int_equal(loop.active_handles, 0);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

static char close_order[16];
static int close_len;
static void record_close_cb(uv_handle_t* h) {
  close_order[close_len++] = *(const char*)h->data;
  close_order[close_len] = 0;
  assert_int_not_equal(uv_is_closing(h), 0);
}

/* upstream: close_order (close_cbs run in the closing phase; libuv's unix
 * loop keeps them on a stack, so the last closed handle's runs first) */
static void test_close_order(void** state) {
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
  close_len = 0;
  close_order[0] = 0;
  uv_close((uv_handle_t*)&a, record_close_cb);
  uv_close((uv_handle_t*)&b, record_close_cb);
  uv_close((uv_handle_t*)&c, record_close_cb);
  assert_int_equal(close_len, 0); /* not inline */
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(close_len, 3);
  assert_string_equal(close_order, "cba");
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int close_cb_calls;
static void count_close_cb(uv_handle_t* h) {
  (void)h;
  close_cb_calls++;
}

/* upstream: timer_is_closing / is_closing */
static void test_is_closing(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, count_timer_cb, 1000, 0);
  assert_int_equal(uv_is_closing((uv_handle_t*)&t), 0);
  assert_int_not_equal(uv_is_active((uv_handle_t*)&t), 0);
  close_cb_calls = 0;
  uv_close((uv_handle_t*)&t, count_close_cb);
  assert_int_not_equal(uv_is_closing((uv_handle_t*)&t), 0);
  assert_int_equal(uv_is_active((uv_handle_t*)&t), 0);
  assert_int_not_equal(uv_loop_alive(&loop), 0); /* closing keeps it alive */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(close_cb_calls, 1);
  assert_int_not_equal(uv_is_closing((uv_handle_t*)&t), 0); /* closed */
  assert_int_equal(uv_loop_close(&loop), 0);
}

static uv_timer_t chain_b;
static void chain_close_cb(uv_handle_t* h) {
  close_cb_calls++;
  if (h->data != NULL) uv_close((uv_handle_t*)&chain_b, count_close_cb);
}

/* upstream: close_order (a handle closed from a close_cb closes in a later pass) */
static void test_close_from_close_cb(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t a;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &a);
  uv_timer_init(&loop, &chain_b);
  a.data = &a;
  close_cb_calls = 0;
  uv_close((uv_handle_t*)&a, chain_close_cb);
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0); /* b still closing */
  assert_int_equal(close_cb_calls, 1);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(close_cb_calls, 2);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: handle_type_name / handle_fileno-style accessors */
static void test_handle_accessors(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  int x;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  assert_int_equal(uv_handle_get_type((uv_handle_t*)&t), UV_TIMER);
  assert_ptr_equal(uv_handle_get_loop((uv_handle_t*)&t), &loop);
  uv_handle_set_data((uv_handle_t*)&t, &x);
  assert_ptr_equal(uv_handle_get_data((uv_handle_t*)&t), &x);
  assert_ptr_equal(t.data, &x);
  assert_string_equal(uv_handle_type_name(UV_TIMER), "timer");
  assert_string_equal(uv_handle_type_name(UV_NAMED_PIPE), "pipe");
  assert_string_equal(uv_handle_type_name(UV_ASYNC), "async");
  assert_string_equal(uv_handle_type_name(UV_FILE), "file");
  assert_null(uv_handle_type_name(UV_UNKNOWN_HANDLE));
  assert_null(uv_handle_type_name(UV_HANDLE_TYPE_MAX));
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: handle_size / req_size (uv_handle_size, uv_req_size) */
static void test_handle_and_req_sizes(void** state) {
  (void)state;
  assert_int_equal(uv_handle_size(UV_TIMER), sizeof(uv_timer_t));
  assert_int_equal(uv_handle_size(UV_IDLE), sizeof(uv_idle_t));
  assert_int_equal(uv_handle_size(UV_ASYNC), sizeof(uv_async_t));
  assert_int_equal(uv_handle_size(UV_TCP), sizeof(uv_tcp_t));
  assert_int_equal(uv_handle_size(UV_NAMED_PIPE), sizeof(uv_pipe_t));
  assert_int_equal(uv_handle_size(UV_HANDLE), sizeof(uv_handle_t));
  assert_int_equal(uv_handle_size(UV_UNKNOWN_HANDLE), (size_t)-1);
  assert_int_equal(uv_req_size(UV_WRITE), sizeof(uv_write_t));
  assert_int_equal(uv_req_size(UV_FS), sizeof(uv_fs_t));
  assert_int_equal(uv_req_size(UV_GETADDRINFO), sizeof(uv_getaddrinfo_t));
  assert_int_equal(uv_req_size(UV_REQ), sizeof(uv_req_t));
  assert_int_equal(uv_req_size(UV_UNKNOWN_REQ), (size_t)-1);
}

/* upstream: close of an inactive, unref'd handle still runs its close_cb */
static void test_close_unref_inactive(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_idle_t idle;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &idle);
  uv_unref((uv_handle_t*)&idle);
  close_cb_calls = 0;
  uv_close((uv_handle_t*)&idle, count_close_cb);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(close_cb_calls, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}


static int prep_calls;
static void unref_prepare_cb(uv_prepare_t* p) {
  prep_calls++;
  uv_unref((uv_handle_t*)p);
}

/* upstream: unref_in_prepare_cb */
static void test_unref_in_prepare_cb(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_prepare_t p;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_prepare_init(&loop, &p);
  uv_prepare_start(&p, unref_prepare_cb);
  prep_calls = 0;
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(prep_calls, 1);
  uv_close((uv_handle_t*)&p, NULL);
  suite_loop_done(&loop);
}

static void never_idle_cb(uv_idle_t* h) {
  (void)h;
  fail_msg("an unref'd idle handle alone must not run");
}

/* upstream: idle_ref / check_ref (unref'd watchers alone do not run the loop) */
static void test_idle_ref(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_idle_t i;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_idle_init(&loop, &i);
  uv_idle_start(&i, never_idle_cb);
  uv_unref((uv_handle_t*)&i);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t*)&i, NULL);
  suite_loop_done(&loop);
}

/* upstream: req accessors (uv_req_get_type/get_data/set_data, type names)
 * and uv_cancel of a request type libuv cannot cancel */
static void test_req_accessors_and_cancel(void** state) {
  (void)state;
  uv_connect_t c;
  uv_write_t w;
  memset(&c, 0, sizeof c);
  memset(&w, 0, sizeof w);
  c.type = UV_CONNECT;
  w.type = UV_WRITE;
  int marker;
  uv_req_set_data((uv_req_t*)&c, &marker);
  assert_ptr_equal(uv_req_get_data((uv_req_t*)&c), &marker);
  assert_ptr_equal(c.data, &marker);
  assert_int_equal(uv_req_get_type((uv_req_t*)&c), UV_CONNECT);
  assert_int_equal(uv_req_get_type((uv_req_t*)&w), UV_WRITE);
#define CHECK_NAME(uc, lc) assert_string_equal(uv_req_type_name(UV_##uc), #lc);
  UV_REQ_TYPE_MAP(CHECK_NAME)
#undef CHECK_NAME
  assert_null(uv_req_type_name(UV_UNKNOWN_REQ));
  assert_null(uv_req_type_name(UV_REQ_TYPE_MAX));
  assert_int_equal(uv_cancel((uv_req_t*)&c), UV_EINVAL);
  assert_int_equal(uv_cancel((uv_req_t*)&w), UV_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_req_accessors_and_cancel),
      cmocka_unit_test(test_unref_timer),         cmocka_unit_test(test_ref_counting),
      cmocka_unit_test(test_close_order),         cmocka_unit_test(test_is_closing),
      cmocka_unit_test(test_close_from_close_cb), cmocka_unit_test(test_handle_accessors),
      cmocka_unit_test(test_handle_and_req_sizes), cmocka_unit_test(test_close_unref_inactive),
      cmocka_unit_test(test_unref_in_prepare_cb),  cmocka_unit_test(test_idle_ref),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
