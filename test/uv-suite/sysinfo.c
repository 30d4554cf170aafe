/* System information: environment, users, host, CPUs, interfaces, memory,
 * working directory, priority, process title, dl.  Expected values come
 * from the same system calls and files libuv reads. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "suite.h"

static int saved_argc;
static char** saved_argv;     /* uv_setup_args' copy */
static size_t title_capacity; /* bytes of the original argv strings */

static int read_file(const char* path, char* buf, size_t cap) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return -1;
  size_t n = fread(buf, 1, cap - 1, f);
  fclose(f);
  buf[n] = '\0';
  return (int)n;
}

/* ---- environment ------------------------------------------------------------ */

/* follows libuv test-env-vars.c env_vars */
static void test_env_vars(void** state) {
  (void)state;
  char buf[64];
  size_t size;
  assert_int_equal(uv_os_setenv(NULL, "v"), UV_EINVAL);
  assert_int_equal(uv_os_setenv("VELOQ_ENV_X", NULL), UV_EINVAL);
  assert_int_equal(uv_os_unsetenv(NULL), UV_EINVAL);
  size = sizeof buf;
  assert_int_equal(uv_os_getenv(NULL, buf, &size), UV_EINVAL);
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", NULL, &size), UV_EINVAL);
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", buf, NULL), UV_EINVAL);
  size = 0;
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", buf, &size), UV_EINVAL);

  assert_int_equal(uv_os_setenv("VELOQ_ENV_X", "hello"), 0);
  assert_string_equal(getenv("VELOQ_ENV_X"), "hello");
  size = sizeof buf;
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", buf, &size), 0);
  assert_string_equal(buf, "hello");
  assert_int_equal(size, 5);
  /* too small: UV_ENOBUFS and the size needed, NUL included */
  size = 5;
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", buf, &size), UV_ENOBUFS);
  assert_int_equal(size, 6);
  size = 6;
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", buf, &size), 0);
  assert_int_equal(size, 5);
  /* an empty value is a value */
  assert_int_equal(uv_os_setenv("VELOQ_ENV_X", ""), 0);
  size = sizeof buf;
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", buf, &size), 0);
  assert_int_equal(size, 0);
  assert_string_equal(buf, "");
  assert_int_equal(uv_os_unsetenv("VELOQ_ENV_X"), 0);
  assert_null(getenv("VELOQ_ENV_X"));
  size = sizeof buf;
  assert_int_equal(uv_os_getenv("VELOQ_ENV_X", buf, &size), UV_ENOENT);
  assert_int_equal(uv_os_unsetenv("VELOQ_ENV_X"), 0); /* not set: still fine */
  assert_int_equal(uv_os_setenv("VELOQ=BAD", "v"), UV_EINVAL); /* setenv(3) refuses '=' */
}

/* follows libuv test-env-vars.c env_vars (uv_os_environ) */
static void test_environment_creation(void** state) {
  (void)state;
  uv_env_item_t* items;
  int count;
  assert_int_equal(uv_os_setenv("VELOQ_ENV_A", "value=with=equals"), 0);
  assert_int_equal(uv_os_environ(&items, &count), 0);
  int expected = 0;
  for (char** e = environ; *e != NULL; e++)
    if (strchr(*e, '=') != NULL) expected++;
  assert_int_equal(count, expected);
  int found = 0;
  for (int i = 0; i < count; i++) {
    assert_non_null(items[i].name);
    assert_non_null(items[i].value);
    assert_string_equal(getenv(items[i].name), items[i].value);
    if (strcmp(items[i].name, "VELOQ_ENV_A") == 0) {
      assert_string_equal(items[i].value, "value=with=equals");
      found++;
    }
  }
  assert_int_equal(found, 1);
  uv_os_free_environ(items, count);
  assert_int_equal(uv_os_unsetenv("VELOQ_ENV_A"), 0);
}

/* ---- users and directories -------------------------------------------------------- */

