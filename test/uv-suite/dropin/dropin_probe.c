/* Drop-in proof: built against the SYSTEM uv.h and linked with the system
 * libuv, run with LD_LIBRARY_PATH at Veloq's libuv.so.1. It checks that
 * Veloq's library was the one loaded (its veloq_uv_implementation probe is
 * resolvable) and that a timer loop still behaves. Exit 0 = pass. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <uv.h>

static int calls;
static void cb(uv_timer_t* t) {
  if (++calls == 3) uv_timer_stop(t);
}

int main(void) {
  const char* (*probe)(void) = (const char* (*)(void))dlsym(RTLD_DEFAULT, "veloq_uv_implementation");
  if (probe == NULL) {
    fprintf(stderr, "system libuv loaded, not Veloq's libuv.so.1\n");
    return 1;
  }
  printf("loaded: %s, uv %s\n", probe(), uv_version_string());
  uv_loop_t loop;
  uv_timer_t t;
  if (uv_loop_init(&loop) != 0) return 2;
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, cb, 1, 1);
  if (uv_run(&loop, UV_RUN_DEFAULT) != 0 || calls != 3) return 3;
  uv_close((uv_handle_t*)&t, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop) == 0 ? 0 : 4;
}
