/* async: uv_async_send from --threads producer threads to one loop.
 *
 * Each producer calls uv_async_send in a tight loop for --secs seconds; the
 * loop counts its callbacks. libuv coalesces sends that arrive while one is
 * pending, so callbacks <= sends: the main value is delivered callbacks/s
 * (how fast the loop is woken and dispatches), with sends/s and the
 * coalescing ratio (sends per callback) as extra fields.
 *
 * Ending is race-free: producers stop when they see `stop`, then bump
 * `producers_done` after their last send has returned; a 1 ms timer on the
 * loop closes the async handle only once every producer is done, so no send
 * can touch a closed handle and none is left undelivered unobserved.
 *
 *   async [--threads N] [--secs S] [--smoke]
 */
#include <stdatomic.h>

#include "bench_uv.h"

static const char* const W = "async";

static struct bench_args args = {.secs = 3.0, .threads = 1};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .threads = 2};
static uv_async_t async_h;
static uv_timer_t timer_h;
static atomic_int go, stop, producers_done;
static atomic_ullong total_sends;
static uint64_t callbacks, t_start, t_end;

static void on_async(uv_async_t* a) {
  (void)a;
  callbacks++;
}

static void* producer(void* arg) {
  (void)arg;
  unsigned long long sends = 0;
  while (!atomic_load_explicit(&go, memory_order_acquire)) {
  }
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    int rc = uv_async_send(&async_h);
    if (rc < 0) bench_fail(W, "uv_async_send: %s", uv_err_name(rc));
    sends++;
  }
  atomic_fetch_add(&total_sends, sends);
  atomic_fetch_add_explicit(&producers_done, 1, memory_order_release);
  return NULL;
}

/* First at --secs: tell the producers to stop; then every 1 ms until they
 * all have, then close both handles (ends uv_run). */
static void on_timer(uv_timer_t* t) {
  if (!atomic_load(&stop)) {
    atomic_store(&stop, 1);
    t_end = bench_now_ns();
    uv_timer_start(t, on_timer, 1, 1);
    return;
  }
  if (atomic_load_explicit(&producers_done, memory_order_acquire) < args.threads) return;
  uv_close((uv_handle_t*)&async_h, NULL);
  uv_close((uv_handle_t*)&timer_h, NULL);
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  uv_loop_t loop;
  BENCH_UV(W, uv_loop_init(&loop));
  BENCH_UV(W, uv_async_init(&loop, &async_h, on_async));
  BENCH_UV(W, uv_timer_init(&loop, &timer_h));
  pthread_t* th = (pthread_t*)calloc((size_t)args.threads, sizeof *th);
  if (th == NULL) bench_fail(W, "out of memory");
  for (long i = 0; i < args.threads; ++i)
    if (pthread_create(&th[i], NULL, producer, NULL) != 0) bench_fail(W, "pthread_create");
  uv_update_time(&loop);
  BENCH_UV(W, uv_timer_start(&timer_h, on_timer, (uint64_t)(args.secs * 1000), 0));
  t_start = bench_now_ns();
  atomic_store_explicit(&go, 1, memory_order_release);
  /* Callbacks counted after t_end (while producers wind down) are few; the
   * window is the producers' sending time. */
  bench_uv_finish(W, &loop);
  for (long i = 0; i < args.threads; ++i) pthread_join(th[i], NULL);
  free(th);

  unsigned long long sends = atomic_load(&total_sends);
  if (callbacks == 0 || callbacks > sends) bench_fail(W, "%llu sends, %llu callbacks", sends,
                                                      (unsigned long long)callbacks);
  double secs = (double)(t_end - t_start) / 1e9;
  bench_result(W, (double)callbacks / secs, "callbacks/s", "threads=%ld sends_per_s=%.1f coalesce=%.2f impl=%s",
               args.threads, (double)sends / secs, (double)sends / (double)callbacks, bench_uv_impl());
  return BENCH_OK;
}