/* follows libuv test-get-passwd.c get_passwd */
static void test_get_passwd(void** state) {
  (void)state;
  uv_passwd_t pwd;
  struct passwd* pw = getpwuid(geteuid());
  assert_non_null(pw);
  assert_int_equal(uv_os_get_passwd(NULL), UV_EINVAL);
  assert_int_equal(uv_os_get_passwd(&pwd), 0);
  assert_string_equal(pwd.username, pw->pw_name);
  assert_string_equal(pwd.homedir, pw->pw_dir);
  assert_string_equal(pwd.shell, pw->pw_shell);
  assert_int_equal(pwd.uid, (long)pw->pw_uid);
  assert_int_equal(pwd.gid, (long)pw->pw_gid);
  uv_os_free_passwd(&pwd);
  assert_null(pwd.username);
  assert_null(pwd.homedir);
  assert_null(pwd.shell);
  uv_os_free_passwd(&pwd); /* a freed passwd may be freed again */
}

/* follows libuv test-homedir.c homedir */
static void test_homedir(void** state) {
  (void)state;
  char buf[PATH_MAX];
  char saved[PATH_MAX];
  size_t size;
  const char* home = getenv("HOME");
  int had_home = home != NULL;
  if (had_home) snprintf(saved, sizeof saved, "%s", home);

  assert_int_equal(uv_os_setenv("HOME", "/veloq/home/"), 0);
  size = sizeof buf;
  assert_int_equal(uv_os_homedir(buf, &size), 0);
  assert_string_equal(buf, "/veloq/home/"); /* HOME as it is, slash kept */
  assert_int_equal(size, strlen("/veloq/home/"));
  size = 3;
  assert_int_equal(uv_os_homedir(buf, &size), UV_ENOBUFS);
  assert_int_equal(size, strlen("/veloq/home/") + 1);
  size = 0;
  assert_int_equal(uv_os_homedir(buf, &size), UV_EINVAL);
  assert_int_equal(uv_os_homedir(NULL, &size), UV_EINVAL);
  size = sizeof buf;
  assert_int_equal(uv_os_homedir(buf, NULL), UV_EINVAL);

  /* HOME unset: the passwd entry */
  assert_int_equal(uv_os_unsetenv("HOME"), 0);
  struct passwd* pw = getpwuid(geteuid());
  assert_non_null(pw);
  size = sizeof buf;
  assert_int_equal(uv_os_homedir(buf, &size), 0);
  assert_string_equal(buf, pw->pw_dir);
  assert_int_equal(size, strlen(pw->pw_dir));
  size = 1;
  assert_int_equal(uv_os_homedir(buf, &size), UV_ENOBUFS);
  assert_int_equal(size, strlen(pw->pw_dir) + 1);

  if (had_home)
    assert_int_equal(uv_os_setenv("HOME", saved), 0);
}

/* follows libuv test-tmpdir.c tmpdir */
static void test_tmpdir(void** state) {
  (void)state;
  static const char* vars[] = {"TMPDIR", "TMP", "TEMP", "TEMPDIR"};
  char saved[4][PATH_MAX];
  int had[4];
  char buf[PATH_MAX];
  size_t size;
  for (int i = 0; i < 4; i++) {
    const char* v = getenv(vars[i]);
    had[i] = v != NULL;
    if (had[i]) snprintf(saved[i], sizeof saved[i], "%s", v);
    assert_int_equal(uv_os_unsetenv(vars[i]), 0);
  }
  /* nothing set: /tmp */
  size = sizeof buf;
  assert_int_equal(uv_os_tmpdir(buf, &size), 0);
  assert_string_equal(buf, "/tmp");
  assert_int_equal(size, 4);
  /* the order: TMPDIR before TMP before TEMP before TEMPDIR */
  assert_int_equal(uv_os_setenv("TEMPDIR", "/d"), 0);
  size = sizeof buf;
  assert_int_equal(uv_os_tmpdir(buf, &size), 0);
  assert_string_equal(buf, "/d");
  assert_int_equal(uv_os_setenv("TEMP", "/c"), 0);
  assert_int_equal(uv_os_setenv("TMP", "/b"), 0);
  size = sizeof buf;
  assert_int_equal(uv_os_tmpdir(buf, &size), 0);
  assert_string_equal(buf, "/b");
  /* one trailing slash is dropped ... */
  assert_int_equal(uv_os_setenv("TMPDIR", "/veloq/tmp/"), 0);
  size = sizeof buf;
  assert_int_equal(uv_os_tmpdir(buf, &size), 0);
  assert_string_equal(buf, "/veloq/tmp");
  assert_int_equal(size, strlen("/veloq/tmp"));
  /* ... after the size check, which counts it */
  size = strlen("/veloq/tmp/");
  assert_int_equal(uv_os_tmpdir(buf, &size), UV_ENOBUFS);
  assert_int_equal(size, strlen("/veloq/tmp/") + 1);
  /* "/" stays "/" */
  assert_int_equal(uv_os_setenv("TMPDIR", "/"), 0);
  size = sizeof buf;
  assert_int_equal(uv_os_tmpdir(buf, &size), 0);
  assert_string_equal(buf, "/");
  assert_int_equal(size, 1);
  /* bad arguments */
  size = 0;
  assert_int_equal(uv_os_tmpdir(buf, &size), UV_EINVAL);
  size = sizeof buf;
  assert_int_equal(uv_os_tmpdir(NULL, &size), UV_EINVAL);
  assert_int_equal(uv_os_tmpdir(buf, NULL), UV_EINVAL);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(uv_os_unsetenv(vars[i]), 0);
    if (had[i]) assert_int_equal(uv_os_setenv(vars[i], saved[i]), 0);
  }
}

