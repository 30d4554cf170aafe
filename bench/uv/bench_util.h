/* bench_util.h -- what every benchmark program shares (C and C++, no uv.h).
 *
 * The programs in bench/uv (built against libuv and against Veloq), bench/core
 * (Veloq's C++ API) and the raw liburing floor all use this header, so they
 * parse the same flags and print the same result line:
 *
 *   result <workload> <value> <unit> [key=value ...]
 *
 * <value> is the main figure, higher is better (throughput); extra fields
 * (latency percentiles, secondary rates) follow as key=value. bench/run reads
 * these lines. Exit status: 0 ok, 1 failure (wrong data, an API error),
 * 2 unsupported (the implementation lacks the API: `result <w> unsupported`),
 * 3 bad command line.
 */
#ifndef VELOQ_BENCH_UTIL_H
#define VELOQ_BENCH_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BENCH_OK = 0, BENCH_FAIL = 1, BENCH_UNSUPPORTED = 2, BENCH_USAGE = 3 };

/* CPU seconds (user + system) this process has used so far, all its threads:
 * the TCP programs report it as cpu_s=, so a run on a shared machine can be
 * read per CPU-second as well as per second. */
static inline double bench_cpu_secs(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static inline uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --- command line ----------------------------------------------------------
 * Every program accepts the same flags and ignores the ones it has no use for
 * (the runner can then pass one set everywhere):
 *   --smoke        tiny sizes (well under a second): checks the program works
 *   --count N      operations (timers, sends per producer, files)
 *   --secs S       duration of a timed run
 *   --conns N      TCP connections
 *   --threads N    producer threads
 *   --depth N      operations in flight (writes, fs requests)
 *   --one-loop     TCP: server and client on ONE loop/thread (default: the
 *                  server runs on a second thread). Measures the runtime's
 *                  own cost per operation without cross-thread wakeups, which
 *                  on a VM can dominate (an idle vCPU takes tens of us to wake)
 * A program sets its defaults and its smoke sizes, then calls bench_parse. */
#ifdef __cplusplus
#define BENCH_ZERO = 0 /* C++: designated initializers may leave fields out */
#else
#define BENCH_ZERO
#endif
struct bench_args {
  int smoke BENCH_ZERO;
  long count BENCH_ZERO;
  double secs BENCH_ZERO;
  long conns BENCH_ZERO;
  long threads BENCH_ZERO;
  long depth BENCH_ZERO;
  int one_loop BENCH_ZERO;
};

static inline void bench_usage(const char* prog) {
  fprintf(stderr,
          "usage: %s [--smoke] [--count N] [--secs S] [--conns N] [--threads N] [--depth N] [--one-loop]\n",
          prog);
}

/* Parses argv over the defaults in *a; --smoke replaces them with *smoke
 * (flags given explicitly still win). Exits with BENCH_USAGE on bad input. */
static inline void bench_parse(int argc, char** argv, struct bench_args* a,
                               const struct bench_args* smoke) {
  struct bench_args given = {0, -1, -1.0, -1, -1, -1, 0};
  for (int i = 1; i < argc; ++i) {
    const char* f = argv[i];
    if (strcmp(f, "--smoke") == 0) {
      given.smoke = 1;
      continue;
    }
    if (strcmp(f, "--one-loop") == 0) {
      given.one_loop = 1;
      continue;
    }
    if (i + 1 >= argc) goto bad;
    char* end = NULL;
    const char* v = argv[++i];
    if (strcmp(f, "--secs") == 0) {
      given.secs = strtod(v, &end);
      if (*end != '\0' || !(given.secs > 0 && given.secs <= 3600)) goto bad;
      continue;
    }
    long n = strtol(v, &end, 10);
    if (*end != '\0' || n <= 0 || n > 1000000000L) goto bad;
    if (strcmp(f, "--count") == 0) given.count = n;
    else if (strcmp(f, "--conns") == 0) given.conns = n;
    else if (strcmp(f, "--threads") == 0) given.threads = n;
    else if (strcmp(f, "--depth") == 0) given.depth = n;
    else goto bad;
  }
  if (given.smoke) *a = *smoke;
  a->smoke = given.smoke;
  a->one_loop = given.one_loop;
  if (given.count > 0) a->count = given.count;
  if (given.secs > 0) a->secs = given.secs;
  if (given.conns > 0) a->conns = given.conns;
  if (given.threads > 0) a->threads = given.threads;
  if (given.depth > 0) a->depth = given.depth;
  return;
bad:
  bench_usage(argv[0]);
  exit(BENCH_USAGE);
}

/* --- result lines ------------------------------------------------------------ */

/* `result <workload> <value> <unit>` followed by the formatted extra fields. */
__attribute__((format(printf, 4, 5))) static inline void bench_result(const char* workload, double value,
                                                                      const char* unit, const char* extra_fmt, ...) {
  printf("result %s %.1f %s", workload, value, unit);
  if (extra_fmt != NULL && extra_fmt[0] != '\0') {
    va_list ap;
    va_start(ap, extra_fmt);
    putchar(' ');
    vprintf(extra_fmt, ap);
    va_end(ap);
  }
  putchar('\n');
  fflush(stdout);
}

/* The implementation lacks an API the workload needs: say so and exit 2. */
__attribute__((noreturn)) static inline void bench_unsupported(const char* workload, const char* reason) {
  printf("result %s unsupported - reason=%s\n", workload, reason);
  fflush(stdout);
  exit(BENCH_UNSUPPORTED);
}

/* Print why the run failed and exit 1. */
__attribute__((noreturn, format(printf, 2, 3))) static inline void bench_fail(const char* workload, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "%s: FAILED: ", workload);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(BENCH_FAIL);
}

