/* spawn: child processes started and reaped per second through uv.h.
 *
 * --depth spawn chains (default 1), each running /bin/true with ignored
 * stdio again and again for --secs seconds: uv_spawn, exit_cb (exit status 0
 * checked), uv_close of the process handle, next. Main value: processes/s.
 *
 *   spawn [--depth K] [--secs S] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "spawn";

struct chain {
  uv_process_t proc;
};

static struct bench_args args = {.secs = 3.0, .depth = 1};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.05, .depth = 2};
static uv_loop_t loop;
static uint64_t deadline, spawned;
static long active;
static char* child_args[] = {"/bin/true", NULL};

static void launch(struct chain* c);

static void closed(uv_handle_t* h) {
  struct chain* c = BENCH_CONTAINER(h, struct chain, proc);
  launch(c);
}

static void exited(uv_process_t* p, int64_t status, int signo) {
  if (status != 0 || signo != 0) bench_fail(W, "child exit %lld signal %d", (long long)status, signo);
  spawned++;
  uv_close((uv_handle_t*)p, closed);
}

static void launch(struct chain* c) {
  if (bench_now_ns() >= deadline) {
    active--;
    return;
  }
  uv_stdio_container_t stdio[3] = {{.flags = UV_IGNORE}, {.flags = UV_IGNORE}, {.flags = UV_IGNORE}};
  uv_process_options_t o;
  memset(&o, 0, sizeof o);
  o.file = child_args[0];
  o.args = child_args;
  o.exit_cb = exited;
  o.stdio_count = 3;
  o.stdio = stdio;
  int rc = uv_spawn(&loop, &c->proc, &o);
  if (rc != 0) {
    uv_close((uv_handle_t*)&c->proc, NULL); /* libuv initialises the handle even on failure */
    uv_run(&loop, UV_RUN_NOWAIT);
    if (rc == UV_ENOSYS) bench_unsupported(W, "uv_spawn:ENOSYS");
    bench_fail(W, "uv_spawn: %s", uv_err_name(rc));
  }
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  BENCH_UV(W, uv_loop_init(&loop));
  struct chain* cs = (struct chain*)calloc((size_t)args.depth, sizeof *cs);
  if (cs == NULL) bench_fail(W, "out of memory");
  uint64_t t0 = bench_now_ns();
  deadline = t0 + (uint64_t)(args.secs * 1e9);
  active = args.depth;
  for (long i = 0; i < args.depth; ++i) launch(&cs[i]);
  BENCH_UV(W, uv_run(&loop, UV_RUN_DEFAULT));
  double secs = (double)(bench_now_ns() - t0) / 1e9;
  bench_uv_finish(W, &loop);
  if (active != 0 || spawned == 0) bench_fail(W, "%ld chains active, %llu spawned", active, (unsigned long long)spawned);
  bench_result(W, (double)spawned / secs, "procs/s", "depth=%ld impl=%s", args.depth, bench_uv_impl());
  free(cs);
  return BENCH_OK;
}
