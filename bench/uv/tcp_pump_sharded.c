/* tcp_pump_sharded: tcp_pump with a uv loop on every core (Veloq only).
 *
 * The uv extensions (include/veloq/uv_ext.h) start one loop per core
 * (veloq_uv_percore_start); a sink server listens on every core
 * (veloq_uv_tcp_listen_sharded: SO_REUSEPORT, one listener per core, steered
 * to the connecting core with SO_INCOMING_CPU unless --hash: see
 * bench_percore.h), and every core's loop also runs its share of the --conns
 * pump connections (conn i on core i % cores; default one per core), each
 * keeping --depth 64 KiB writes queued for --secs seconds after that core's
 * connections are up. Prints MB/s (10^6 bytes) received over all the sinks,
 * from the first byte any of them saw to the last; checks every byte sent
 * arrived. `local=` counts the connections served on the core that opened
 * them.
 *
 * libuv has no such API, so this is built only against Veloq
 * (bench_uv_tcp_pump_sharded_veloq); bench/run puts it next to libuv's
 * tcp_pump --one-loop with the same connections on one loop, and next to
 * that program run as one process per core (bench_nproc).
 *
 *   tcp_pump_sharded [--secs S] [--conns N] [--depth N] [--threads CORES] [--hash] [--smoke]
 */
#include <stdatomic.h>

#include "bench_percore.h"

static const char* const W = "tcp_pump_sharded";

struct pump {
  uv_tcp_t tcp;
  uv_connect_t creq;
  uv_shutdown_t sreq;
  uv_write_t* wreqs;
  unsigned core;
  long in_flight;
  int port; /* local port, for the locality count */
};

/* Everything a core's loop touches, written only on its thread (read by main
 * after the join). */
struct core_state {
  struct bench_server srv; /* the sink's part (mode, bytes, first/last byte) for bench_read */
  long nconns, connected, closed;
  uint64_t t_start, sent;
  const char* cc;
};

static struct bench_args args = {.secs = 5.0, .conns = 0, .depth = 4};
static const struct bench_args smoke = {.smoke = 1, .secs = 0.1, .conns = 0, .depth = 2};
static veloq_uv_percore_t* pc;
static unsigned ncores;
static struct core_state* cores;
static struct pump* pumps;
static uv_tcp_t listeners[BENCH_MAX_CORES];
static int port;
static char chunk[BENCH_PUMP_CHUNK];
static atomic_long clients_done; /* cores whose pumps are all closed */
static atomic_long sinks_done;   /* sink connections that saw EOF */

static void written(uv_write_t* req, int status);

static void write_chunk(struct pump* p, uv_write_t* req) {
  uv_buf_t b = uv_buf_init(chunk, sizeof chunk);
  req->data = p;
  BENCH_UV(W, uv_write(req, (uv_stream_t*)&p->tcp, &b, 1, written));
  p->in_flight++;
}

static void closed(uv_handle_t* h) {
  struct pump* p = (struct pump*)h;
  struct core_state* cs = &cores[p->core];
  if (++cs->closed == cs->nconns) atomic_fetch_add(&clients_done, 1);
}

static void shut(uv_shutdown_t* req, int status) {
  if (status < 0) bench_fail(W, "shutdown: %s", uv_err_name(status));
  uv_close((uv_handle_t*)req->handle, closed);
}

static void written(uv_write_t* req, int status) {
  struct pump* p = (struct pump*)req->data;
  struct core_state* cs = &cores[p->core];
  if (status < 0) bench_fail(W, "write: %s", uv_err_name(status));
  p->in_flight--;
  cs->sent += sizeof chunk;
  if (bench_now_ns() - cs->t_start < (uint64_t)(args.secs * 1e9)) write_chunk(p, req);
  else if (p->in_flight == 0) BENCH_UV(W, uv_shutdown(&p->sreq, (uv_stream_t*)&p->tcp, shut));
}

static void on_connect(uv_connect_t* req, int status) {
  struct pump* p = BENCH_CONTAINER(req, struct pump, creq);
  struct core_state* cs = &cores[p->core];
  if (status < 0) bench_fail(W, "connect: %s", uv_err_name(status));
  cs->cc = bench_uv_tune(W, &p->tcp);
  p->port = bench_tcp_port(W, &p->tcp, 0);
  if (++cs->connected < cs->nconns) return;
  cs->t_start = bench_now_ns(); /* this core's connections are up: start them together */
  for (long i = p->core; i < args.conns; i += ncores)
    for (long d = 0; d < args.depth; d++) write_chunk(&pumps[i], &pumps[i].wreqs[d]);
}