/* --- latency histogram -------------------------------------------------------
 * Log-linear: values below 32 ns exact, above that 32 buckets per power of
 * two (at most ~3% error). Fixed size, no allocation on the hot path. */
enum { BENCH_HIST_SUB = 32, BENCH_HIST_BUCKETS = 60 * BENCH_HIST_SUB };

struct bench_hist {
  uint64_t total;
  uint64_t counts[BENCH_HIST_BUCKETS];
};

static inline int bench_hist_index(uint64_t v) {
  if (v < BENCH_HIST_SUB) return (int)v;
  int e = 63 - __builtin_clzll(v); /* >= 5 */
  int sub = (int)((v >> (e - 5)) & (BENCH_HIST_SUB - 1));
  return (e - 4) * BENCH_HIST_SUB + sub;
}

/* The middle of bucket i, as the value reported for it. */
static inline uint64_t bench_hist_value(int i) {
  if (i < BENCH_HIST_SUB) return (uint64_t)i;
  int e = i / BENCH_HIST_SUB + 4;
  uint64_t lo = ((uint64_t)(BENCH_HIST_SUB + i % BENCH_HIST_SUB)) << (e - 5);
  return lo + ((1ull << (e - 5)) >> 1);
}

static inline void bench_hist_add(struct bench_hist* h, uint64_t ns) {
  h->counts[bench_hist_index(ns)]++;
  h->total++;
}

/* The value at quantile q (0 < q <= 1), 0 for an empty histogram. */
static inline uint64_t bench_hist_quantile(const struct bench_hist* h, double q) {
  uint64_t want = (uint64_t)(q * (double)h->total + 0.5);
  if (want == 0) want = 1;
  uint64_t seen = 0;
  for (int i = 0; i < BENCH_HIST_BUCKETS; ++i) {
    seen += h->counts[i];
    if (seen >= want) return bench_hist_value(i);
  }
  return 0;
}

/* --- handoff between threads ----------------------------------------------------
 * A one-shot value passed from one thread to another (a server thread tells
 * the client its port, or that it failed: negative). */
struct bench_gate {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int ready;
  long value;
};
#define BENCH_GATE_INIT {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0}

static inline void bench_gate_open(struct bench_gate* g, long value) {
  pthread_mutex_lock(&g->mu);
  g->value = value;
  g->ready = 1;
  pthread_cond_broadcast(&g->cv);
  pthread_mutex_unlock(&g->mu);
}

static inline long bench_gate_wait(struct bench_gate* g) {
  pthread_mutex_lock(&g->mu);
  while (!g->ready) pthread_cond_wait(&g->cv, &g->mu);
  long v = g->value;
  pthread_mutex_unlock(&g->mu);
  return v;
}

/* --- TCP sockets -------------------------------------------------------------------
 * Every benchmark socket (uv, core and raw, both ends) uses CUBIC congestion
 * control whatever the system default. With BBR (a common default, and this
 * machine's) TCP paces its sends with a timer on loopback too, and the pump
 * then measures pacing: on this machine the same C++ pump ran at 1.8 GB/s
 * with BBR and 3.6 GB/s with CUBIC while the raw liburing one ran at 3.0 and
 * 3.7 (see RESULTS.md). A kernel without cubic keeps its default (not an
 * error: the run says which one it got). */
