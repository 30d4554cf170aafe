/* bench_percore.h -- what the sharded programs (uv loops on every core through
 * include/veloq/uv_ext.h; Veloq only) share: the sharded listener, steering of
 * connections to their client's core, and the count of connections served on
 * the core that opened them.
 *
 * Steering: veloq_uv_tcp_listen_sharded puts one SO_REUSEPORT listener on
 * every core, and the kernel picks one per incoming connection by a hash of
 * the 4-tuple, so a connection opened on core 0 is served on core 1 about
 * half the time (a cross-core hop per message), and with few connections the
 * cores get unequal shares. A thread-per-core server also sets SO_INCOMING_CPU
 * on each core's listener (Linux >= 6.1 honours it inside a reuseport group):
 * the kernel then picks the listener of the CPU the SYN was processed on,
 * which on loopback is the connecting thread's. bench_percore_listen does that
 * unless --hash is given (the kernel's hash alone). A core whose thread is not
 * pinned (veloq_uv_percore_cpu < 0) is left to the hash.
 */
#ifndef VELOQ_BENCH_PERCORE_H
#define VELOQ_BENCH_PERCORE_H

#include "bench_uv.h"
#include "veloq/uv_ext.h"

#ifndef SO_INCOMING_CPU
#define SO_INCOMING_CPU 49
#endif

#define BENCH_MAX_CORES 256

/* The core + 1 that accepted the connection whose client port is the index
 * (written by that core's thread, read by main after veloq_uv_percore_join). */
static unsigned short bench_served_on[65536];

/* Remove `--hash` from argv (bench_parse does not know it); returns 1 if given. */
static inline int bench_percore_hash_flag(int* argc, char** argv) {
  int kept = 1, hash = 0;
  for (int i = 1; i < *argc; i++) {
    if (strcmp(argv[i], "--hash") == 0) hash = 1;
    else argv[kept++] = argv[i];
  }
  *argc = kept;
  return hash;
}

/* The local (peer = 0) or remote (peer = 1) port of a connected handle. */
static inline int bench_tcp_port(const char* workload, uv_tcp_t* tcp, int peer) {
  struct sockaddr_storage sa;
  int len = sizeof sa;
  if (peer) BENCH_UV(workload, uv_tcp_getpeername(tcp, (struct sockaddr*)&sa, &len));
  else BENCH_UV(workload, uv_tcp_getsockname(tcp, (struct sockaddr*)&sa, &len));
  return ntohs(((struct sockaddr_in*)&sa)->sin_port);
}

/* One listener per core on 127.0.0.1 (port 0: the kernel picks one, shared by
 * all), steered unless `hash`; returns the port. Call from main, not a core.
 * uv_fileno only reads the fd, set on each core before listen_sharded returned
 * (it waits for every core); setsockopt on it is the kernel's business. */
static inline int bench_percore_listen(const char* workload, veloq_uv_percore_t* pc, uv_tcp_t* listeners,
                                       uv_connection_cb cb, int hash) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  socklen_t len = sizeof bound;
  uv_os_fd_t fd;
  BENCH_UV(workload, uv_ip4_addr("127.0.0.1", 0, &addr));
  BENCH_UV(workload, veloq_uv_tcp_listen_sharded(pc, (const struct sockaddr*)&addr, 1024, listeners, cb));
  for (unsigned i = 0; !hash && i < veloq_uv_percore_count(pc); i++) {
    int cpu = veloq_uv_percore_cpu(pc, i);
    BENCH_UV(workload, uv_fileno((uv_handle_t*)&listeners[i], &fd));
    if (cpu >= 0 && setsockopt(fd, SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof cpu) != 0)
      bench_fail(workload, "SO_INCOMING_CPU: %s", strerror(errno));
  }
  BENCH_UV(workload, uv_fileno((uv_handle_t*)&listeners[0], &fd));
  if (getsockname(fd, (struct sockaddr*)&bound, &len) != 0) bench_fail(workload, "getsockname");
  return ntohs(((struct sockaddr_in*)&bound)->sin_port);
}

/* On the accepting core: remember which core serves this client port. */
static inline void bench_percore_served(const char* workload, uv_tcp_t* accepted, int core) {
  bench_served_on[bench_tcp_port(workload, accepted, 1)] = (unsigned short)(core + 1);
}

/* A listener's connection_cb on core `core`: accept a server connection
 * counted in `srv`, marked for bench_percore_teardown, and read it with
 * `read_cb` (bench_read echoes or counts into srv). */
static inline void bench_percore_accept(const char* workload, uv_stream_t* l, int status, int core,
                                        struct bench_server* srv, void* marker, uv_read_cb read_cb) {
  if (status < 0) bench_fail(workload, "listen cb: %s", uv_err_name(status));
  if (core < 0) bench_fail(workload, "accept off its core");
  struct bench_conn* c = (struct bench_conn*)calloc(1, sizeof *c);
  if (c == NULL) bench_fail(workload, "out of memory");
  c->srv = srv;
  BENCH_UV(workload, uv_tcp_init(l->loop, &c->tcp));
  c->tcp.data = marker;
  BENCH_UV(workload, uv_accept(l, (uv_stream_t*)&c->tcp));
  (void)bench_uv_tune(workload, &c->tcp);
  bench_percore_served(workload, &c->tcp, core);
  BENCH_UV(workload, uv_read_start((uv_stream_t*)&c->tcp, bench_alloc, read_cb));
}

/* Stop's teardown: the server connections still open (marked: their tcp.data
 * is `marker`; their peers may have closed on other cores) are closed with
 * bench_conn_closed. */
static void bench_percore_close_marked(uv_handle_t* h, void* marker) {
  if (h->type == UV_TCP && h->data == marker && !uv_is_closing(h)) uv_close(h, bench_conn_closed);
}
static void bench_percore_teardown(uv_loop_t* loop, unsigned core, void* marker) {
  (void)core;
  uv_walk(loop, bench_percore_close_marked, marker);
}

/* A loop per core (`threads` of them, 0: one per CPU) with that teardown;
 * returns the core count. Exits on failure (ENOSYS: unsupported). */
static inline unsigned bench_percore_start(const char* workload, veloq_uv_percore_t** pc, long threads,
                                           void* marker) {
  int r = veloq_uv_percore_start(pc, threads > 0 ? (unsigned)threads : 0, NULL, bench_percore_teardown, marker);
  if (r == UV_ENOSYS) bench_unsupported(workload, "veloq_uv_percore_start:ENOSYS");
  if (r < 0) bench_fail(workload, "veloq_uv_percore_start: %s", uv_err_name(r));
  unsigned n = veloq_uv_percore_count(*pc);
  if (n > BENCH_MAX_CORES) bench_fail(workload, "too many cores");
  return n;
}


/* After the join: was the connection from client port `port`, opened on
 * core `core`, served on that same core? */
static inline int bench_percore_local(int port, unsigned core) {
  return bench_served_on[port] == core + 1;
}

#endif /* VELOQ_BENCH_PERCORE_H */