/* The sink: bench_read counts into this core's srv and closes on EOF. */
static void sink_read(uv_stream_t* st, ssize_t n, const uv_buf_t* buf) {
  bench_read(st, n, buf);
  if (n < 0) atomic_fetch_add(&sinks_done, 1);
}

static void on_accept(uv_stream_t* l, int status) {
  int core = veloq_uv_percore_self(pc);
  bench_percore_accept(W, l, status, core, core >= 0 ? &cores[core].srv : NULL, &cores, sink_read);
}

/* Posted to each core: connect its share of the pumps. */
static void start_clients(uv_loop_t* loop, void* arg) {
  unsigned core = (unsigned)(uintptr_t)arg;
  for (long i = core; i < args.conns; i += ncores) {
    pumps[i].core = core;
    BENCH_UV(W, uv_tcp_init(loop, &pumps[i].tcp));
    bench_connect(W, &pumps[i].tcp, &pumps[i].creq, port, on_connect);
  }
}

int main(int argc, char** argv) {
  int hash = bench_percore_hash_flag(&argc, argv);
  bench_parse(argc, argv, &args, &smoke);
  bench_require_tcp(W);
  memset(chunk, 'x', sizeof chunk);
  ncores = bench_percore_start(W, &pc, args.threads, &cores); /* server conns' data: &cores */
  if (args.conns < (long)ncores) args.conns = ncores; /* every core pumps */
  cores = (struct core_state*)calloc(ncores, sizeof *cores);
  pumps = (struct pump*)calloc((size_t)args.conns, sizeof *pumps);
  if (cores == NULL || pumps == NULL) bench_fail(W, "out of memory");
  for (long i = 0; i < args.conns; i++) {
    pumps[i].wreqs = (uv_write_t*)calloc((size_t)args.depth, sizeof *pumps[i].wreqs);
    if (pumps[i].wreqs == NULL) bench_fail(W, "out of memory");
  }
  for (unsigned i = 0; i < ncores; i++) {
    cores[i].srv.workload = W;
    cores[i].srv.mode = BENCH_SINK;
    cores[i].cc = "?";
    for (long k = i; k < args.conns; k += ncores) cores[i].nconns++;
  }
  port = bench_percore_listen(W, pc, listeners, on_accept, hash);
  for (unsigned i = 0; i < ncores; i++) BENCH_UV(W, veloq_uv_post(pc, i, start_clients, (void*)(uintptr_t)i));
  /* Bounded: the pumps stop after --secs; a sink that never sees EOF is a bug. */
  uint64_t deadline = bench_now_ns() + (uint64_t)((args.secs + 60) * 1e9);
  while (atomic_load(&clients_done) < (long)ncores || atomic_load(&sinks_done) < args.conns) {
    if (bench_now_ns() > deadline)
      bench_fail(W, "not done 60 s after the end: %ld of %u cores closed, %ld of %ld sinks saw EOF",
                 atomic_load(&clients_done), ncores, atomic_load(&sinks_done), args.conns);
    usleep(1000);
  }
  BENCH_UV(W, veloq_uv_percore_join(pc));
  uint64_t bytes = 0, sent = 0, first = UINT64_MAX, last = 0;
  long local = 0;
  for (unsigned i = 0; i < ncores; i++) {
    struct core_state* cs = &cores[i];
    sent += cs->sent;
    bytes += cs->srv.bytes;
    if (cs->srv.bytes == 0) continue; /* this core's listener got no connection */
    if (cs->srv.first_ns < first) first = cs->srv.first_ns;
    if (cs->srv.last_ns > last) last = cs->srv.last_ns;
  }
  for (long i = 0; i < args.conns; i++) local += bench_percore_local(pumps[i].port, pumps[i].core);
  if (bytes != sent || sent == 0 || last <= first)
    bench_fail(W, "sent %llu bytes, received %llu", (unsigned long long)sent, (unsigned long long)bytes);
  bench_result(W, (double)bytes / ((double)(last - first) / 1e9) / 1e6, "MB/s",
               "bytes=%llu conns=%ld depth=%ld loops=%u local=%ld steered=%d cpu_s=%.2f cc=%s impl=%s",
               (unsigned long long)bytes, args.conns, args.depth, ncores, local, !hash, bench_cpu_secs(), cores[0].cc,
               bench_uv_impl());
  for (long i = 0; i < args.conns; i++) free(pumps[i].wreqs);
  free(pumps);
  free(cores);
  return BENCH_OK;
}