static inline const char* bench_tcp_tune(int fd) {
  static const char cc[] = "cubic";
  char got[16] = "";
  socklen_t len = sizeof got - 1;
  (void)setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, sizeof cc - 1);
  if (getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, got, &len) != 0) return "?";
  return strcmp(got, cc) == 0 ? "cubic" : "default";
}

/* --- ping-pong payload ------------------------------------------------------------
 * 64-byte messages whose bytes depend on the connection and the round trip,
 * so an echo that comes back wrong (stale, reordered, truncated) is caught. */
enum { BENCH_MSG = 64, BENCH_PUMP_CHUNK = 64 * 1024, BENCH_ECHO_BUF = 4096 };

static inline void bench_fill_msg(unsigned char* m, long conn, uint64_t trip) {
  for (int i = 0; i < BENCH_MSG; ++i) m[i] = (unsigned char)(conn * 131 + trip * 31 + (uint64_t)i);
}

/* --- fs_ops file set -----------------------------------------------------------------
 * N files of 4 KiB in a fresh directory under $TMPDIR (or /tmp), made with
 * plain syscalls before the timed part. File i is filled with the byte
 * bench_fs_byte(i), so a read of the wrong file (or of stale data) is caught. */
enum { BENCH_FS_FILE = 4096, BENCH_FS_PATH = 256 };

/* $TMPDIR, or /tmp when it is unset or empty: where the fs workloads make files. */
static inline const char* bench_tmpdir(void) {
  const char* t = getenv("TMPDIR");
  return t != NULL && t[0] != '\0' ? t : "/tmp";
}

/* A new empty file <tmpdir>/veloq-bench-<stem>-XXXXXX (mkstemp); its path goes
 * to `path` (BENCH_FS_PATH bytes). Returns the fd; fails the run if it can't. */
static inline int bench_temp_file(const char* workload, const char* stem, char* path) {
  int len = snprintf(path, BENCH_FS_PATH, "%s/veloq-bench-%s-XXXXXX", bench_tmpdir(), stem);
  if (len < 0 || len >= BENCH_FS_PATH) bench_fail(workload, "TMPDIR too long");
  int fd = mkstemp(path);
  if (fd < 0) bench_fail(workload, "mkstemp %s: %s", path, strerror(errno));
  return fd;
}

struct bench_files {
  char dir[BENCH_FS_PATH - 32]; /* room for "/f<index>" in a path */
  long count;
};

static inline unsigned char bench_fs_byte(long i) { return (unsigned char)('a' + i % 26); }

static inline void bench_fs_path(const struct bench_files* f, long i, char* out) {
  snprintf(out, BENCH_FS_PATH, "%s/f%ld", f->dir, i);
}

static inline void bench_fs_create(const char* workload, struct bench_files* f, long count) {
  char data[BENCH_FS_FILE], path[BENCH_FS_PATH];
  int len = snprintf(f->dir, sizeof f->dir, "%s/veloq-bench-fs-XXXXXX", bench_tmpdir());
  if (len < 0 || (size_t)len >= sizeof f->dir) bench_fail(workload, "TMPDIR too long");
  if (mkdtemp(f->dir) == NULL) bench_fail(workload, "mkdtemp %s: %s", f->dir, strerror(errno));
  f->count = count;
  for (long i = 0; i < count; ++i) {
    bench_fs_path(f, i, path);
    memset(data, bench_fs_byte(i), sizeof data);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, data, sizeof data) != (ssize_t)sizeof data || close(fd) != 0)
      bench_fail(workload, "create %s: %s", path, strerror(errno));
  }
}

static inline void bench_fs_remove(struct bench_files* f) {
  char path[BENCH_FS_PATH];
  for (long i = 0; i < f->count; ++i) {
    bench_fs_path(f, i, path);
    unlink(path);
  }
  rmdir(f->dir);
}

/* A read of file i must return all 4 KiB of its byte. (Every byte equals
 * the next one: one memcmp of the buffer against itself shifted by one, far
 * cheaper than a byte loop, so the check does not weigh on the ops/s.) */
static inline int bench_fs_check(long i, const unsigned char* buf, long n) {
  return n == BENCH_FS_FILE && buf[0] == bench_fs_byte(i) && memcmp(buf, buf + 1, (size_t)n - 1) == 0;
}

#endif /* VELOQ_BENCH_UTIL_H */
