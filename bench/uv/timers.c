/* timers: --count timers (default a million) started, fired and closed.
 *
 * Timeouts are spread evenly over 0..9 ms (so the heap is exercised with
 * many distinct due times, yet the run is not dominated by waiting). The
 * main value is timers/s over start + fire; the start, fire and close costs
 * per timer are extra fields. Every timer must fire exactly once.
 *
 *   timers [--count N] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "timers";
enum { SPREAD_MS = 10 };

static struct bench_args args = {.count = 1000000};
static const struct bench_args smoke = {.smoke = 1, .count = 10000};
static long fired, closed_count;

static void on_timer(uv_timer_t* t) {
  (void)t;
  fired++;
}

static void on_close(uv_handle_t* h) {
  (void)h;
  closed_count++;
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  long n = args.count;
  uv_timer_t* timers = (uv_timer_t*)calloc((size_t)n, sizeof *timers);
  if (timers == NULL) bench_fail(W, "out of memory for %ld timers", n);
  uv_loop_t loop;
  BENCH_UV(W, uv_loop_init(&loop));

  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < n; ++i) {
    BENCH_UV(W, uv_timer_init(&loop, &timers[i]));
    BENCH_UV(W, uv_timer_start(&timers[i], on_timer, (uint64_t)(i * SPREAD_MS / n), 0));
  }
  uint64_t t1 = bench_now_ns();
  BENCH_UV(W, uv_run(&loop, UV_RUN_DEFAULT));
  uint64_t t2 = bench_now_ns();
  for (long i = 0; i < n; ++i) uv_close((uv_handle_t*)&timers[i], on_close);
  bench_uv_finish(W, &loop);
  uint64_t t3 = bench_now_ns();

  if (fired != n || closed_count != n) bench_fail(W, "%ld timers: %ld fired, %ld closed", n, fired, closed_count);
  bench_result(W, (double)n / ((double)(t2 - t0) / 1e9), "timers/s",
               "start_ns=%.1f fire_ns=%.1f close_ns=%.1f count=%ld impl=%s", (double)(t1 - t0) / (double)n,
               (double)(t2 - t1) / (double)n, (double)(t3 - t2) / (double)n, n, bench_uv_impl());
  free(timers);
  return BENCH_OK;
}
