/* Veloq-only tests of the per-core uv extensions (include/veloq/uv_ext.h):
 * veloq_uv_percore_*, veloq_uv_post, veloq_uv_tcp_listen_sharded.
 *
 * A plain C program (no test framework: it runs under TSan, see
 * test/uvext/CMakeLists.txt). The oracle has no veloq_uv_*, so there is no
 * libuv twin; each case states what it checks. Waits are bounded by a
 * generous deadline (the machine is shared), never by a tight timing.
 *
 *   uvext_percore [case]   (no argument: every case)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include "veloq/uv_ext.h"

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      exit(1);                                                                 \
    }                                                                          \
  } while (0)
#define CHECK_EQ(a, b)                                                                              \
  do {                                                                                              \
    long long va_ = (long long)(a), vb_ = (long long)(b);                                           \
    if (va_ != vb_) {                                                                               \
      fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n", __FILE__, __LINE__, #a, #b, \
              va_, vb_);                                                                            \
      exit(1);                                                                                      \
    }                                                                                               \
  } while (0)

#define MAX_CORES 64
#define DEADLINE_S 60

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Wait (sleeping) until *v >= want, at most DEADLINE_S. */
static void wait_at_least(atomic_long* v, long want) {
  uint64_t end = now_ms() + DEADLINE_S * 1000u;
  while (atomic_load(v) < want) {
    CHECK(now_ms() < end);
    usleep(1000);
  }
}

static size_t count_fds(void) {
  size_t n = 0;
  DIR* d = opendir("/proc/self/fd");
  struct dirent* e;
  CHECK(d != NULL);
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n - 1; /* the DIR's own fd */
}

/* 0 (one core per CPU) unless the machine has more CPUs than the arrays here. */
static unsigned all_cores(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > MAX_CORES ? MAX_CORES : 0;
}

/* ---- loops on distinct pinned threads -------------------------------------- */

static pthread_t setup_thread[MAX_CORES];
static int setup_self[MAX_CORES];
static int setup_cpu_ok[MAX_CORES];
static uv_loop_t* setup_loop[MAX_CORES];
static atomic_long teardowns;
static veloq_uv_percore_t* g_pc;

static void threads_setup(uv_loop_t* loop, unsigned core, void* arg) {
  cpu_set_t set;
  CHECK(arg == &setup_thread);
  setup_thread[core] = pthread_self();
  setup_loop[core] = loop;
  setup_self[core] = veloq_uv_percore_self(g_pc); /* *out is set before any setup runs */
  CPU_ZERO(&set);
  CHECK_EQ(pthread_getaffinity_np(pthread_self(), sizeof set, &set), 0);
  setup_cpu_ok[core] = CPU_COUNT(&set) == 1 ? 0 : -1;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set) && CPU_COUNT(&set) == 1) setup_cpu_ok[core] = c;
}

static void threads_teardown(uv_loop_t* loop, unsigned core, void* arg) {
  CHECK(arg == &setup_thread);
  CHECK(pthread_equal(pthread_self(), setup_thread[core]));
  CHECK(loop == setup_loop[core]);
  atomic_fetch_add(&teardowns, 1);
}

static atomic_long self_checked;
static void check_self(uv_loop_t* loop, void* arg) {
  unsigned core = (unsigned)(uintptr_t)arg;
  CHECK(loop == setup_loop[core]);
  CHECK(pthread_equal(pthread_self(), setup_thread[core]));
  CHECK_EQ(veloq_uv_percore_self(g_pc), core);
  atomic_fetch_add(&self_checked, 1);
}

/* Every core: its own thread, pinned to one CPU (distinct while there are
 * enough CPUs), its loop is veloq_uv_percore_loop's, posts run there,
 * teardown runs there, join returns 0 (every uv_loop_close returned 0). */
