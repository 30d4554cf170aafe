/* uv_spawn / uv_process_kill / uv_kill: children are /bin/sh, /bin/echo,
 * /bin/sleep ... ; their output goes to temporary files (UV_INHERIT_FD) or
 * uv pipes (UV_CREATE_PIPE). Every case reaps what it spawns: no zombie and
 * no fd is left behind (checked at the end of the run). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

/* ------------------------------------------------------------------ helpers */

static uv_loop_t loop;
static uv_timer_t guard;
static int guard_fired;

static void on_guard(uv_timer_t* t) {
  guard_fired = 1;
  uv_stop(t->loop);
}

static void setup_loop(void) {
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 20000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static void finish_loop(void) {
  uv_close((uv_handle_t*)&guard, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

struct child {
  uv_process_t p;
  uv_process_options_t o;
  uv_stdio_container_t stdio[4];
  int exits;
  int64_t exit_status;
  int term_signal;
  int closed;
  int close_in_exit_cb;
};

static void on_child_closed(uv_handle_t* h) { ((struct child*)h->data)->closed++; }

static void on_exit_cb(uv_process_t* p, int64_t exit_status, int term_signal) {
  struct child* c = p->data;
  c->exits++;
  c->exit_status = exit_status;
  c->term_signal = term_signal;
  assert_false(uv_is_active((uv_handle_t*)p));
  if (c->close_in_exit_cb) uv_close((uv_handle_t*)p, on_child_closed);
}

static void child_setup(struct child* c, char** args) {
  memset(c, 0, sizeof *c);
  c->o.file = args[0];
  c->o.args = args;
  c->o.exit_cb = on_exit_cb;
  c->o.stdio = c->stdio;
  c->close_in_exit_cb = 1;
}

static int child_spawn(struct child* c) {
  int r = uv_spawn(&loop, &c->p, &c->o);
  c->p.data = c;
  return r;
}

static void run_until(int* counter, int value) {
  while (*counter < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

/* A temporary file for a child's output; read back with slurp(). */
static int temp_file(char* path) {
  strcpy(path, "/tmp/veloq-proc-XXXXXX");
  int fd = mkostemp(path, O_CLOEXEC); /* only what the child is given reaches it */
  assert_true(fd >= 0);
  return fd;
}

static void slurp(const char* path, char* out, size_t cap) {
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  ssize_t n = read(fd, out, cap - 1);
  assert_true(n >= 0);
  out[n] = '\0';
  close(fd);
  unlink(path);
}

static int count_open_fds(void) {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++) {
    if (fcntl(fd, F_GETFD) != -1) n++;
  }
  return n;
}

static void assert_no_children(void) {
  errno = 0;
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
}

/* ------------------------------------------------------------------ cases */

/* follows libuv test-spawn.c spawn_fails: exec errors come back from
 * uv_spawn itself; the handle is initialised (and must be closed) */
static void test_spawn_fails(void** state) {
  (void)state;
  char* args[] = {"/veloq/no/such/program", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), UV_ENOENT);
  assert_false(uv_is_active((uv_handle_t*)&c.p));
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  uv_close((uv_handle_t*)&c.p, on_child_closed);
  finish_loop();
  assert_int_equal(c.exits, 0);
  assert_int_equal(c.closed, 1);
  assert_no_children(); /* the failed child was reaped */
}

/* follows libuv test-spawn.c spawn_fails (EACCES): a file without exec bits */
static void test_spawn_fails_eacces(void** state) {
  (void)state;
  char path[64];
  close(temp_file(path));
  assert_int_equal(chmod(path, 0644), 0);
  char* args[] = {path, NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), UV_EACCES);
  uv_close((uv_handle_t*)&c.p, NULL);
  finish_loop();
  unlink(path);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_exit_code */
static void test_spawn_exit_code(void** state) {
  (void)state;
  char* args[] = {"/bin/sh", "-c", "exit 42", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), 0);
  assert_true(uv_is_active((uv_handle_t*)&c.p));
  assert_true(c.p.pid > 0);
  assert_int_equal(uv_process_get_pid(&c.p), c.p.pid);
  finish_loop();
  assert_int_equal(c.exits, 1);
  assert_int_equal(c.exit_status, 42);
  assert_int_equal(c.term_signal, 0);
  assert_int_equal(c.closed, 1);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_and_kill */
static void test_spawn_and_kill(void** state) {
  (void)state;
  char* args[] = {"/bin/sleep", "100", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), 0);
  assert_int_equal(uv_process_kill(&c.p, SIGTERM), 0);
  finish_loop();
  assert_int_equal(c.exits, 1);
  assert_int_equal(c.exit_status, 0);
  assert_int_equal(c.term_signal, SIGTERM);
  assert_no_children();
}

/* follows libuv test-spawn.c kill: uv_kill checks its signal and target */
static void test_kill(void** state) {
  (void)state;
  char* args[] = {"/bin/sleep", "100", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), 0);
  int pid = c.p.pid;
  assert_int_equal(uv_kill(pid, 0), 0);
  assert_int_equal(uv_kill(pid, -1), UV_EINVAL);
  assert_int_equal(uv_kill(pid, 4096), UV_EINVAL);
  assert_int_equal(uv_process_kill(&c.p, 0), 0);
  assert_int_equal(uv_kill(pid, SIGKILL), 0);
  finish_loop();
  assert_int_equal(c.term_signal, SIGKILL);
  assert_int_equal(uv_kill(pid, 0), UV_ESRCH); /* reaped: gone */
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_env: the child gets exactly `env`, and
 * PATH for a bare file name comes from it (spawn_reads_child_path) */
static void test_spawn_env(void** state) {
  (void)state;
  char path[64];
  int fd = temp_file(path);
  char* args[] = {"sh", "-c", "echo \"$VELOQ_A:$VELOQ_B:$HOME\"", NULL};
  char* env[] = {"VELOQ_A=one", "VELOQ_B=two words", "PATH=/bin:/usr/bin", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.env = env;
  c.o.stdio_count = 2;
  c.stdio[0].flags = UV_IGNORE;
  c.stdio[1].flags = UV_INHERIT_FD;
  c.stdio[1].data.fd = fd;
  assert_int_equal(child_spawn(&c), 0);
  finish_loop();
  close(fd);
  char out[128];
  slurp(path, out, sizeof out);
  assert_string_equal(out, "one:two words:\n");
  assert_int_equal(c.exit_status, 0);
}

/* follows libuv test-spawn.c spawn_reads_child_path: a PATH without the
 * program's directory makes a bare name fail */
static void test_spawn_child_path_enoent(void** state) {
  (void)state;
  char* args[] = {"sh", "-c", "exit 0", NULL};
  char* env[] = {"PATH=/veloq/nowhere", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.env = env;
  assert_int_equal(child_spawn(&c), UV_ENOENT);
  uv_close((uv_handle_t*)&c.p, NULL);
  finish_loop();
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_cwd (and a missing cwd failing) */
static void test_spawn_cwd(void** state) {
  (void)state;
  char dir[] = "/tmp/veloq-cwd-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[64];
  int fd = temp_file(path);
  char* args[] = {"/bin/sh", "-c", "pwd -P", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.cwd = dir;
  c.o.stdio_count = 2;
  c.stdio[1].flags = UV_INHERIT_FD;
  c.stdio[1].data.fd = fd;
  assert_int_equal(child_spawn(&c), 0);
  run_until(&c.closed, 1);
  close(fd);
  char out[PATH_MAX + 2], want[PATH_MAX + 2];
  slurp(path, out, sizeof out);
  assert_non_null(realpath(dir, want));
  strcat(want, "\n");
  assert_string_equal(out, want);

  struct child bad;
  child_setup(&bad, args);
  bad.o.cwd = "/veloq/no/such/dir";
  assert_int_equal(uv_spawn(&loop, &bad.p, &bad.o), UV_ENOENT);
  uv_close((uv_handle_t*)&bad.p, NULL);
  finish_loop();
  rmdir(dir);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_detached: the child leads its own
 * session (setsid) */
static void test_spawn_detached(void** state) {
  (void)state;
  char* args[] = {"/bin/sleep", "100", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.flags = UV_PROCESS_DETACHED;
  assert_int_equal(child_spawn(&c), 0);
  assert_int_equal(getsid(c.p.pid), c.p.pid);
  assert_int_equal(getpgid(c.p.pid), c.p.pid);
  assert_int_equal(uv_process_kill(&c.p, SIGTERM), 0);
  finish_loop();
  assert_int_equal(c.term_signal, SIGTERM);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_setuid_setgid (as root) and
 * spawn_setuid_fails (as anyone else: EPERM) */
static void test_spawn_setuid_setgid(void** state) {
  (void)state;
  char* args[] = {"/bin/sh", "-c", "test \"$(id -u):$(id -g)\" = 65534:65534", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.flags = UV_PROCESS_SETUID | UV_PROCESS_SETGID;
  c.o.uid = 65534;
  c.o.gid = 65534;
  if (getuid() == 0) {
    assert_int_equal(child_spawn(&c), 0);
    finish_loop();
    assert_int_equal(c.exits, 1);
    assert_int_equal(c.exit_status, 0);
  } else {
    assert_int_equal(child_spawn(&c), UV_EPERM);
    uv_close((uv_handle_t*)&c.p, NULL);
    finish_loop();
  }
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_inherit_streams / spawn_stdout_to_file:
 * UV_INHERIT_FD, also beyond stdio (fd 3) */
static void test_spawn_inherit_fd(void** state) {
  (void)state;
  char p1[64], p3[64];
  int fd1 = temp_file(p1), fd3 = temp_file(p3);
  char* args[] = {"/bin/sh", "-c", "echo out; echo three >&3", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.stdio_count = 4;
  c.stdio[0].flags = UV_IGNORE;
  c.stdio[1].flags = UV_INHERIT_FD;
  c.stdio[1].data.fd = fd1;
  c.stdio[2].flags = UV_IGNORE;
  c.stdio[3].flags = UV_INHERIT_FD;
  c.stdio[3].data.fd = fd3;
  assert_int_equal(child_spawn(&c), 0);
  finish_loop();
  assert_int_equal(c.exit_status, 0);
  close(fd1);
  close(fd3);
  char out[64];
  slurp(p1, out, sizeof out);
  assert_string_equal(out, "out\n");
  slurp(p3, out, sizeof out);
  assert_string_equal(out, "three\n");
}

/* follows libuv test-spawn.c spawn_ignore: ignored stdio is /dev/null
 * (stdin reads EOF at once) */
static void test_spawn_ignore(void** state) {
  (void)state;
  char path[64];
  int fd = temp_file(path);
  char* args[] = {"/bin/sh", "-c", "cat; readlink /proc/self/fd/0 /proc/self/fd/2", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.stdio_count = 3;
  c.stdio[0].flags = UV_IGNORE;
  c.stdio[1].flags = UV_INHERIT_FD;
  c.stdio[1].data.fd = fd;
  c.stdio[2].flags = UV_IGNORE;
  assert_int_equal(child_spawn(&c), 0);
  finish_loop();
  close(fd);
  char out[128];
  slurp(path, out, sizeof out);
  assert_string_equal(out, "/dev/null\n/dev/null\n");
}

/* follows libuv test-spawn.c spawn_inherit_streams with a bad fd: an
 * inherited fd that is not open fails the spawn */
static void test_spawn_inherit_closed_fd(void** state) {
  (void)state;
  char* args[] = {"/bin/true", NULL};
  /* a high number: a low one may be reused by spawn's own fds */
  const int closed_fd = 900;
  assert_int_equal(fcntl(closed_fd, F_GETFD), -1);
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.stdio_count = 2;
  c.stdio[1].flags = UV_INHERIT_FD;
  c.stdio[1].data.fd = closed_fd;
  assert_int_equal(child_spawn(&c), UV_EBADF);
  uv_close((uv_handle_t*)&c.p, NULL);
  finish_loop();
  assert_no_children();
}

/* follows libuv test-spawn.c process_ref: an unref'd process handle does
 * not keep the loop running; its exit still arrives once ref'd again */
static void test_process_ref(void** state) {
  (void)state;
  char* args[] = {"/bin/sleep", "100", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), 0);
  uv_unref((uv_handle_t*)&c.p);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(c.exits, 0);
  assert_int_equal(uv_process_kill(&c.p, SIGKILL), 0);
  uv_ref((uv_handle_t*)&c.p);
  finish_loop();
  assert_int_equal(c.exits, 1);
  assert_int_equal(c.term_signal, SIGKILL);
  assert_no_children();
}

/* upstream: several children on one loop, each exit to its own handle;
 * exit_cb may be NULL */
static void test_spawn_many(void** state) {
  (void)state;
  char* a0[] = {"/bin/sh", "-c", "exit 3", NULL};
  char* a1[] = {"/bin/false", NULL};
  char* a2[] = {"/bin/true", NULL};
  char* a3[] = {"/bin/echo", "quiet", NULL};
  struct child c[4];
  setup_loop();
  child_setup(&c[0], a0);
  child_setup(&c[1], a1);
  child_setup(&c[2], a2);
  child_setup(&c[3], a3);
  c[3].o.exit_cb = NULL;
  for (int i = 0; i < 4; i++) assert_int_equal(child_spawn(&c[i]), 0);
  run_until(&c[2].exits, 1);
  run_until(&c[1].exits, 1);
  run_until(&c[0].exits, 1);
  while (uv_is_active((uv_handle_t*)&c[3].p) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  uv_close((uv_handle_t*)&c[3].p, NULL);
  finish_loop();
  assert_int_equal(c[0].exit_status, 3);
  assert_int_equal(c[1].exit_status, 1);
  assert_int_equal(c[2].exit_status, 0);
  for (int i = 0; i < 3; i++) assert_int_equal(c[i].exits, 1);
  assert_int_equal(c[3].exits, 0);
  assert_no_children();
}

static int user_sigchld;
static void on_user_sigchld(uv_signal_t* h, int signum) {
  (void)signum;
  user_sigchld++;
  uv_close((uv_handle_t*)h, NULL);
}

/* upstream: a user's SIGCHLD handle and the loop's child watcher share the
 * signal: both see it */
static void test_spawn_with_user_sigchld(void** state) {
  (void)state;
  char* args[] = {"/bin/true", NULL};
  uv_signal_t sig;
  struct child c;
  setup_loop();
  user_sigchld = 0;
  assert_int_equal(uv_signal_init(&loop, &sig), 0);
  assert_int_equal(uv_signal_start(&sig, on_user_sigchld, SIGCHLD), 0);
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), 0);
  finish_loop();
  assert_int_equal(user_sigchld, 1);
  assert_int_equal(c.exits, 1);
  assert_no_children();
}

/* upstream: closing the handle of a running child drops its exit_cb (the
 * child is not reaped: that is the caller's business) */
static void test_spawn_close_before_exit(void** state) {
  (void)state;
  char* args[] = {"/bin/sleep", "100", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  assert_int_equal(child_spawn(&c), 0);
  int pid = c.p.pid;
  uv_close((uv_handle_t*)&c.p, on_child_closed);
  assert_int_equal(kill(pid, SIGKILL), 0);
  finish_loop();
  assert_int_equal(c.exits, 0);
  assert_int_equal(c.closed, 1);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status));
  assert_no_children();
}

/* upstream: exit_cb may spawn again (the next child reuses the watcher) */
static struct child chain[3];
static int chain_len;
static char* chain_args[] = {"/bin/true", NULL};
static void on_chain_exit(uv_process_t* p, int64_t exit_status, int term_signal) {
  (void)exit_status, (void)term_signal;
  uv_close((uv_handle_t*)p, NULL);
  if (++chain_len < 3) {
    child_setup(&chain[chain_len], chain_args);
    chain[chain_len].o.exit_cb = on_chain_exit;
    assert_int_equal(child_spawn(&chain[chain_len]), 0);
  }
}

static void test_spawn_from_exit_cb(void** state) {
  (void)state;
  setup_loop();
  chain_len = 0;
  child_setup(&chain[0], chain_args);
  chain[0].o.exit_cb = on_chain_exit;
  assert_int_equal(child_spawn(&chain[0]), 0);
  finish_loop();
  assert_int_equal(chain_len, 3);
  assert_no_children();
}

/* upstream: argv reaches the child as given (argv[0] included) */
static void test_spawn_args(void** state) {
  (void)state;
  char path[64];
  int fd = temp_file(path);
  char* args[] = {"/bin/sh", "-c", "echo \"$0|$1|$2\"", "zero", "one", "two two", NULL};
  struct child c;
  setup_loop();
  child_setup(&c, args);
  c.o.stdio_count = 2;
  c.stdio[1].flags = UV_INHERIT_FD;
  c.stdio[1].data.fd = fd;
  assert_int_equal(child_spawn(&c), 0);
  finish_loop();
  close(fd);
  char out[64];
  slurp(path, out, sizeof out);
  assert_string_equal(out, "zero|one|two two\n");
}

/* ------------------------------------------------------- UV_CREATE_PIPE */

/* Reads everything a pipe gives into `buf` until EOF, then closes it. */
struct reader {
  uv_pipe_t pipe;
  char buf[4096];
  size_t len;
  int eof;
  int err;
  int closed;
};

static void reader_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* b) {
  struct reader* r = h->data;
  (void)suggested;
  *b = uv_buf_init(r->buf + r->len, (unsigned)(sizeof r->buf - 1 - r->len));
}

static void reader_closed(uv_handle_t* h) { ((struct reader*)h->data)->closed = 1; }

static void reader_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  struct reader* r = s->data;
  (void)b;
  if (n > 0) {
    r->len += (size_t)n;
    r->buf[r->len] = '\0';
    return;
  }
  if (n == 0) return;
  if (n == UV_EOF) r->eof = 1;
  else r->err = (int)n;
  uv_close((uv_handle_t*)s, reader_closed);
}

static void reader_init(struct reader* r) {
  memset(r, 0, sizeof *r);
  assert_int_equal(uv_pipe_init(&loop, &r->pipe, 0), 0);
  r->pipe.data = r;
}

/* follows libuv test-spawn.c spawn_stdout: the child's stdout is a pipe
 * the parent reads to EOF */
static void test_spawn_stdout(void** state) {
  (void)state;
  char* args[] = {"/bin/sh", "-c", "echo hello; echo world >&2", NULL};
  struct child c;
  struct reader out, err;
  setup_loop();
  reader_init(&out);
  reader_init(&err);
  child_setup(&c, args);
  c.o.stdio_count = 3;
  c.stdio[0].flags = UV_IGNORE;
  c.stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  c.stdio[1].data.stream = (uv_stream_t*)&out.pipe;
  c.stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  c.stdio[2].data.stream = (uv_stream_t*)&err.pipe;
  assert_int_equal(child_spawn(&c), 0);
  assert_true(uv_is_readable((uv_stream_t*)&out.pipe));
  assert_false(uv_is_writable((uv_stream_t*)&out.pipe));
  assert_int_equal(uv_read_start((uv_stream_t*)&out.pipe, reader_alloc, reader_read), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&err.pipe, reader_alloc, reader_read), 0);
  finish_loop();
  assert_int_equal(c.exits, 1);
  assert_int_equal(c.exit_status, 0);
  assert_int_equal(out.eof, 1);
  assert_string_equal(out.buf, "hello\n");
  assert_int_equal(err.eof, 1);
  assert_string_equal(err.buf, "world\n");
  assert_no_children();
}

static int stdin_written;
static void on_stdin_written(uv_write_t* req, int status) {
  assert_int_equal(status, 0);
  stdin_written++;
  uv_close((uv_handle_t*)req->handle, NULL); /* EOF for the child */
}

/* follows libuv test-spawn.c spawn_stdin: the parent writes the child's
 * stdin, the child echoes it back on stdout */
static void test_spawn_stdin(void** state) {
  (void)state;
  char* args[] = {"/bin/cat", NULL};
  struct child c;
  struct reader out;
  uv_pipe_t in;
  uv_write_t req;
  setup_loop();
  reader_init(&out);
  assert_int_equal(uv_pipe_init(&loop, &in, 0), 0);
  child_setup(&c, args);
  c.o.stdio_count = 2;
  c.stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
  c.stdio[0].data.stream = (uv_stream_t*)&in;
  c.stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  c.stdio[1].data.stream = (uv_stream_t*)&out.pipe;
  assert_int_equal(child_spawn(&c), 0);
  assert_true(uv_is_writable((uv_stream_t*)&in));
  assert_false(uv_is_readable((uv_stream_t*)&in));
  stdin_written = 0;
  uv_buf_t b = uv_buf_init("hello world\n", 12);
  assert_int_equal(uv_write(&req, (uv_stream_t*)&in, &b, 1, on_stdin_written), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&out.pipe, reader_alloc, reader_read), 0);
  finish_loop();
  assert_int_equal(stdin_written, 1);
  assert_string_equal(out.buf, "hello world\n");
  assert_int_equal(out.eof, 1);
  assert_int_equal(c.exit_status, 0);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_and_ping: one pipe both ways (a
 * socketpair end), the child answers a line */
static struct reader ping_r;
static uv_write_t ping_req;
static void ping_read(uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
  reader_read(s, n, b);
  if (n > 0 && strchr(ping_r.buf, '\n') != NULL && !uv_is_closing((uv_handle_t*)s)) {
    uv_close((uv_handle_t*)s, reader_closed);
  }
}

static void test_spawn_and_ping(void** state) {
  (void)state;
  /* the shell answers on its stdin, the socket (stdout is /dev/null) */
  char* args[] = {"/bin/sh", "-c", "read line; echo \"pong:$line\" >&0", NULL};
  struct child c;
  setup_loop();
  reader_init(&ping_r);
  child_setup(&c, args);
  c.o.stdio_count = 1;
  c.stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE | UV_WRITABLE_PIPE;
  c.stdio[0].data.stream = (uv_stream_t*)&ping_r.pipe;
  assert_int_equal(child_spawn(&c), 0);
  assert_true(uv_is_readable((uv_stream_t*)&ping_r.pipe));
  assert_true(uv_is_writable((uv_stream_t*)&ping_r.pipe));
  uv_buf_t b = uv_buf_init("ping\n", 5);
  assert_int_equal(uv_write(&ping_req, (uv_stream_t*)&ping_r.pipe, &b, 1, NULL), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&ping_r.pipe, reader_alloc, ping_read), 0);
  finish_loop();
  assert_string_equal(ping_r.buf, "pong:ping\n");
  assert_int_equal(c.exit_status, 0);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_and_kill_with_std: a child blocked on its
 * piped stdin dies by SIGTERM; the pipes see EOF */
static void test_spawn_and_kill_with_std(void** state) {
  (void)state;
  char* args[] = {"/bin/cat", NULL};
  struct child c;
  struct reader out;
  uv_pipe_t in;
  setup_loop();
  reader_init(&out);
  assert_int_equal(uv_pipe_init(&loop, &in, 0), 0);
  child_setup(&c, args);
  c.o.stdio_count = 2;
  c.stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
  c.stdio[0].data.stream = (uv_stream_t*)&in;
  c.stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  c.stdio[1].data.stream = (uv_stream_t*)&out.pipe;
  assert_int_equal(child_spawn(&c), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&out.pipe, reader_alloc, reader_read), 0);
  assert_int_equal(uv_process_kill(&c.p, SIGTERM), 0);
  run_until(&c.closed, 1);
  assert_int_equal(c.term_signal, SIGTERM);
  uv_close((uv_handle_t*)&in, NULL);
  finish_loop();
  assert_int_equal(out.eof, 1);
  assert_int_equal(out.len, 0);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_inherit_streams: UV_INHERIT_STREAM hands
 * the child the fd of an open uv_pipe_t */
static void test_spawn_inherit_stream(void** state) {
  (void)state;
  char* args[] = {"/bin/echo", "through a stream", NULL};
  struct child c;
  struct reader r;
  uv_pipe_t w;
  uv_file fds[2];
  setup_loop();
  assert_int_equal(uv_pipe(fds, 0, 0), 0);
  reader_init(&r);
  assert_int_equal(uv_pipe_open(&r.pipe, fds[0]), 0);
  assert_int_equal(uv_pipe_init(&loop, &w, 0), 0);
  assert_int_equal(uv_pipe_open(&w, fds[1]), 0);
  child_setup(&c, args);
  c.o.stdio_count = 2;
  c.stdio[1].flags = UV_INHERIT_STREAM;
  c.stdio[1].data.stream = (uv_stream_t*)&w;
  assert_int_equal(child_spawn(&c), 0);
  run_until(&c.closed, 1);
  uv_close((uv_handle_t*)&w, NULL); /* the parent's write end: EOF after the child's */
  assert_int_equal(uv_read_start((uv_stream_t*)&r.pipe, reader_alloc, reader_read), 0);
  finish_loop();
  assert_string_equal(r.buf, "through a stream\n");
  assert_int_equal(r.eof, 1);
  assert_no_children();
}

/* follows libuv test-spawn.c spawn_closed_process_io: with the parent's
 * fd 0 closed, the socketpair may take fd 0; the child still gets the pipe
 * as its stdin */
static void test_spawn_closed_process_io(void** state) {
  (void)state;
  char path[64];
  int fd = temp_file(path);
  char* args[] = {"/bin/sh", "-c", "read line; echo \"got:$line\"", NULL};
  struct child c;
  uv_pipe_t in;
  uv_write_t req;
  int saved_stdin = fcntl(0, F_DUPFD_CLOEXEC, 10);
  assert_true(saved_stdin >= 0);
  setup_loop();
  assert_int_equal(uv_pipe_init(&loop, &in, 0), 0);
  child_setup(&c, args);
  c.o.stdio_count = 2;
  c.stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
  c.stdio[0].data.stream = (uv_stream_t*)&in;
  c.stdio[1].flags = UV_INHERIT_FD;
  c.stdio[1].data.fd = fd;
  close(0);
  int r = child_spawn(&c);
  if (r != 0) dup2(saved_stdin, 0);
  assert_int_equal(r, 0);
  stdin_written = 0;
  uv_buf_t b = uv_buf_init("line\n", 5);
  assert_int_equal(uv_write(&req, (uv_stream_t*)&in, &b, 1, on_stdin_written), 0);
  run_until(&c.closed, 1);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(stdin_written, 1);
  /* fd 0, if the pipe had it, stays open (libuv never closes stdio fds) */
  assert_int_equal(dup2(saved_stdin, 0), 0);
  close(saved_stdin);
  finish_loop();
  close(fd);
  char out[64];
  slurp(path, out, sizeof out);
  assert_string_equal(out, "got:line\n");
  assert_int_equal(c.exit_status, 0);
  assert_no_children();
}

/* upstream: UV_CREATE_PIPE needs a uv_pipe_t (libuv: UV_EINVAL for any
 * other stream, before forking) */
static void test_spawn_create_pipe_needs_pipe(void** state) {
  (void)state;
  char* args[] = {"/bin/true", NULL};
  struct child c;
  uv_tcp_t tcp;
  setup_loop();
  assert_int_equal(uv_tcp_init(&loop, &tcp), 0);
  child_setup(&c, args);
  c.o.stdio_count = 2;
  c.stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  c.stdio[1].data.stream = (uv_stream_t*)&tcp;
  assert_int_equal(child_spawn(&c), UV_EINVAL);
  assert_false(uv_is_active((uv_handle_t*)&c.p));
  uv_close((uv_handle_t*)&c.p, NULL);
  uv_close((uv_handle_t*)&tcp, NULL);
  finish_loop();
  assert_no_children();
}

/* runs last: everything spawned above was reaped and nothing leaked */
static void test_no_leaks(void** state) {
  (void)state;
  int before = count_open_fds();
  for (int i = 0; i < 3; i++) {
    char* args[] = {"/bin/true", NULL};
    struct child c;
    setup_loop();
    child_setup(&c, args);
    assert_int_equal(child_spawn(&c), 0);
    finish_loop();
  }
  assert_int_equal(count_open_fds(), before);
  assert_no_children();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spawn_fails),
      cmocka_unit_test(test_spawn_fails_eacces),
      cmocka_unit_test(test_spawn_exit_code),
      cmocka_unit_test(test_spawn_and_kill),
      cmocka_unit_test(test_kill),
      cmocka_unit_test(test_spawn_env),
      cmocka_unit_test(test_spawn_child_path_enoent),
      cmocka_unit_test(test_spawn_cwd),
      cmocka_unit_test(test_spawn_detached),
      cmocka_unit_test(test_spawn_setuid_setgid),
      cmocka_unit_test(test_spawn_inherit_fd),
      cmocka_unit_test(test_spawn_ignore),
      cmocka_unit_test(test_spawn_inherit_closed_fd),
      cmocka_unit_test(test_process_ref),
      cmocka_unit_test(test_spawn_many),
      cmocka_unit_test(test_spawn_with_user_sigchld),
      cmocka_unit_test(test_spawn_close_before_exit),
      cmocka_unit_test(test_spawn_from_exit_cb),
      cmocka_unit_test(test_spawn_args),
      cmocka_unit_test(test_spawn_stdout),
      cmocka_unit_test(test_spawn_stdin),
      cmocka_unit_test(test_spawn_and_ping),
      cmocka_unit_test(test_spawn_and_kill_with_std),
      cmocka_unit_test(test_spawn_inherit_stream),
      cmocka_unit_test(test_spawn_create_pipe_needs_pipe),
      cmocka_unit_test(test_spawn_closed_process_io),
      cmocka_unit_test(test_no_leaks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