/* follows libuv test-cwd-and-chdir.c cwd_and_chdir */
static void test_cwd_and_chdir(void** state) {
  (void)state;
  char orig[PATH_MAX];
  char buf[PATH_MAX];
  size_t size;
  assert_non_null(getcwd(orig, sizeof orig));
  size = sizeof buf;
  assert_int_equal(uv_cwd(buf, &size), 0);
  assert_string_equal(buf, orig);
  assert_int_equal(size, strlen(orig));

  assert_int_equal(uv_chdir("/"), 0);
  size = sizeof buf;
  assert_int_equal(uv_cwd(buf, &size), 0);
  assert_string_equal(buf, "/"); /* the root keeps its slash */
  assert_int_equal(size, 1);

  assert_int_equal(uv_chdir("/proc/self"), 0);
  char expected[PATH_MAX];
  assert_non_null(getcwd(expected, sizeof expected));
  size = 2;
  assert_int_equal(uv_cwd(buf, &size), UV_ENOBUFS);
  assert_int_equal(size, strlen(expected) + 1);
  size = strlen(expected) + 1;
  assert_int_equal(uv_cwd(buf, &size), 0);
  assert_string_equal(buf, expected);

  size = 0;
  assert_int_equal(uv_cwd(buf, &size), UV_EINVAL);
  assert_int_equal(uv_cwd(NULL, &size), UV_EINVAL);
  assert_int_equal(uv_cwd(buf, NULL), UV_EINVAL);
  assert_int_equal(uv_chdir("/veloq/does/not/exist"), UV_ENOENT);
  assert_int_equal(uv_chdir(orig), 0);
}

/* follows libuv test-platform-output.c (uv_exepath) and test-get-currentexe.c */
static void test_exepath(void** state) {
  (void)state;
  char expected[PATH_MAX];
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", expected, sizeof expected - 1);
  assert_true(n > 0);
  expected[n] = '\0';
  size_t size = sizeof buf;
  assert_int_equal(uv_exepath(buf, &size), 0);
  assert_string_equal(buf, expected);
  assert_int_equal(size, (size_t)n);
  /* too small: cut to fit, no error (libuv) */
  size = 5;
  assert_int_equal(uv_exepath(buf, &size), 0);
  assert_int_equal(size, 4);
  assert_memory_equal(buf, expected, 4);
  assert_int_equal(buf[4], '\0');
  size = 1;
  assert_int_equal(uv_exepath(buf, &size), 0);
  assert_int_equal(size, 0);
  assert_string_equal(buf, "");
  size = 0;
  assert_int_equal(uv_exepath(buf, &size), UV_EINVAL);
  assert_int_equal(uv_exepath(NULL, &size), UV_EINVAL);
  assert_int_equal(uv_exepath(buf, NULL), UV_EINVAL);
}

/* ---- host ---------------------------------------------------------------------------- */

/* follows libuv test-gethostname.c gethostname */
static void test_gethostname(void** state) {
  (void)state;
  char expected[UV_MAXHOSTNAMESIZE];
  char buf[UV_MAXHOSTNAMESIZE];
  size_t size;
  assert_int_equal(gethostname(expected, sizeof expected), 0);
  size = 0;
  assert_int_equal(uv_os_gethostname(buf, &size), UV_EINVAL);
  assert_int_equal(uv_os_gethostname(NULL, &size), UV_EINVAL);
  assert_int_equal(uv_os_gethostname(buf, NULL), UV_EINVAL);
  size = 1;
  assert_int_equal(uv_os_gethostname(buf, &size), UV_ENOBUFS);
  assert_int_equal(size, strlen(expected) + 1);
  size = sizeof buf;
  assert_int_equal(uv_os_gethostname(buf, &size), 0);
  assert_string_equal(buf, expected);
  assert_int_equal(size, strlen(expected));
}

