/* uv_fs_event_t (inotify on Linux): changes to files and directories the
 * test makes itself in a fresh temporary directory. Event masks are checked
 * loosely where the kernel may coalesce (a create followed by a write). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
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
static char dir[64];

static void on_guard(uv_timer_t* t) {
  guard_fired = 1;
  uv_stop(t->loop);
}

static void setup(void) {
  strcpy(dir, "/tmp/veloq-fsev-XXXXXX");
  assert_non_null(mkdtemp(dir));
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 10000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static void remove_tree(const char* path) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
  assert_int_equal(system(cmd), 0);
}

static void teardown(void) {
  uv_close((uv_handle_t*)&guard, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
  remove_tree(dir);
}

static void path_in(char* out, const char* name) { snprintf(out, PATH_MAX, "%s/%s", dir, name); }

static void write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
}

struct watch {
  uv_fs_event_t h;
  int calls;
  int all_events;
  int last_status;
  char last_name[NAME_MAX + 1];
  char names[256]; /* every name seen, comma-separated */
  int close_after; /* uv_close after this many calls (0: never) */
  int stop_after;  /* uv_fs_event_stop after this many calls (0: never) */
  struct watch* stop_other; /* stop this handle on the first call */
  int closed;
};

static void on_closed(uv_handle_t* h) { ((struct watch*)h->data)->closed++; }

static void on_event(uv_fs_event_t* h, const char* filename, int events, int status) {
  struct watch* w = h->data;
  w->calls++;
  w->all_events |= events;
  w->last_status = status;
  snprintf(w->last_name, sizeof w->last_name, "%s", filename ? filename : "(null)");
  size_t used = strlen(w->names);
  snprintf(w->names + used, sizeof w->names - used, "%s%s", used ? "," : "", w->last_name);
  if (w->stop_other) {
    assert_int_equal(uv_fs_event_stop(&w->stop_other->h), 0);
    w->stop_other = NULL;
  }
  if (w->stop_after && w->calls == w->stop_after) assert_int_equal(uv_fs_event_stop(h), 0);
  if (w->close_after && w->calls == w->close_after) uv_close((uv_handle_t*)h, on_closed);
}

static void watch_init(struct watch* w) {
  memset(w, 0, sizeof *w);
  assert_int_equal(uv_fs_event_init(&loop, &w->h), 0);
  w->h.data = w;
}

static void run_until(int* counter, int value) {
  while (*counter < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

/* Lets events that may still come in arrive (a short timer, not a
 * correctness wait: the cases assert on what must NOT have happened). */
static int settled;
static void on_settle_closed(uv_handle_t* h) {
  (void)h;
  settled = 1;
}
static void on_settle(uv_timer_t* t) { uv_close((uv_handle_t*)t, on_settle_closed); }
static void settle(void) {
  uv_timer_t t;
  settled = 0;
  assert_int_equal(uv_timer_init(&loop, &t), 0);
  assert_int_equal(uv_timer_start(&t, on_settle, 50, 0), 0);
  while (!settled) uv_run(&loop, UV_RUN_ONCE);
}

/* ------------------------------------------------------------------ cases */

/* follows libuv test-fs-event.c fs_event_watch_dir: a new file in a watched
 * directory is reported by name, as UV_RENAME */
static void test_fs_event_watch_dir(void** state) {
  (void)state;
  struct watch w;
  char file[PATH_MAX];
  setup();
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0);
  assert_true(uv_is_active((uv_handle_t*)&w.h));
  path_in(file, "created");
  int fd = open(file, O_WRONLY | O_CREAT, 0644);
  assert_true(fd >= 0);
  close(fd);
  w.close_after = 1;
  run_until(&w.closed, 1);
  assert_int_equal(w.calls, 1);
  assert_int_equal(w.last_status, 0);
  assert_string_equal(w.last_name, "created");
  assert_true(w.all_events & UV_RENAME);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_watch_file: a write to a watched
 * file is UV_CHANGE, named by the file's basename */
static void test_fs_event_watch_file(void** state) {
  (void)state;
  struct watch w;
  char file[PATH_MAX];
  setup();
  path_in(file, "watched");
  write_file(file, "a");
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, file, 0), 0);
  write_file(file, "b");
  w.close_after = 1;
  run_until(&w.closed, 1);
  assert_string_equal(w.last_name, "watched");
  assert_int_equal(w.all_events, UV_CHANGE);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_watch_file_current_dir: a relative
 * path; the callback still names the file */
static void test_fs_event_watch_file_current_dir(void** state) {
  (void)state;
  struct watch w;
  char cwd[PATH_MAX];
  setup();
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(dir), 0);
  write_file("here", "a");
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, "here", 0), 0);
  char buf[16];
  size_t len = sizeof buf;
  assert_int_equal(uv_fs_event_getpath(&w.h, buf, &len), 0);
  assert_string_equal(buf, "here");
  assert_int_equal(chmod("here", 0600), 0); /* attributes: UV_CHANGE */
  w.close_after = 1;
  run_until(&w.closed, 1);
  assert_string_equal(w.last_name, "here");
  assert_int_equal(w.all_events, UV_CHANGE);
  assert_int_equal(chdir(cwd), 0);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_no_callback_after_close */
