/* nproc: run a benchmark program as N processes at once and sum their results.
 *
 * libuv has one loop per thread and no way to spread one listening port's
 * connections over loops on several cores; what a libuv application does to
 * use every core is run N copies of itself. This launcher does that for a
 * bench/uv program: N processes (default: the CPUs this process may run on,
 * as `nproc` counts them), each its own server and clients on 127.0.0.1,
 * --conns split between them (process k gets conns/N, the first conns%N one
 * more; fewer processes when conns < N; without --conns every process gets
 * the program's default). The children are forked first and held on a pipe,
 * then all exec'd at once, so their timed parts overlap (each runs --secs
 * from its own connections being up: a few ms apart at most).
 *
 * Prints `result <workload> <sum of the main values> <unit> procs=N conns=C
 * min=<lowest process> max=<highest> cpu_s=<CPU seconds of all the children>
 * ...` (the first child's cc= and impl=).
 * Exit status: 1 if any child failed (or was killed), else 2 if any said
 * unsupported, else 0. Children die with the launcher (PR_SET_PDEATHSIG), so
 * bench/run's timeout bounds them too.
 *
 *   bench_nproc [--procs N] PROGRAM [ARGS...]
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bench_util.h"

enum { MAX_PROCS = 256, MAX_LINE = 1024 };

static const char* const W = "nproc";

static long cpus_allowed(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? n : 1;
}

/* The value of `key=` in a result line's extra fields, copied to out ("" if absent). */
static void field(const char* line, const char* key, char* out, size_t size) {
  out[0] = '\0';
  size_t klen = strlen(key);
  for (const char* p = strchr(line, ' '); p != NULL; p = strchr(p + 1, ' ')) {
    if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '=') {
      const char* v = p + 2 + klen;
      size_t n = strcspn(v, " \n");
      if (n >= size) n = size - 1;
      memcpy(out, v, n);
      out[n] = '\0';
      return;
    }
  }
}

int main(int argc, char** argv) {
  long procs = cpus_allowed();
  int first = 1;
  if (argc > 2 && strcmp(argv[1], "--procs") == 0) {
    char* end = NULL;
    procs = strtol(argv[2], &end, 10);
    if (*end != '\0' || procs <= 0 || procs > MAX_PROCS) goto usage;
    first = 3;
  }
  if (first >= argc) goto usage;
  if (procs > MAX_PROCS) procs = MAX_PROCS;

  /* The program's arguments, with --conns's value replaced per child. */
  int nargs = argc - first;
  char** cargv = (char**)calloc((size_t)nargs + 1, sizeof *cargv);
  if (cargv == NULL) bench_fail(W, "out of memory");
  int conns_at = -1;
  long conns = 0;
  for (int i = 0; i < nargs; i++) {
    cargv[i] = argv[first + i];
    if (strcmp(cargv[i], "--conns") == 0 && i + 1 < nargs) {
      conns = strtol(argv[first + i + 1], NULL, 10);
      if (conns <= 0) goto usage;
      conns_at = i + 1;
    }
  }
  if (conns_at >= 0 && conns < procs) procs = conns;

  pid_t launcher = getpid();
  int go[2];
  if (pipe(go) != 0) bench_fail(W, "pipe: %s", strerror(errno));
  pid_t pids[MAX_PROCS];
  int outs[MAX_PROCS];
  char share[32];
  for (long k = 0; k < procs; k++) {
    int out[2];
    if (pipe(out) != 0) bench_fail(W, "pipe: %s", strerror(errno));
    if (conns_at >= 0) {
      snprintf(share, sizeof share, "%ld", conns / procs + (k < conns % procs ? 1 : 0));
      cargv[conns_at] = share;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) bench_fail(W, "fork: %s", strerror(errno));
    if (pid == 0) {
      char b;
      (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != launcher) _exit(BENCH_FAIL); /* the launcher died before the prctl */
      close(go[1]);
      close(out[0]);
      if (dup2(out[1], STDOUT_FILENO) < 0) _exit(BENCH_FAIL);
      close(out[1]);
      while (read(go[0], &b, 1) < 0 && errno == EINTR) {
      } /* EOF: every child is forked, go */
      close(go[0]);
      execv(cargv[0], cargv);
      fprintf(stderr, "%s: FAILED: exec %s: %s\n", W, cargv[0], strerror(errno));
      _exit(BENCH_FAIL);
    }
    close(out[1]);
    pids[k] = pid;
    outs[k] = out[0];
  }
  close(go[0]);
  close(go[1]); /* all children read EOF and exec together */

  /* Each child's stdout (one result line) to EOF, then its exit status. */
  int failed = 0, unsupported = 0;
  double sum = 0, lo = 0, hi = 0, cpu = 0;
  char workload[64] = "", unit[32] = "", cc[32] = "", impl[64] = "", unsup_line[MAX_LINE] = "";
  for (long k = 0; k < procs; k++) {
    char buf[MAX_LINE * 4];
    size_t len = 0;
    ssize_t n;
    while ((n = read(outs[k], buf + len, sizeof buf - 1 - len)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      len += (size_t)n;
      if (len == sizeof buf - 1) break;
    }
    buf[len] = '\0';
    close(outs[k]);
    int status = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pids[k], &status, 0, &ru) < 0 && errno == EINTR) {
    }
    cpu += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : BENCH_FAIL;
    if (rc == BENCH_UNSUPPORTED) {
      unsupported = 1;
      char* line = strstr(buf, "result ");
      if (line != NULL) snprintf(unsup_line, sizeof unsup_line, "%.*s", (int)strcspn(line, "\n"), line);
      continue;
    }
    char* line = strstr(buf, "result ");
    char w[64], u[32];
    double v;
    if (rc != BENCH_OK || line == NULL || sscanf(line, "result %63s %lf %31s", w, &v, u) != 3) {
      fprintf(stderr, "%s: FAILED: process %ld (%s) exit %d%s\n", W, k, cargv[0], rc,
              WIFSIGNALED(status) ? " (killed)" : "");
      failed = 1;
      continue;
    }
    if (workload[0] == '\0') {
      snprintf(workload, sizeof workload, "%s", w);
      snprintf(unit, sizeof unit, "%s", u);
      field(line, "cc", cc, sizeof cc);
      field(line, "impl", impl, sizeof impl);
      lo = hi = v;
    } else if (strcmp(w, workload) != 0 || strcmp(u, unit) != 0) {
      bench_fail(W, "processes disagree: %s %s vs %s %s", workload, unit, w, u);
    }
    sum += v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (failed) return BENCH_FAIL;
  if (unsupported) {
    printf("%s\n", unsup_line[0] != '\0' ? unsup_line : "result nproc unsupported - reason=child");
    return BENCH_UNSUPPORTED;
  }
  bench_result(workload, sum, unit, "procs=%ld conns=%ld min=%.1f max=%.1f cpu_s=%.2f cc=%s impl=%s", procs,
               conns_at >= 0 ? conns : 0, lo, hi, cpu, cc[0] ? cc : "?", impl[0] ? impl : "?");
  free(cargv);
  return BENCH_OK;

usage:
  fprintf(stderr, "usage: %s [--procs N] PROGRAM [ARGS...]\n", argv[0]);
  return BENCH_USAGE;
}