/* follows libuv test-uname.c utsname */
static void test_utsname(void** state) {
  (void)state;
  uv_utsname_t buf;
  struct utsname u;
  assert_int_equal(uv_os_uname(NULL), UV_EINVAL);
  assert_int_equal(uname(&u), 0);
  assert_int_equal(uv_os_uname(&buf), 0);
  assert_string_equal(buf.sysname, u.sysname);
  assert_string_equal(buf.release, u.release);
  assert_string_equal(buf.version, u.version);
  assert_string_equal(buf.machine, u.machine);
}

/* follows libuv test-process-priority.c process_priority */
static void test_priority(void** state) {
  (void)state;
  int prio;
  assert_int_equal(uv_os_getpriority(0, NULL), UV_EINVAL);
  assert_int_equal(uv_os_setpriority(0, UV_PRIORITY_HIGHEST - 1), UV_EINVAL);
  assert_int_equal(uv_os_setpriority(0, UV_PRIORITY_LOW + 1), UV_EINVAL);
  assert_int_equal(uv_os_getpriority(0, &prio), 0);
  errno = 0;
  int expected = getpriority(PRIO_PROCESS, 0);
  assert_int_equal(errno, 0);
  assert_int_equal(prio, expected);
  assert_int_equal(uv_os_getpriority(uv_os_getpid(), &prio), 0);
  assert_int_equal(prio, expected);
  /* Lowering our own priority needs no privilege. */
  if (expected < UV_PRIORITY_LOW) {
    assert_int_equal(uv_os_setpriority(0, expected + 1), 0);
    assert_int_equal(uv_os_getpriority(0, &prio), 0);
    assert_int_equal(prio, expected + 1);
    assert_int_equal(getpriority(PRIO_PROCESS, 0), expected + 1);
  }
  /* No such process (pids are at most 2^22 on Linux). */
  assert_int_equal(uv_os_getpriority(0x7ffffff0, &prio), UV_ESRCH);
  assert_int_equal(uv_os_setpriority(0x7ffffff0, 0), UV_ESRCH);
}

/* ---- CPUs and interfaces ----------------------------------------------------------- */

/* follows libuv test-platform-output.c platform_output (uv_cpu_info) */
static void test_cpu_info(void** state) {
  (void)state;
  uv_cpu_info_t* cpus;
  int count;
  char stat[65536];
  assert_true(read_file("/proc/stat", stat, sizeof stat) > 0);
  int expected = 0;
  for (char* line = strstr(stat, "\ncpu"); line != NULL; line = strstr(line + 1, "\ncpu")) expected++;
  assert_int_equal(uv_cpu_info(&cpus, &count), 0);
  assert_int_equal(count, expected);
  assert_true(count >= 1);
  uint64_t total = 0;
  for (int i = 0; i < count; i++) {
    assert_non_null(cpus[i].model);
    assert_true(strlen(cpus[i].model) > 0);
    assert_true(cpus[i].speed >= 0);
    total += cpus[i].cpu_times.user + cpus[i].cpu_times.sys + cpus[i].cpu_times.idle;
  }
  assert_true(total > 0);
  /* times are milliseconds: the idle time of cpu0 is at most the uptime */
  double up;
  assert_int_equal(uv_uptime(&up), 0);
  assert_true(cpus[0].cpu_times.idle <= (uint64_t)(up * 1000.0) + 1000);
  uv_free_cpu_info(cpus, count);
}

