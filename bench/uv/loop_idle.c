/* loop_idle: the cost of one loop turn with nothing to do.
 *
 * Main value: uv_run(UV_RUN_NOWAIT) turns/s on a loop kept alive by one timer
 * due in an hour, so every turn goes through all the phases, including a
 * poll of the backend with timeout 0 (a syscall), and dispatches nothing.
 * Extra field: turns/s on a loop with no active handle (uv_run only updates
 * the time and returns).
 *
 *   loop_idle [--secs S] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "loop_idle";

static struct bench_args args = {.secs = 3.0};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.05};

static void never(uv_timer_t* t) { bench_fail(W, "the one-hour timer fired (%p)", (void*)t); }

/* Turns of uv_run(NOWAIT) done in `secs` seconds, per second. `want_alive`
 * is what uv_run must return each turn. */
static double turns_per_s(uv_loop_t* loop, double secs, int want_alive) {
  uint64_t t0 = bench_now_ns(), limit = (uint64_t)(secs * 1e9), t = t0;
  uint64_t turns = 0;
  for (;;) {
    for (int i = 0; i < 1024; ++i) { /* read the clock once per 1024 turns */
      if ((uv_run(loop, UV_RUN_NOWAIT) != 0) != want_alive) bench_fail(W, "uv_run: loop alive changed");
    }
    turns += 1024;
    t = bench_now_ns();
    if (t - t0 >= limit) break;
  }
  return (double)turns / ((double)(t - t0) / 1e9);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  uv_loop_t loop;
  uv_timer_t timer;
  BENCH_UV(W, uv_loop_init(&loop));
  BENCH_UV(W, uv_timer_init(&loop, &timer));
  BENCH_UV(W, uv_timer_start(&timer, never, 3600 * 1000, 0));
  double alive = turns_per_s(&loop, args.secs, 1);
  BENCH_UV(W, uv_timer_stop(&timer));
  double empty = turns_per_s(&loop, args.secs / 2, 0);
  uv_close((uv_handle_t*)&timer, NULL);
  bench_uv_finish(W, &loop);
  bench_result(W, alive, "turns/s", "empty_turns_per_s=%.1f impl=%s", empty, bench_uv_impl());
  return BENCH_OK;
}