static void test_fs_event_no_callback_after_close(void** state) {
  (void)state;
  struct watch w;
  char file[PATH_MAX];
  setup();
  path_in(file, "f");
  write_file(file, "a");
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, file, 0), 0);
  write_file(file, "b"); /* the event is queued in the kernel ... */
  uv_close((uv_handle_t*)&w.h, on_closed); /* ... and never delivered */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(w.closed, 1);
  assert_int_equal(w.calls, 0);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_no_callback_on_close: stopped,
 * the handle gets nothing either */
static void test_fs_event_no_callback_after_stop(void** state) {
  (void)state;
  struct watch w;
  char file[PATH_MAX];
  setup();
  path_in(file, "f");
  write_file(file, "a");
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, file, 0), 0);
  write_file(file, "b");
  assert_int_equal(uv_fs_event_stop(&w.h), 0);
  assert_false(uv_is_active((uv_handle_t*)&w.h));
  assert_int_equal(uv_fs_event_stop(&w.h), 0); /* twice is fine */
  settle();
  assert_int_equal(w.calls, 0);
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_close_in_callback: several files
 * changed, the handle closes on the first event: no call after that */
static void test_fs_event_close_in_callback(void** state) {
  (void)state;
  struct watch w;
  char file[PATH_MAX];
  setup();
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0);
  for (int i = 0; i < 5; i++) {
    char name[16];
    snprintf(name, sizeof name, "file%d", i);
    path_in(file, name);
    write_file(file, "x");
  }
  w.close_after = 1;
  run_until(&w.closed, 1);
  settle();
  assert_int_equal(w.calls, 1);
  assert_string_equal(w.last_name, "file0");
  teardown();
}

/* follows libuv test-fs-event.c fs_event_start_and_close: two handles on
 * one directory, closed before anything happens */