static void case_threads(void) {
  veloq_uv_percore_t* pc = NULL;
  unsigned n, i, j;
  CHECK_EQ(veloq_uv_percore_start(NULL, 1, NULL, NULL, NULL), UV_EINVAL);
  CHECK_EQ(veloq_uv_percore_start(&g_pc, all_cores(), threads_setup, threads_teardown, &setup_thread), 0);
  pc = g_pc;
  n = veloq_uv_percore_count(pc);
  CHECK(n >= 1 && n <= MAX_CORES);
  CHECK(veloq_uv_percore_loop(pc, n) == NULL);
  CHECK_EQ(veloq_uv_percore_self(pc), -1); /* the main thread is no core */
  for (i = 0; i < n; i++) {
    CHECK(veloq_uv_percore_loop(pc, i) == setup_loop[i]);
    CHECK_EQ(setup_self[i], i);
    if (veloq_uv_percore_cpu(pc, i) >= 0) CHECK_EQ(setup_cpu_ok[i], veloq_uv_percore_cpu(pc, i));
    for (j = 0; j < i; j++) {
      CHECK(!pthread_equal(setup_thread[i], setup_thread[j]));
      if (veloq_uv_percore_cpu(pc, i) >= 0 && veloq_uv_percore_cpu(pc, j) >= 0)
        CHECK(veloq_uv_percore_cpu(pc, i) != veloq_uv_percore_cpu(pc, j));
    }
    CHECK_EQ(veloq_uv_post(pc, i, check_self, (void*)(uintptr_t)i), 0);
  }
  CHECK_EQ(veloq_uv_post(pc, n, check_self, NULL), UV_EINVAL);
  CHECK_EQ(veloq_uv_post(pc, 0, NULL, NULL), UV_EINVAL);
  wait_at_least(&self_checked, (long)n);
  CHECK_EQ(veloq_uv_percore_stop(pc), 0);
  CHECK_EQ(veloq_uv_percore_stop(pc), 0); /* a second stop is a no-op */
  CHECK_EQ(veloq_uv_post(pc, 0, check_self, NULL), UV_ECANCELED);
  CHECK_EQ(veloq_uv_percore_join(pc), 0);
  CHECK_EQ(atomic_load(&teardowns), n);
}

/* ---- post: per-sender order, no loss --------------------------------------- */

#define SENDERS 3          /* the main thread + 2 plain threads */
#define POSTS_PER 40000    /* per sender, spread over the cores: > 100k in all */

struct msg {
  unsigned sender;
  long seq; /* per (sender, core), from 1 */
};
static struct msg* msgs[SENDERS];
static long last_seq[MAX_CORES][SENDERS]; /* written only on core c's thread */
static atomic_long delivered;
static atomic_long relayed;
static unsigned post_cores;

static void relay_cb(uv_loop_t* loop, void* arg) {
  (void)loop;
  (void)arg;
  atomic_fetch_add(&relayed, 1);
}

static void order_cb(uv_loop_t* loop, void* arg) {
  struct msg* m = arg;
  int core = veloq_uv_percore_self(g_pc);
  CHECK(core >= 0);
  CHECK(loop == veloq_uv_percore_loop(g_pc, (unsigned)core));
  CHECK_EQ(m->seq, last_seq[core][m->sender] + 1);
  last_seq[core][m->sender] = m->seq;
  /* core to core: every 100th message is relayed to the next core */
  if (m->seq % 100 == 0) CHECK_EQ(veloq_uv_post(g_pc, ((unsigned)core + 1) % post_cores, relay_cb, NULL), 0);
  atomic_fetch_add(&delivered, 1);
}

static void* sender_main(void* arg) {
  unsigned s = (unsigned)(uintptr_t)arg;
  long seq[MAX_CORES] = {0};
  for (long k = 0; k < POSTS_PER; k++) {
    unsigned core = (unsigned)(k * 7 + s) % post_cores;
    struct msg* m = &msgs[s][k];
    m->sender = s;
    m->seq = ++seq[core];
    CHECK_EQ(veloq_uv_post(g_pc, core, order_cb, m), 0);
  }
  return NULL;
}

