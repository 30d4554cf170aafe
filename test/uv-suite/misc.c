/* Errors, version, time, buffers, allocator and library shutdown. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "suite.h"

/* upstream: error_message / err_name */
static void test_strerror_and_name(void** state) {
  (void)state;
  assert_string_equal(uv_err_name(UV_EINVAL), "EINVAL");
  assert_string_equal(uv_strerror(UV_EINVAL), "invalid argument");
  assert_string_equal(uv_err_name(UV_ENOENT), "ENOENT");
  assert_string_equal(uv_strerror(UV_ENOENT), "no such file or directory");
  assert_string_equal(uv_err_name(UV_EOF), "EOF");
  assert_string_equal(uv_strerror(UV_EOF), "end of file");
  assert_string_equal(uv_err_name(UV_EBUSY), "EBUSY");
  assert_string_equal(uv_strerror(UV_EBUSY), "resource busy or locked");
  assert_string_equal(uv_err_name(UV_ENOSYS), "ENOSYS");
  assert_int_equal(UV_EINVAL, -EINVAL);
}

/* upstream: error_message (unknown codes) */
static void test_unknown_error(void** state) {
  (void)state;
  assert_string_equal(uv_strerror(-12345), "Unknown system error -12345");
  assert_string_equal(uv_err_name(-12345), "Unknown system error -12345");
}

/* upstream: version */
static void test_version(void** state) {
  (void)state;
  assert_int_equal(uv_version(), UV_VERSION_HEX);
  char expect[32];
  snprintf(expect, sizeof expect, "%d.%d.%d", UV_VERSION_MAJOR, UV_VERSION_MINOR, UV_VERSION_PATCH);
  assert_string_equal(uv_version_string(), expect);
}

/* upstream: hrtime */
static void test_hrtime(void** state) {
  (void)state;
  uint64_t prev = uv_hrtime();
  for (int i = 0; i < 1000; i++) {
    uint64_t now = uv_hrtime();
    assert_true(now >= prev);
    prev = now;
  }
  uint64_t a = uv_hrtime();
  uv_sleep(20);
  uint64_t d = uv_hrtime() - a;
  assert_true(d >= 20 * 1000000ull);
  assert_true(d < 2000 * 1000000ull);
}

/* upstream: buf_init */
static void test_buf_init(void** state) {
  (void)state;
  char data[7];
  uv_buf_t b = uv_buf_init(data, sizeof data);
  assert_ptr_equal(b.base, data);
  assert_int_equal(b.len, 7);
}

/* upstream: strerror_r / err_name_r (uv_err_name_r, uv_strerror_r: bounded,
 * NUL-terminated copies into the caller's buffer, which they return) */
static void test_error_r(void** state) {
  (void)state;
  char buf[64];
  assert_ptr_equal(uv_err_name_r(UV_EINVAL, buf, sizeof buf), buf);
  assert_string_equal(buf, "EINVAL");
  assert_ptr_equal(uv_strerror_r(UV_EINVAL, buf, sizeof buf), buf);
  assert_string_equal(buf, "invalid argument");
  assert_string_equal(uv_strerror_r(UV_EOF, buf, sizeof buf), "end of file");
  /* Truncated to buflen - 1 characters plus the terminator. */
  memset(buf, 'x', sizeof buf);
  assert_string_equal(uv_err_name_r(UV_EINVAL, buf, 4), "EIN");
  assert_int_equal(buf[4], 'x');
  memset(buf, 'x', sizeof buf);
  assert_string_equal(uv_strerror_r(UV_EINVAL, buf, 4), "inv");
  assert_int_equal(buf[4], 'x');
  assert_string_equal(uv_strerror_r(UV_EINVAL, buf, 1), "");
  /* buflen 0 writes nothing at all. */
  memset(buf, 'x', sizeof buf);
  assert_ptr_equal(uv_err_name_r(UV_EINVAL, buf, 0), buf);
  assert_ptr_equal(uv_strerror_r(UV_EINVAL, buf, 0), buf);
  assert_int_equal(buf[0], 'x');
  /* Unknown codes: the same text as uv_strerror / uv_err_name, and cut. */
  assert_string_equal(uv_err_name_r(-12345, buf, sizeof buf), "Unknown system error -12345");
  assert_string_equal(uv_strerror_r(-12345, buf, sizeof buf), "Unknown system error -12345");
  assert_string_equal(uv_strerror_r(-12345, buf, 8), "Unknown");
  assert_string_equal(uv_err_name_r(12345, buf, 23), "Unknown system error 1");
}