static void test_fs_event_start_and_close(void** state) {
  (void)state;
  struct watch a, b;
  setup();
  watch_init(&a);
  watch_init(&b);
  assert_int_equal(uv_fs_event_start(&a.h, on_event, dir, 0), 0);
  assert_int_equal(uv_fs_event_start(&b.h, on_event, dir, 0), 0);
  uv_close((uv_handle_t*)&a.h, on_closed);
  uv_close((uv_handle_t*)&b.h, on_closed);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(a.closed + b.closed, 2);
  assert_int_equal(a.calls + b.calls, 0);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_getpath: EINVAL (size 0) while not
 * started, ENOBUFS with the size needed, then the path */
static void test_fs_event_getpath(void** state) {
  (void)state;
  struct watch w;
  char buf[PATH_MAX];
  size_t len;
  setup();
  watch_init(&w);
  len = sizeof buf;
  assert_int_equal(uv_fs_event_getpath(&w.h, buf, &len), UV_EINVAL);
  assert_int_equal(len, 0);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0);
  len = strlen(dir); /* no room for the NUL */
  assert_int_equal(uv_fs_event_getpath(&w.h, buf, &len), UV_ENOBUFS);
  assert_int_equal(len, strlen(dir) + 1);
  assert_int_equal(uv_fs_event_getpath(&w.h, buf, &len), 0);
  assert_int_equal(len, strlen(dir));
  assert_string_equal(buf, dir);
  assert_int_equal(uv_fs_event_stop(&w.h), 0);
  len = sizeof buf;
  assert_int_equal(uv_fs_event_getpath(&w.h, buf, &len), UV_EINVAL);
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_error_reporting: a path that does
 * not exist fails start with its errno; the handle stays inactive */
static void test_fs_event_error_reporting(void** state) {
  (void)state;
  struct watch w;
  char missing[PATH_MAX];
  setup();
  watch_init(&w);
  path_in(missing, "no/such/file");
  assert_int_equal(uv_fs_event_start(&w.h, on_event, missing, 0), UV_ENOENT);
  assert_false(uv_is_active((uv_handle_t*)&w.h));
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* upstream: starting an active handle again is UV_EINVAL */
static void test_fs_event_start_twice(void** state) {
  (void)state;
  struct watch w;
  setup();
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), UV_EINVAL);
  assert_int_equal(uv_fs_event_stop(&w.h), 0);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0); /* restartable */
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_watch_file_twice: two handles on
 * one path both see an event; one stopping the other from its callback is
 * safe */
static void test_fs_event_shared_path(void** state) {
  (void)state;
  struct watch a, b;
  char file[PATH_MAX];
  setup();
  path_in(file, "shared");
  write_file(file, "a");
  watch_init(&a);
  watch_init(&b);
  assert_int_equal(uv_fs_event_start(&a.h, on_event, file, 0), 0);
  assert_int_equal(uv_fs_event_start(&b.h, on_event, file, 0), 0);
  write_file(file, "b");
  run_until(&a.calls, 1);
  run_until(&b.calls, 1);
  assert_string_equal(a.last_name, "shared");
  assert_string_equal(b.last_name, "shared");
  /* b stops a from its callback: a gets nothing more, b keeps going */
  b.stop_other = &a;
  int a_calls = a.calls;
  int b_calls = b.calls;
  write_file(file, "c");
  run_until(&b.calls, b_calls + 1);
  assert_false(uv_is_active((uv_handle_t*)&a.h));
  settle();
  /* a may have been called once more only if it ran before b in that turn */
  assert_true(a.calls <= a_calls + 1);
  int a_after = a.calls;
  write_file(file, "d");
  run_until(&b.calls, b.calls + 1);
  settle();
  assert_int_equal(a.calls, a_after);
  uv_close((uv_handle_t*)&a.h, NULL);
  uv_close((uv_handle_t*)&b.h, NULL);
  teardown();
}

/* follows libuv test-fs-event.c fs_event_watch_dir (rename/delete): moving
 * and removing entries are UV_RENAME, named by the entry */
static void test_fs_event_rename_and_delete(void** state) {
  (void)state;
  struct watch w;
  char from[PATH_MAX], to[PATH_MAX];
  setup();
  path_in(from, "old");
  path_in(to, "new");
  write_file(from, "a");
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0);
  assert_int_equal(rename(from, to), 0);
  run_until(&w.calls, 2);
  assert_int_equal(w.all_events, UV_RENAME);
  assert_string_equal(w.names, "old,new"); /* moved from, then moved to */
  assert_int_equal(unlink(to), 0);
  run_until(&w.calls, 3);
  assert_string_equal(w.names, "old,new,new");
  assert_int_equal(w.all_events, UV_RENAME);
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* libuv on Linux ignores UV_FS_EVENT_RECURSIVE: start succeeds, and a
 * change in a subdirectory is not reported */