static void case_post_order(void) {
  veloq_uv_percore_t* pc = NULL;
  pthread_t th[SENDERS];
  long relays = 0;
  /* at least 2 cores, even on a 1-CPU machine (threads then share it) */
  CHECK_EQ(veloq_uv_percore_start(&pc, all_cores(), NULL, NULL, NULL), 0);
  if (veloq_uv_percore_count(pc) < 2) {
    CHECK_EQ(veloq_uv_percore_join(pc), 0);
    CHECK_EQ(veloq_uv_percore_start(&pc, 2, NULL, NULL, NULL), 0);
  }
  g_pc = pc;
  post_cores = veloq_uv_percore_count(pc);
  for (unsigned s = 0; s < SENDERS; s++) CHECK((msgs[s] = calloc(POSTS_PER, sizeof(struct msg))) != NULL);
  for (unsigned s = 1; s < SENDERS; s++) CHECK_EQ(pthread_create(&th[s], NULL, sender_main, (void*)(uintptr_t)s), 0);
  sender_main((void*)(uintptr_t)0);
  for (unsigned s = 1; s < SENDERS; s++) CHECK_EQ(pthread_join(th[s], NULL), 0);
  wait_at_least(&delivered, (long)SENDERS * POSTS_PER);
  for (unsigned s = 0; s < SENDERS; s++)
    for (long k = 0; k < POSTS_PER; k++)
      if (msgs[s][k].seq % 100 == 0) relays++;
  wait_at_least(&relayed, relays);
  CHECK_EQ(veloq_uv_percore_join(pc), 0);
  CHECK_EQ(atomic_load(&delivered), (long)SENDERS * POSTS_PER); /* nothing ran twice */
  CHECK_EQ(atomic_load(&relayed), relays);
  for (unsigned s = 0; s < SENDERS; s++) free(msgs[s]);
}

/* ---- posts accepted before a stop all run before the teardown -------------- */

static atomic_long before_stop_ran;
static atomic_long teardown_saw;
static void count_cb(uv_loop_t* loop, void* arg) {
  (void)loop;
  (void)arg;
  atomic_fetch_add(&before_stop_ran, 1);
}
static void drain_teardown(uv_loop_t* loop, unsigned core, void* arg) {
  (void)loop;
  (void)core;
  (void)arg;
  atomic_fetch_add(&teardown_saw, atomic_load(&before_stop_ran));
}

static void case_stop_drains(void) {
  veloq_uv_percore_t* pc = NULL;
  long accepted = 0;
  CHECK_EQ(veloq_uv_percore_start(&pc, 1, NULL, drain_teardown, NULL), 0);
  for (int k = 0; k < 5000; k++)
    if (veloq_uv_post(pc, 0, count_cb, NULL) == 0) accepted++;
  CHECK_EQ(veloq_uv_percore_stop(pc), 0);
  CHECK_EQ(veloq_uv_percore_join(pc), 0);
  CHECK_EQ(accepted, 5000);
  CHECK_EQ(atomic_load(&before_stop_ran), 5000);
  CHECK_EQ(atomic_load(&teardown_saw), 5000); /* the teardown came after all of them */
}

/* ---- sharded listener ------------------------------------------------------ */

#define SHARD_CONNS 200
static uv_tcp_t listeners[MAX_CORES];
static atomic_long accepts[MAX_CORES];
static atomic_long accepted_total;
static atomic_long conn_closed;
static int conn_marker;

static void conn_freed(uv_handle_t* h) {
  free(h);
  atomic_fetch_add(&conn_closed, 1);
}

static void conn_alloc(uv_handle_t* h, size_t size, uv_buf_t* buf) {
  static _Thread_local char slab[4096];
  (void)h;
  (void)size;
  *buf = uv_buf_init(slab, sizeof slab);
}
static void conn_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void)buf;
  if (nread < 0 && !uv_is_closing((uv_handle_t*)s)) uv_close((uv_handle_t*)s, conn_freed);
}

static void on_shard_connection(uv_stream_t* server, int status) {
  uv_tcp_t* c;
  int core = veloq_uv_percore_self(g_pc);
  CHECK_EQ(status, 0);
  CHECK(core >= 0);
  CHECK(server == (uv_stream_t*)&listeners[core]); /* each listener serves on its own core */
  CHECK(server->loop == veloq_uv_percore_loop(g_pc, (unsigned)core));
  CHECK((c = malloc(sizeof *c)) != NULL);
  CHECK_EQ(uv_tcp_init(server->loop, c), 0);
  c->data = &conn_marker;
  CHECK_EQ(uv_accept(server, (uv_stream_t*)c), 0);
  CHECK_EQ(uv_read_start((uv_stream_t*)c, conn_alloc, conn_read), 0);
  atomic_fetch_add(&accepts[core], 1);
  atomic_fetch_add(&accepted_total, 1);
}