/* follows libuv test-platform-output.c platform_output (uv_interface_addresses) */
static void test_interface_addresses(void** state) {
  (void)state;
  uv_interface_address_t* addrs;
  int count;
  assert_int_equal(uv_interface_addresses(&addrs, &count), 0);
  assert_true(count >= 0);
  for (int i = 0; i < count; i++) {
    assert_non_null(addrs[i].name);
    unsigned int index = if_nametoindex(addrs[i].name);
    if (strchr(addrs[i].name, ':') == NULL) assert_true(index > 0);
    int family = addrs[i].address.address4.sin_family;
    assert_true(family == AF_INET || family == AF_INET6);
    if (family == AF_INET && ntohl(addrs[i].address.address4.sin_addr.s_addr) == INADDR_LOOPBACK) {
      assert_int_equal(addrs[i].is_internal, 1);
      for (int j = 0; j < 6; j++) assert_int_equal(addrs[i].phys_addr[j], 0);
    }
  }
  uv_free_interface_addresses(addrs, count);
}

/* ---- memory, time, usage ------------------------------------------------------------- */

static uint64_t meminfo(const char* what) {
  char buf[8192];
  assert_true(read_file("/proc/meminfo", buf, sizeof buf) > 0);
  const char* p = strstr(buf, what);
  assert_non_null(p);
  unsigned long long kb = 0;
  assert_int_equal(sscanf(p + strlen(what), "%llu", &kb), 1);
  return (uint64_t)kb * 1024;
}

/* follows libuv test-get-memory.c get_memory */
static void test_get_memory(void** state) {
  (void)state;
  uint64_t total = uv_get_total_memory();
  /* libuv 1.44 reports MemAvailable. It moves (other processes allocate
   * while this one may be descheduled between the reads), so bracket the
   * call between two reads and allow 64 MiB either side. */
  uint64_t avail_before = meminfo("MemAvailable:");
  uint64_t free_mem = uv_get_free_memory();
  uint64_t avail_after = meminfo("MemAvailable:");
  assert_int_equal(total, meminfo("MemTotal:"));
  assert_true(free_mem > 0);
  assert_true(free_mem <= total);
  uint64_t lo = avail_before < avail_after ? avail_before : avail_after;
  uint64_t hi = avail_before < avail_after ? avail_after : avail_before;
  assert_true(free_mem + (64u << 20) > lo);
  assert_true(free_mem < hi + (64u << 20));
  /* constrained: the cgroup v1 limit, or 0 (unknown) */
  char buf[64];
  unsigned long long limit = 0;
  if (read_file("/sys/fs/cgroup/memory/memory.limit_in_bytes", buf, sizeof buf) > 0) sscanf(buf, "%llu", &limit);
  assert_int_equal(uv_get_constrained_memory(), limit);
}

/* follows libuv test-platform-output.c (uv_resident_set_memory) */
static void test_resident_set_memory(void** state) {
  (void)state;
  size_t rss = 0;
  assert_int_equal(uv_resident_set_memory(&rss), 0);
  assert_true(rss > 0);
  assert_true(rss % (size_t)getpagesize() == 0);
  assert_true(rss < uv_get_total_memory());
}

/* follows libuv test-uptime.c uptime */
static void test_uptime(void** state) {
  (void)state;
  double up = 0;
  char buf[128];
  double expected;
  assert_int_equal(uv_uptime(&up), 0);
  assert_true(read_file("/proc/uptime", buf, sizeof buf) > 0);
  assert_int_equal(sscanf(buf, "%lf", &expected), 1);
  assert_true(up > 0);
  assert_true(up <= expected && expected - up < 60.0);
}

/* follows libuv test-getrusage.c getrusage */
static void test_getrusage(void** state) {
  (void)state;
  uv_rusage_t r;
  struct rusage own;
  /* burn a little CPU so utime moves */
  volatile unsigned long x = 0;
  for (unsigned long i = 0; i < 20000000; i++) x += i;
  assert_int_equal(uv_getrusage(&r), 0);
  assert_int_equal(getrusage(RUSAGE_SELF, &own), 0);
  assert_true(r.ru_utime.tv_sec >= 0);
  assert_true(r.ru_utime.tv_usec >= 0 && r.ru_utime.tv_usec < 1000000);
  assert_true(r.ru_stime.tv_usec >= 0 && r.ru_stime.tv_usec < 1000000);
  assert_true(r.ru_utime.tv_sec > 0 || r.ru_utime.tv_usec > 0);
  assert_true(r.ru_maxrss > 0);
  assert_true(r.ru_maxrss <= (uint64_t)own.ru_maxrss);
  assert_true(r.ru_minflt <= (uint64_t)own.ru_minflt);
  assert_true((uint64_t)r.ru_utime.tv_sec <= (uint64_t)own.ru_utime.tv_sec);
}