static void test_fs_event_recursive_ignored(void** state) {
  (void)state;
  struct watch w;
  char sub[PATH_MAX], file[PATH_MAX];
  setup();
  path_in(sub, "sub");
  assert_int_equal(mkdir(sub, 0755), 0);
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, UV_FS_EVENT_RECURSIVE), 0);
  path_in(file, "sub/inner");
  write_file(file, "x");
  settle();
  assert_int_equal(w.calls, 0);
  path_in(file, "top");
  write_file(file, "x");
  run_until(&w.calls, 1);
  assert_string_equal(w.last_name, "top");
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* upstream: an active fs_event handle is ref'd; unref'd it lets the loop end */
static void test_fs_event_ref(void** state) {
  (void)state;
  struct watch w;
  setup();
  watch_init(&w);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0);
  assert_int_equal(uv_loop_alive(&loop), 1);
  uv_unref((uv_handle_t*)&w.h);
  assert_int_equal(uv_loop_alive(&loop), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* upstream: the watched directory itself going away is reported (RENAME)
 * with the directory's basename */
static void test_fs_event_watched_dir_removed(void** state) {
  (void)state;
  struct watch w;
  char sub[PATH_MAX];
  setup();
  path_in(sub, "gone");
  assert_int_equal(mkdir(sub, 0755), 0);
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, sub, 0), 0);
  assert_int_equal(rmdir(sub), 0);
  run_until(&w.calls, 1);
  assert_string_equal(w.last_name, "gone");
  assert_true(w.all_events & UV_RENAME);
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

/* In the child: exit code 0 only if the forked loop still reports events. */
static int run_fork_child(struct watch* w) {
  if (uv_loop_fork(&loop) != 0) return 10;
  char file[PATH_MAX];
  path_in(file, "from-child");
  int fd = open(file, O_WRONLY | O_CREAT, 0644);
  if (fd < 0) return 11;
  close(fd);
  uv_close((uv_handle_t*)&guard, NULL);
  uv_timer_t child_guard;
  uv_timer_init(&loop, &child_guard);
  uv_timer_start(&child_guard, on_guard, 10000, 0);
  uv_unref((uv_handle_t*)&child_guard);
  while (w->calls == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  if (w->calls < 1 || strcmp(w->names, "from-child") != 0) return 12;
  uv_close((uv_handle_t*)&w->h, NULL);
  uv_close((uv_handle_t*)&child_guard, NULL);
  if (uv_run(&loop, UV_RUN_DEFAULT) != 0) return 13;
  if (uv_loop_close(&loop) != 0) return 14;
  return 0;
}

/* follows libuv test-fork.c fork_fs_events_child: after uv_loop_fork the
 * child's loop watches the same paths with its own inotify instance */
static void test_fork_fs_events_child(void** state) {
  (void)state;
  struct watch w;
  setup();
  watch_init(&w);
  assert_int_equal(uv_fs_event_start(&w.h, on_event, dir, 0), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(run_fork_child(&w));
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  /* the parent's watch saw the child's file too */
  run_until(&w.calls, 1);
  assert_string_equal(w.last_name, "from-child");
  uv_close((uv_handle_t*)&w.h, NULL);
  teardown();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fs_event_watch_dir),
      cmocka_unit_test(test_fs_event_watch_file),
      cmocka_unit_test(test_fs_event_watch_file_current_dir),
      cmocka_unit_test(test_fs_event_no_callback_after_close),
      cmocka_unit_test(test_fs_event_no_callback_after_stop),
      cmocka_unit_test(test_fs_event_close_in_callback),
      cmocka_unit_test(test_fs_event_start_and_close),
      cmocka_unit_test(test_fs_event_getpath),
      cmocka_unit_test(test_fs_event_error_reporting),
      cmocka_unit_test(test_fs_event_start_twice),
      cmocka_unit_test(test_fs_event_shared_path),
      cmocka_unit_test(test_fs_event_rename_and_delete),
      cmocka_unit_test(test_fs_event_recursive_ignored),
      cmocka_unit_test(test_fs_event_ref),
      cmocka_unit_test(test_fs_event_watched_dir_removed),
      cmocka_unit_test(test_fork_fs_events_child),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