/* The application's teardown closes its connections (freeing them); stop's
 * walk closes the listeners. */
static void close_conn(uv_handle_t* h, void* arg) {
  (void)arg;
  if (h->data == &conn_marker && !uv_is_closing(h)) uv_close(h, conn_freed);
}
static void shard_teardown(uv_loop_t* loop, unsigned core, void* arg) {
  (void)core;
  (void)arg;
  uv_walk(loop, close_conn, NULL);
}

static atomic_long port_ready;
static struct sockaddr_in port_addr;
static void port_cb(uv_loop_t* loop, void* arg) {
  int len = sizeof port_addr;
  (void)loop;
  (void)arg;
  CHECK_EQ(uv_tcp_getsockname(&listeners[0], (struct sockaddr*)&port_addr, &len), 0);
  atomic_store(&port_ready, 1);
}
static void shard_port_of_core0(veloq_uv_percore_t* pc, struct sockaddr_in* out) {
  atomic_store(&port_ready, 0);
  CHECK_EQ(veloq_uv_post(pc, 0, port_cb, NULL), 0);
  wait_at_least(&port_ready, 1);
  *out = port_addr;
  CHECK(out->sin_port != 0);
}

/* 200 connections from distinct client ports: every core's listener accepts
 * some (SO_REUSEPORT hashes the 4-tuple; all on one of 2 cores has odds
 * 2^-199); then a shutdown with every connection still open leaks no fd and
 * every uv_loop_close returns 0. */
