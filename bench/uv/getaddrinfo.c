/* getaddrinfo: name lookups per second of "localhost" through uv.h.
 *
 * --depth lookups in flight (default 8), each asking uv_getaddrinfo for
 * localhost (AF_INET, SOCK_STREAM), checking the answer is 127.0.0.1, and
 * asking again, for --secs seconds. Both libraries run the libc resolver on
 * a thread pool; what differs is the cost of getting there and back.
 *
 *   getaddrinfo [--depth K] [--secs S] [--smoke]
 */
#include "bench_uv.h"

static const char* const W = "getaddrinfo";

struct lookup {
  uv_getaddrinfo_t req;
};

static struct bench_args args = {.secs = 3.0, .depth = 8};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.05, .depth = 2};
static uv_loop_t loop;
static uint64_t deadline, lookups;
static long active;
static struct addrinfo hints;

static void ask(struct lookup* l);

static void answered(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  struct lookup* l = BENCH_CONTAINER(req, struct lookup, req);
  if (status < 0) bench_fail(W, "getaddrinfo: %s", uv_err_name(status));
  const struct sockaddr_in* a = res != NULL ? (const struct sockaddr_in*)res->ai_addr : NULL;
  if (a == NULL || a->sin_family != AF_INET || a->sin_addr.s_addr != htonl(INADDR_LOOPBACK))
    bench_fail(W, "localhost is not 127.0.0.1");
  uv_freeaddrinfo(res);
  lookups++;
  ask(l);
}

static void ask(struct lookup* l) {
  if (bench_now_ns() >= deadline) {
    active--;
    return;
  }
  BENCH_UV(W, uv_getaddrinfo(&loop, &l->req, answered, "localhost", NULL, &hints));
}

int main(int argc, char** argv) {
  bench_parse(argc, argv, &args, &smoke);
  BENCH_UV(W, uv_loop_init(&loop));
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  struct lookup* ls = (struct lookup*)calloc((size_t)args.depth, sizeof *ls);
  if (ls == NULL) bench_fail(W, "out of memory");
  uint64_t t0 = bench_now_ns();
  deadline = t0 + (uint64_t)(args.secs * 1e9);
  active = args.depth;
  for (long i = 0; i < args.depth; ++i) ask(&ls[i]);
  BENCH_UV(W, uv_run(&loop, UV_RUN_DEFAULT));
  double secs = (double)(bench_now_ns() - t0) / 1e9;
  bench_uv_finish(W, &loop);
  if (active != 0 || lookups == 0) bench_fail(W, "%ld lookups active, %llu done", active, (unsigned long long)lookups);
  bench_result(W, (double)lookups / secs, "lookups/s", "depth=%ld impl=%s", args.depth, bench_uv_impl());
  free(ls);
  return BENCH_OK;
}