/* ---- process title ------------------------------------------------------------------ */

/* follows libuv test-process-title.c process_title */
static void test_process_title(void** state) {
  (void)state;
  char buf[4096];
  assert_int_equal(uv_get_process_title(NULL, 100), UV_EINVAL);
  assert_int_equal(uv_get_process_title(buf, 0), UV_EINVAL);
  /* before any set: argv[0] */
  assert_int_equal(uv_get_process_title(buf, sizeof buf), 0);
  assert_string_equal(buf, saved_argv[0]);
  assert_int_equal(uv_get_process_title(buf, strlen(saved_argv[0])), UV_ENOBUFS);
  assert_int_equal(uv_get_process_title(buf, strlen(saved_argv[0]) + 1), 0);

  assert_int_equal(uv_set_process_title("veloq-title"), 0);
  assert_int_equal(uv_get_process_title(buf, sizeof buf), 0);
  assert_string_equal(buf, "veloq-title");
  assert_int_equal(uv_get_process_title(buf, 11), UV_ENOBUFS);
  assert_int_equal(uv_get_process_title(buf, 12), 0);
  /* the thread name (comm) gets the first 15 bytes */
  char comm[64];
  assert_true(read_file("/proc/thread-self/comm", comm, sizeof comm) > 0);
  assert_string_equal(comm, "veloq-title\n");
  /* ps shows the title: the original argv memory holds it */
  char cmdline[4096];
  assert_true(read_file("/proc/self/cmdline", cmdline, sizeof cmdline) > 0);
  assert_string_equal(cmdline, "veloq-title");
  /* the arguments the program uses are uv_setup_args' copy, untouched */
  assert_true(strcmp(saved_argv[0], "veloq-title") != 0);

  /* a long title is cut to the argv strings' size */
  char long_title[8192];
  memset(long_title, 'T', sizeof long_title - 1);
  long_title[sizeof long_title - 1] = '\0';
  assert_int_equal(uv_set_process_title(long_title), 0);
  assert_int_equal(uv_get_process_title(buf, sizeof buf), 0);
  assert_int_equal(strlen(buf), title_capacity - 1);
  assert_int_equal(uv_set_process_title(""), 0);
  assert_int_equal(uv_get_process_title(buf, 1), 0);
  assert_string_equal(buf, "");
  assert_int_equal(uv_set_process_title(saved_argv[0]), 0);
}

/* ---- dl ------------------------------------------------------------------------------- */

/* follows libuv test-dlerror.c dlerror */
static void test_dlerror(void** state) {
  (void)state;
  const char* path = "/veloq/no/such/libveloq-test.so";
  uv_lib_t lib;
  void* sym;
  lib.errmsg = NULL;
  lib.handle = NULL;
  assert_int_equal(uv_dlopen(path, &lib), -1);
  assert_null(lib.handle);
  assert_non_null(strstr(uv_dlerror(&lib), path));
  /* the message stays the same until something else fails */
  assert_non_null(strstr(uv_dlerror(&lib), path));
  uv_dlclose(&lib);
  assert_null(lib.errmsg);
  assert_string_equal(uv_dlerror(&lib), "no error");

  assert_int_equal(uv_dlopen("libc.so.6", &lib), 0);
  assert_non_null(lib.handle);
  assert_null(lib.errmsg);
  assert_int_equal(uv_dlsym(&lib, "strlen", &sym), 0);
  assert_non_null(sym);
  assert_int_equal(((size_t(*)(const char*))sym)("veloq"), 5);
  assert_int_equal(uv_dlsym(&lib, "veloq_no_such_symbol", &sym), -1);
  assert_null(sym);
  assert_non_null(strstr(uv_dlerror(&lib), "veloq_no_such_symbol"));
  /* a later success leaves the last error in place (libuv) */
  assert_int_equal(uv_dlsym(&lib, "strlen", &sym), 0);
  assert_non_null(strstr(uv_dlerror(&lib), "veloq_no_such_symbol"));
  uv_dlclose(&lib);
  assert_null(lib.handle);
  assert_null(lib.errmsg);
}


/* ---- the replaced allocator ------------------------------------------------------------ */