static void case_sharded_listen(void) {
  veloq_uv_percore_t* pc = NULL;
  struct sockaddr_in addr, bound;
  int fds[SHARD_CONNS];
  unsigned n;
  size_t fds_before = count_fds();
  CHECK_EQ(veloq_uv_percore_start(&pc, all_cores(), NULL, shard_teardown, NULL), 0);
  if (veloq_uv_percore_count(pc) < 2) {
    CHECK_EQ(veloq_uv_percore_join(pc), 0);
    CHECK_EQ(veloq_uv_percore_start(&pc, 2, NULL, shard_teardown, NULL), 0);
  }
  g_pc = pc;
  n = veloq_uv_percore_count(pc);
  CHECK_EQ(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  CHECK_EQ(veloq_uv_tcp_listen_sharded(pc, NULL, 128, listeners, on_shard_connection), UV_EINVAL);
  CHECK_EQ(veloq_uv_tcp_listen_sharded(pc, (const struct sockaddr*)&addr, 128, listeners, on_shard_connection), 0);
  for (int k = 0; k < SHARD_CONNS; k++) {
    fds[k] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(fds[k] >= 0);
  }
  shard_port_of_core0(pc, &bound);
  for (int k = 0; k < SHARD_CONNS; k++) CHECK_EQ(connect(fds[k], (struct sockaddr*)&bound, sizeof bound), 0);
  wait_at_least(&accepted_total, SHARD_CONNS);
  for (unsigned i = 0; i < n; i++) {
    fprintf(stderr, "  core %u accepted %ld\n", i, atomic_load(&accepts[i]));
    CHECK(atomic_load(&accepts[i]) > 0);
  }
  /* shutdown with all 200 connections open on the server side */
  CHECK_EQ(veloq_uv_percore_join(pc), 0);
  CHECK_EQ(atomic_load(&conn_closed), SHARD_CONNS);
  for (int k = 0; k < SHARD_CONNS; k++) close(fds[k]);
  CHECK_EQ(count_fds(), fds_before);
}

/* ---- zero-copy reads ------------------------------------------------------- */

#define FIXED_TOTAL (4 * 1024 * 1024)
#define FIXED_CHUNK (64 * 1024)
#define FIXED_HOLD 48 /* more than the loop's 32 ring buffers: the fallback runs too */

static uv_loop_t fx_loop;
static uv_tcp_t fx_listener, fx_server, fx_client;
static uv_connect_t fx_creq;
static uv_write_t fx_wreqs[FIXED_TOTAL / FIXED_CHUNK];
static unsigned char* fx_out;
static size_t fx_got;
static int fx_eof;
static veloq_uv_fixed_buf_t fx_held[FIXED_HOLD];
static int fx_nheld, fx_max_held;
static long fx_kinds[3];

static unsigned char fx_byte(size_t i) { return (unsigned char)((i * 7 + i / 251) & 0xff); }

static void fx_release_all(void) {
  for (int k = 0; k < fx_nheld; k++) veloq_uv_fixed_buf_release(&fx_loop, &fx_held[k]);
  fx_nheld = 0;
}

static void fx_read(uv_stream_t* s, ssize_t n, const veloq_uv_fixed_buf_t* buf) {
  if (n < 0) {
    CHECK_EQ(n, UV_EOF);
    CHECK(buf == NULL);
    fx_eof = 1;
    fx_release_all();
    uv_close((uv_handle_t*)s, NULL);
    uv_close((uv_handle_t*)&fx_listener, NULL);
    return;
  }
  CHECK(buf != NULL);
  CHECK_EQ(buf->len, n);
  /* every byte exactly once, in order */
  for (ssize_t i = 0; i < n; i++)
    if ((unsigned char)buf->base[i] != fx_byte(fx_got + (size_t)i)) CHECK(!"wrong byte");
  fx_got += (size_t)n;
  CHECK(buf->veloq_kind == 1 || buf->veloq_kind == 2); /* peeks at Veloq's private field: ring or heap */
  fx_kinds[buf->veloq_kind]++;
  fx_held[fx_nheld++] = *buf; /* the app owns it: keep it a while */
  if (fx_nheld > fx_max_held) fx_max_held = fx_nheld;
  if (fx_nheld == FIXED_HOLD) fx_release_all();
}

static void fx_on_conn(uv_stream_t* l, int status) {
  CHECK_EQ(status, 0);
  CHECK_EQ(uv_tcp_init(l->loop, &fx_server), 0);
  CHECK_EQ(uv_accept(l, (uv_stream_t*)&fx_server), 0);
  CHECK_EQ(veloq_uv_read_start_fixed(NULL, fx_read), UV_EINVAL);
  CHECK_EQ(veloq_uv_read_start_fixed((uv_stream_t*)&fx_server, NULL), UV_EINVAL);
  CHECK_EQ(veloq_uv_read_start_fixed((uv_stream_t*)&fx_server, fx_read), 0);
  CHECK_EQ(veloq_uv_read_start_fixed((uv_stream_t*)&fx_server, fx_read), UV_EALREADY);
}

static void fx_written(uv_write_t* req, int status) {
  CHECK_EQ(status, 0);
  if (req == &fx_wreqs[FIXED_TOTAL / FIXED_CHUNK - 1]) uv_close((uv_handle_t*)&fx_client, NULL);
}

static void fx_connected(uv_connect_t* req, int status) {
  CHECK_EQ(status, 0);
  for (int k = 0; k < FIXED_TOTAL / FIXED_CHUNK; k++) {
    uv_buf_t b = uv_buf_init((char*)fx_out + (size_t)k * FIXED_CHUNK, FIXED_CHUNK);
    CHECK_EQ(uv_write(&fx_wreqs[k], req->handle, &b, 1, fx_written), 0);
  }
}

/* 4 MiB through veloq_uv_read_start_fixed: every byte arrives exactly once,
 * in order, in buffers the test holds (up to 48 at a time, more than the
 * ring has) and releases late; then the loop closes cleanly (0). */
static void case_fixed_read(void) {
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int len = sizeof bound;
  CHECK((fx_out = malloc(FIXED_TOTAL)) != NULL);
  for (size_t i = 0; i < FIXED_TOTAL; i++) fx_out[i] = fx_byte(i);
  CHECK_EQ(uv_loop_init(&fx_loop), 0);
  CHECK_EQ(uv_tcp_init(&fx_loop, &fx_listener), 0);
  CHECK_EQ(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  CHECK_EQ(uv_tcp_bind(&fx_listener, (struct sockaddr*)&addr, 0), 0);
  CHECK_EQ(uv_listen((uv_stream_t*)&fx_listener, 8, fx_on_conn), 0);
  CHECK_EQ(uv_tcp_getsockname(&fx_listener, (struct sockaddr*)&bound, &len), 0);
  CHECK_EQ(uv_tcp_init(&fx_loop, &fx_client), 0);
  CHECK_EQ(veloq_uv_read_start_fixed((uv_stream_t*)&fx_client, fx_read), UV_ENOTCONN);
  CHECK_EQ(uv_tcp_connect(&fx_creq, &fx_client, (struct sockaddr*)&bound, fx_connected), 0);
  CHECK_EQ(uv_run(&fx_loop, UV_RUN_DEFAULT), 0);
  CHECK(fx_eof);
  CHECK_EQ(fx_got, FIXED_TOTAL);
  CHECK(fx_max_held >= 2);
  fprintf(stderr, "  ring buffers %ld, op buffers %ld\n", fx_kinds[1], fx_kinds[2]);
  if (getenv("VELOQ_BACKEND") != NULL && strcmp(getenv("VELOQ_BACKEND"), "epoll") == 0) CHECK_EQ(fx_kinds[1], 0);
  CHECK_EQ(uv_loop_close(&fx_loop), 0);
  free(fx_out);
}

/* ---- bind_reuseport argument checks ---------------------------------------- */

static void case_reuseport_args(void) {
  uv_loop_t loop;
  uv_tcp_t a, b;
  struct sockaddr_in addr;
  struct sockaddr_in got;
  int len = sizeof got;
  struct sockaddr bogus;
  memset(&bogus, 0, sizeof bogus);
  bogus.sa_family = AF_UNIX;
  CHECK_EQ(uv_loop_init(&loop), 0);
  CHECK_EQ(uv_tcp_init(&loop, &a), 0);
  CHECK_EQ(uv_tcp_init(&loop, &b), 0);
  CHECK_EQ(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  CHECK_EQ(veloq_uv_tcp_bind_reuseport(NULL, (struct sockaddr*)&addr), UV_EINVAL);
  CHECK_EQ(veloq_uv_tcp_bind_reuseport(&a, NULL), UV_EINVAL);
  CHECK_EQ(veloq_uv_tcp_bind_reuseport(&a, &bogus), UV_EINVAL);
  CHECK_EQ(veloq_uv_tcp_bind_reuseport(&a, (struct sockaddr*)&addr), 0);
  CHECK_EQ(veloq_uv_tcp_bind_reuseport(&a, (struct sockaddr*)&addr), UV_EBUSY);
  /* a second handle on the same port: allowed only because of SO_REUSEPORT */
  CHECK_EQ(uv_tcp_getsockname(&a, (struct sockaddr*)&got, &len), 0);
  CHECK_EQ(veloq_uv_tcp_bind_reuseport(&b, (struct sockaddr*)&got), 0);
  CHECK_EQ(uv_listen((uv_stream_t*)&a, 8, on_shard_connection), 0);
  CHECK_EQ(uv_listen((uv_stream_t*)&b, 8, on_shard_connection), 0);
  uv_close((uv_handle_t*)&a, NULL);
  uv_close((uv_handle_t*)&b, NULL);
  CHECK_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
  CHECK_EQ(uv_loop_close(&loop), 0);
}

int main(int argc, char** argv) {
  static const struct {
    const char* name;
    void (*fn)(void);
  } cases[] = {
      {"threads", case_threads},
      {"post_order", case_post_order},
      {"stop_drains", case_stop_drains},
      {"sharded_listen", case_sharded_listen},
      {"reuseport_args", case_reuseport_args},
      {"fixed_read", case_fixed_read},
  };
  int ran = 0;
  setvbuf(stdout, NULL, _IONBF, 0);
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    if (argc > 1 && strcmp(argv[1], cases[i].name) != 0) continue;
    printf("[ RUN ] %s\n", cases[i].name);
    cases[i].fn();
    printf("[  OK ] %s\n", cases[i].name);
    ran++;
  }
  if (ran == 0) {
    fprintf(stderr, "no case named %s\n", argc > 1 ? argv[1] : "?");
    return 1;
  }
  return 0;
}
