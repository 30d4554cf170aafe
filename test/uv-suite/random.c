/* uv_random: sync and on the threadpool. */
#include <string.h>

#include "suite.h"

static int random_cb_count;
static unsigned char async_buf[256];

static int all_zero(const unsigned char* p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0) return 0;
  return 1;
}

static void random_cb(uv_random_t* req, int status, void* buf, size_t buflen) {
  assert_int_equal(status, 0);
  assert_ptr_equal(buf, async_buf);
  assert_int_equal(buflen, sizeof async_buf);
  assert_ptr_equal(req->data, &random_cb_count);
  /* 256 random bytes all zero: probability 2^-2048 */
  assert_false(all_zero(buf, buflen));
  random_cb_count++;
}

/* follows libuv test-random.c random_async */
static void test_random_async(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_random_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  memset(async_buf, 0, sizeof async_buf);
  random_cb_count = 0;
  req.data = &random_cb_count;
  assert_int_equal(uv_random(&loop, &req, async_buf, sizeof async_buf, 0, random_cb), 0);
  assert_int_equal(req.type, UV_RANDOM);
  assert_int_equal(random_cb_count, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(random_cb_count, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* follows libuv test-random.c random_async (flags must be 0, no request queued) */
static void test_random_einval(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_random_t req;
  unsigned char buf[8];
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_random(&loop, &req, buf, sizeof buf, 1, random_cb), UV_EINVAL);
  assert_int_equal(uv_random(NULL, NULL, buf, sizeof buf, (unsigned)-1, NULL), UV_EINVAL);
  assert_int_equal(uv_loop_alive(&loop), 0);
  suite_loop_done(&loop);
}

/* upstream: none (libuv: buflen above INT32_MAX is UV_E2BIG, checked first) */
static void test_random_e2big(void** state) {
  (void)state;
  unsigned char buf[1];
  assert_int_equal(uv_random(NULL, NULL, buf, (size_t)0x80000000u, 0, NULL), UV_E2BIG);
  assert_int_equal(uv_random(NULL, NULL, buf, (size_t)0x80000000u, 1, NULL), UV_E2BIG);
}

/* follows libuv test-random.c random_sync */
static void test_random_sync(void** state) {
  (void)state;
  static unsigned char buf[4096]; /* more than one getrandom chunk */
  memset(buf, 0, sizeof buf);
  assert_int_equal(uv_random(NULL, NULL, buf, sizeof buf, 0, NULL), 0);
  assert_false(all_zero(buf, 256));
  assert_false(all_zero(buf + sizeof buf - 256, 256));
  assert_int_equal(uv_random(NULL, NULL, buf, 0, 0, NULL), 0);
}

static int zero_cb_count;
static void zero_cb(uv_random_t* req, int status, void* buf, size_t buflen) {
  (void)req, (void)buf;
  assert_int_equal(status, 0);
  assert_int_equal(buflen, 0);
  zero_cb_count++;
}

/* upstream: none (an empty async request still completes through the loop) */
static void test_random_async_empty(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_random_t req;
  unsigned char buf[1];
  assert_int_equal(uv_loop_init(&loop), 0);
  zero_cb_count = 0;
  assert_int_equal(uv_random(&loop, &req, buf, 0, 0, zero_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(zero_cb_count, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}


#define MANY 8
static unsigned char many_bufs[MANY][64];
static int many_count;
static void many_cb(uv_random_t* req, int status, void* buf, size_t buflen) {
  assert_int_equal(status, 0);
  assert_ptr_equal(buf, req->data);
  assert_int_equal(buflen, 64);
  many_count++;
}

/* upstream: none (several requests at once; each buffer is filled) */
static void test_random_async_many(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_random_t reqs[MANY];
  memset(many_bufs, 0, sizeof many_bufs);
  assert_int_equal(uv_loop_init(&loop), 0);
  many_count = 0;
  for (int i = 0; i < MANY; i++) {
    reqs[i].data = many_bufs[i];
    assert_int_equal(uv_random(&loop, &reqs[i], many_bufs[i], 64, 0, many_cb), 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(many_count, MANY);
  for (int i = 0; i < MANY; i++) assert_false(all_zero(many_bufs[i], 64));
  assert_true(memcmp(many_bufs[0], many_bufs[1], 64) != 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}


/* upstream: none (without a callback the request and loop are not used) */
static void test_random_sync_ignores_req(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_random_t req, before;
  unsigned char buf[32];
  memset(buf, 0, sizeof buf);
  memset(&req, 0xAA, sizeof req);
  before = req;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_random(&loop, &req, buf, sizeof buf, 0, NULL), 0);
  assert_memory_equal(&req, &before, sizeof req);
  assert_false(all_zero(buf, sizeof buf));
  assert_int_equal(uv_loop_alive(&loop), 0);
  suite_loop_done(&loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_async), cmocka_unit_test(test_random_einval),
      cmocka_unit_test(test_random_e2big), cmocka_unit_test(test_random_sync),
      cmocka_unit_test(test_random_async_empty), cmocka_unit_test(test_random_async_many),
      cmocka_unit_test(test_random_sync_ignores_req),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
