/* Shared helpers for the uv-suite: cmocka plus small assertions.
 * Included by every test file; works against libuv and Veloq alike. */
#ifndef VELOQ_UV_SUITE_H
#define VELOQ_UV_SUITE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

/* Run the loop empty and close it: a handle left open fails the test. */
static inline void suite_loop_done(uv_loop_t* loop) {
  assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_loop_close(loop), 0);
}

#endif
