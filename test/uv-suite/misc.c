/* Errors, version, hrtime, buffers. */
#include <errno.h>
#include <stdio.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strerror_and_name), cmocka_unit_test(test_unknown_error),
      cmocka_unit_test(test_version),           cmocka_unit_test(test_hrtime),
      cmocka_unit_test(test_buf_init),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