static int mallocs, frees;
static void* counting_malloc(size_t n) {
  __atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
  return malloc(n);
}
static void* counting_realloc(void* p, size_t n) {
  if (p == NULL) __atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
  return realloc(p, n);
}
static void* counting_calloc(size_t c, size_t n) {
  __atomic_add_fetch(&mallocs, 1, __ATOMIC_RELAXED);
  return calloc(c, n);
}
static void counting_free(void* p) {
  if (p != NULL) __atomic_add_fetch(&frees, 1, __ATOMIC_RELAXED);
  free(p);
}

/* follows libuv test-get-passwd.c / test-env-vars.c / test-platform-output.c:
 * what these return comes from the allocator given to uv_replace_allocator,
 * and their uv_*free* functions give it back there */
static void test_results_use_replaced_allocator(void** state) {
  (void)state;
  assert_int_equal(uv_replace_allocator(counting_malloc, counting_realloc, counting_calloc, counting_free), 0);
  uv_passwd_t pwd;
  mallocs = frees = 0;
  assert_int_equal(uv_os_get_passwd(&pwd), 0);
  assert_true(mallocs >= 1);
  uv_os_free_passwd(&pwd);
  assert_int_equal(mallocs, frees);

  uv_env_item_t* items;
  int count;
  mallocs = frees = 0;
  assert_int_equal(uv_os_environ(&items, &count), 0);
  assert_int_equal(mallocs, count + 1); /* the array and one string per entry */
  uv_os_free_environ(items, count);
  assert_int_equal(mallocs, frees);

  uv_cpu_info_t* cpus;
  mallocs = frees = 0;
  assert_int_equal(uv_cpu_info(&cpus, &count), 0);
  assert_int_equal(mallocs, count + 1); /* the array and one model per CPU */
  uv_free_cpu_info(cpus, count);
  assert_int_equal(mallocs, frees);

  uv_interface_address_t* addrs;
  mallocs = frees = 0;
  assert_int_equal(uv_interface_addresses(&addrs, &count), 0);
  assert_int_equal(mallocs, count == 0 ? 0 : count + 1);
  uv_free_interface_addresses(addrs, count);
  assert_int_equal(mallocs, frees);

  uv_lib_t lib;
  mallocs = frees = 0;
  assert_int_equal(uv_dlopen("/veloq/no/such/lib.so", &lib), -1);
  assert_int_equal(mallocs, 1); /* the error text */
  uv_dlclose(&lib);
  assert_int_equal(frees, 1);
  assert_int_equal(uv_replace_allocator(malloc, realloc, calloc, free), 0);
}

/* follows libuv test-homedir.c (an empty HOME is used as it is) */
static void test_homedir_empty_home(void** state) {
  (void)state;
  char saved[PATH_MAX];
  const char* home = getenv("HOME");
  int had_home = home != NULL;
  if (had_home) snprintf(saved, sizeof saved, "%s", home);
  char buf[64];
  size_t size = sizeof buf;
  assert_int_equal(uv_os_setenv("HOME", ""), 0);
  assert_int_equal(uv_os_homedir(buf, &size), 0);
  assert_int_equal(size, 0);
  assert_string_equal(buf, "");
  if (had_home)
    assert_int_equal(uv_os_setenv("HOME", saved), 0);
  else
    assert_int_equal(uv_os_unsetenv("HOME"), 0);
}

int main(int argc, char** argv) {
  /* The argv strings are contiguous: their total size is the title's room. */
  title_capacity = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) + 1 - argv[0]);
  saved_argc = argc;
  saved_argv = uv_setup_args(argc, argv);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_env_vars),       cmocka_unit_test(test_environment_creation),
      cmocka_unit_test(test_get_passwd),     cmocka_unit_test(test_homedir),
      cmocka_unit_test(test_tmpdir),         cmocka_unit_test(test_cwd_and_chdir),
      cmocka_unit_test(test_exepath),        cmocka_unit_test(test_gethostname),
      cmocka_unit_test(test_utsname),        cmocka_unit_test(test_priority),
      cmocka_unit_test(test_cpu_info),       cmocka_unit_test(test_interface_addresses),
      cmocka_unit_test(test_get_memory),     cmocka_unit_test(test_resident_set_memory),
      cmocka_unit_test(test_uptime),         cmocka_unit_test(test_getrusage),
      cmocka_unit_test(test_process_title),  cmocka_unit_test(test_dlerror),
      cmocka_unit_test(test_results_use_replaced_allocator), cmocka_unit_test(test_homedir_empty_home),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
