/* uv_async_t: cross-thread wakeups, coalescing. */
#include <pthread.h>

#include "suite.h"

#define SENDS 1000

static uv_async_t async;
static volatile int sender_done;
static int async_calls, saw_done;

static void async_cb(uv_async_t* h) {
  async_calls++;
  if (__atomic_load_n(&sender_done, __ATOMIC_ACQUIRE)) {
    saw_done = 1;
    uv_close((uv_handle_t*)h, NULL);
  }
}

static void* sender(void* arg) {
  (void)arg;
  for (int i = 0; i < SENDS; i++) {
    assert_int_equal(uv_async_send(&async), 0);
    if (i % 100 == 0) uv_sleep(1);
  }
  __atomic_store_n(&sender_done, 1, __ATOMIC_RELEASE);
  assert_int_equal(uv_async_send(&async), 0); /* the last send */
  return NULL;
}

/* upstream: async (N sends from another thread -> 1..N+1 callbacks, one after the last) */
static void test_async_from_thread(void** state) {
  (void)state;
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_async_init(&loop, &async, async_cb), 0);
  sender_done = 0;
  async_calls = saw_done = 0;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, sender, NULL), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(saw_done, 1);
  assert_true(async_calls >= 1 && async_calls <= SENDS + 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int plain_calls;
static void plain_async_cb(uv_async_t* h) { (void)h; plain_calls++; }

/* upstream: async (coalescing on one thread) */
static void test_async_coalesce(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_async_t a;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_async_init(&loop, &a, plain_async_cb);
  plain_calls = 0;
  uv_async_send(&a);
  uv_async_send(&a);
  uv_async_send(&a);
  assert_int_equal(plain_calls, 0); /* never inline */
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(plain_calls, 1);
  uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(plain_calls, 1); /* nothing new sent */
  uv_async_send(&a);
  uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(plain_calls, 2);
  uv_close((uv_handle_t*)&a, NULL);
  suite_loop_done(&loop);
}

/* upstream: async / ref (an async handle is active from init; unref lets the loop exit) */
static void test_async_ref(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_async_t a;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_async_init(&loop, &a, NULL); /* NULL callback is allowed */
  assert_int_not_equal(uv_is_active((uv_handle_t*)&a), 0);
  assert_int_not_equal(uv_loop_alive(&loop), 0);
  assert_int_equal(uv_async_send(&a), 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_unref((uv_handle_t*)&a);
  assert_int_equal(uv_loop_alive(&loop), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t*)&a, NULL);
  assert_int_equal(uv_is_active((uv_handle_t*)&a), 0);
  suite_loop_done(&loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_async_from_thread),
      cmocka_unit_test(test_async_coalesce),
      cmocka_unit_test(test_async_ref),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