/* upstream: translate_sys_error (as libuv uses it: errno in, UV_E* out) */
static void test_translate_sys_error(void** state) {
  (void)state;
  assert_int_equal(uv_translate_sys_error(EINVAL), UV_EINVAL);
  assert_int_equal(uv_translate_sys_error(ENOENT), UV_ENOENT);
  assert_int_equal(uv_translate_sys_error(EAGAIN), UV_EAGAIN);
  assert_string_equal(uv_err_name(uv_translate_sys_error(EPIPE)), "EPIPE");
  /* Already a libuv code (or 0): returned as is. */
  assert_int_equal(uv_translate_sys_error(UV_ENOENT), UV_ENOENT);
  assert_int_equal(uv_translate_sys_error(UV_EOF), UV_EOF);
  assert_int_equal(uv_translate_sys_error(0), 0);
}

/* upstream: gettimeofday */
static void test_gettimeofday(void** state) {
  (void)state;
  uv_timeval64_t tv;
  assert_int_equal(uv_gettimeofday(NULL), UV_EINVAL);
  tv.tv_sec = -1;
  tv.tv_usec = -1;
  time_t before = time(NULL);
  assert_int_equal(uv_gettimeofday(&tv), 0);
  time_t after = time(NULL);
  assert_true(tv.tv_sec >= (int64_t)before - 1 && tv.tv_sec <= (int64_t)after + 1);
  assert_true(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
}

/* Counted but not asserted: which calls allocate differs (libuv allocates
 * for every unknown uv_strerror, Veloq does not). */
static size_t counted_allocs;
static void* counting_malloc(size_t n) { counted_allocs++; return malloc(n); }
static void* counting_realloc(void* p, size_t n) { counted_allocs++; return realloc(p, n); }
static void* counting_calloc(size_t c, size_t n) { counted_allocs++; return calloc(c, n); }
static void counting_free(void* p) { free(p); }

/* upstream: (uv_replace_allocator, as documented) every function is
 * required; a complete set is accepted and libuv keeps working on it */
static void test_replace_allocator(void** state) {
  (void)state;
  assert_int_equal(uv_replace_allocator(NULL, realloc, calloc, free), UV_EINVAL);
  assert_int_equal(uv_replace_allocator(malloc, NULL, calloc, free), UV_EINVAL);
  assert_int_equal(uv_replace_allocator(malloc, realloc, NULL, free), UV_EINVAL);
  assert_int_equal(uv_replace_allocator(malloc, realloc, calloc, NULL), UV_EINVAL);
  assert_int_equal(uv_replace_allocator(counting_malloc, counting_realloc, counting_calloc, counting_free), 0);
  uv_loop_t loop;
  assert_int_equal(uv_loop_init(&loop), 0);
  suite_loop_done(&loop);
  assert_int_equal(uv_replace_allocator(malloc, realloc, calloc, free), 0);
}

/* upstream: library_shutdown (idempotent; kept last: it may release
 * process-wide state the other cases use) */
static void test_library_shutdown(void** state) {
  (void)state;
  uv_library_shutdown();
  uv_library_shutdown();
  assert_string_equal(uv_err_name(UV_EINVAL), "EINVAL");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strerror_and_name), cmocka_unit_test(test_unknown_error),
      cmocka_unit_test(test_version),           cmocka_unit_test(test_hrtime),
      cmocka_unit_test(test_buf_init),          cmocka_unit_test(test_error_r),
      cmocka_unit_test(test_translate_sys_error), cmocka_unit_test(test_gettimeofday),
      cmocka_unit_test(test_replace_allocator), cmocka_unit_test(test_library_shutdown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
