/* Loop configuration and introspection: uv_loop_configure, idle-time
 * metrics, uv_walk, uv_print_*_handles, uv_loop_new/delete, loop data,
 * uv_loop_fork. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

static void noop_timer(uv_timer_t* t) { (void)t; }
static void noop_idle(uv_idle_t* h) { (void)h; }

/* upstream: loop_configure (UV_LOOP_BLOCK_SIGNAL takes SIGPROF only) */
static void test_loop_configure(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGUSR1), UV_EINVAL);
  assert_int_equal(uv_loop_configure(&loop, (uv_loop_option)42), UV_ENOSYS);
  assert_int_equal(uv_loop_configure(&loop, UV_LOOP_BLOCK_SIGNAL, SIGPROF), 0);
  /* Blocking is confined to the wait: the thread's mask is as before. */
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, noop_timer, 5, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, NULL, &now);
  assert_int_equal(sigismember(&now, SIGPROF), 0);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: metrics_idle_time / metrics_idle_time_zero */
static void test_metrics_idle_time(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, noop_timer, 50, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_metrics_idle_time(&loop), 0); /* not asked for */

  assert_int_equal(uv_loop_configure(&loop, UV_METRICS_IDLE_TIME), 0);
  /* 200 ms asked, 100 ms required: the time between starting the timer
   * and the loop going to sleep (a stall on a loaded machine) is not idle. */
  uv_update_time(&loop);
  uv_timer_start(&t, noop_timer, 200, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uint64_t idle = uv_metrics_idle_time(&loop);
  assert_true(idle >= 100 * 1000000ull);
  assert_true(idle < 2000 * 1000000ull);

  /* Busy turns (an idle handle: zero-timeout polls) add next to nothing. */
  uv_idle_t i;
  uv_idle_init(&loop, &i);
  uv_idle_start(&i, noop_idle);
  for (int n = 0; n < 100; n++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_true(uv_metrics_idle_time(&loop) - idle < 20 * 1000000ull);
  uv_close((uv_handle_t*)&i, NULL);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

struct walk_count {
  int timers, idles, others;
  int close_all;
};

static void walk_cb(uv_handle_t* h, void* arg) {
  struct walk_count* c = arg;
  if (h->type == UV_TIMER) c->timers++;
  else if (h->type == UV_IDLE) c->idles++;
  else c->others++;
  if (c->close_all && !uv_is_closing(h)) uv_close(h, NULL);
}

/* upstream: walk_handles */
static void test_walk_handles(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t1, t2;
  uv_idle_t i;
  assert_int_equal(uv_loop_init(&loop), 0);
  struct walk_count c = {0, 0, 0, 0};
  uv_walk(&loop, walk_cb, &c);
  assert_int_equal(c.timers + c.idles + c.others, 0); /* internal handles are not walked */
  uv_timer_init(&loop, &t1);
  uv_timer_init(&loop, &t2);
  uv_idle_init(&loop, &i);
  uv_timer_start(&t1, noop_timer, 1000, 0); /* active or not, every handle is walked */
  uv_walk(&loop, walk_cb, &c);
  assert_int_equal(c.timers, 2);
  assert_int_equal(c.idles, 1);
  assert_int_equal(c.others, 0);
  /* Closing from inside the walk is allowed; closing handles are still walked. */
  struct walk_count closer = {0, 0, 0, 1};
  uv_walk(&loop, walk_cb, &closer);
  assert_int_equal(closer.timers, 2);
  struct walk_count after = {0, 0, 0, 0};
  uv_walk(&loop, walk_cb, &after);
  assert_int_equal(after.timers + after.idles, 3);
  suite_loop_done(&loop);
}

/* Lines of uv_print_*_handles for non-internal handles; flags[i] = "[RAI]". */
static int read_handle_lines(FILE* f, char flags[][4], char types[][16], int max) {
  char line[256];
  int n = 0;
  rewind(f);
  while (fgets(line, sizeof line, f) != NULL && n < max) {
    char fl[4], ty[16];
    void* p;
    if (sscanf(line, "[%3c] %15s %p", fl, ty, &p) != 3) continue;
    if (fl[2] == 'I') continue; /* libuv's own internal handles */
    memcpy(flags[n], fl, 3);
    flags[n][3] = 0;
    strcpy(types[n], ty);
    n++;
  }
  return n;
}

/* upstream: print_handles (uv_print_all_handles / uv_print_active_handles) */
static void test_print_handles(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  uv_idle_t i;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_idle_init(&loop, &i);
  uv_timer_start(&t, noop_timer, 1000, 0);
  uv_unref((uv_handle_t*)&t);
  FILE* f = tmpfile();
  assert_non_null(f);
  char flags[8][4], types[8][16];
  uv_print_all_handles(&loop, f);
  fflush(f);
  assert_int_equal(read_handle_lines(f, flags, types, 8), 2);
  assert_string_equal(types[0], "timer");
  assert_string_equal(flags[0], "-A-"); /* unref'd, active */
  assert_string_equal(types[1], "idle");
  assert_string_equal(flags[1], "R--"); /* ref'd, inactive */
  fclose(f);
  f = tmpfile();
  uv_print_active_handles(&loop, f);
  fflush(f);
  assert_int_equal(read_handle_lines(f, flags, types, 8), 1);
  assert_string_equal(types[0], "timer");
  fclose(f);
  uv_close((uv_handle_t*)&t, NULL);
  uv_close((uv_handle_t*)&i, NULL);
  suite_loop_done(&loop);
}

/* upstream: loop_new / loop_delete (deprecated, still exported) and the
 * loop data accessors */
static void test_loop_new_delete_and_data(void** state) {
  (void)state;
  uv_loop_t* loop = uv_loop_new();
  assert_non_null(loop);
  int marker;
  uv_loop_set_data(loop, &marker);
  assert_ptr_equal(uv_loop_get_data(loop), &marker);
  assert_ptr_equal(loop->data, &marker);
  uv_timer_t t;
  uv_timer_init(loop, &t);
  uv_timer_start(&t, noop_timer, 1, 0);
  assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t*)&t, NULL);
  assert_int_equal(uv_run(loop, UV_RUN_DEFAULT), 0);
  uv_loop_delete(loop);
}

static int child_timer_calls;
static void child_timer(uv_timer_t* t) {
  child_timer_calls++;
  uv_close((uv_handle_t*)t, NULL);
}
static int child_async_calls;
static void child_async(uv_async_t* a) {
  child_async_calls++;
  uv_close((uv_handle_t*)a, NULL);
}
static void* child_sender(void* arg) {
  uv_sleep(10);
  uv_async_send(arg);
  return NULL;
}

/* In the child: exit code 0 only if the forked loop works. */
static int run_child(uv_loop_t* loop, uv_timer_t* t) {
  if (uv_loop_fork(loop) != 0) return 10;
  uv_async_t a;
  if (uv_async_init(loop, &a, child_async) != 0) return 11;
  pthread_t th;
  if (pthread_create(&th, NULL, child_sender, &a) != 0) return 12;
  uv_timer_start(t, child_timer, 20, 0);
  if (uv_run(loop, UV_RUN_DEFAULT) != 0) return 13;
  pthread_join(th, NULL);
  if (child_timer_calls != 1 || child_async_calls != 1) return 14;
  if (uv_loop_close(loop) != 0) return 15;
  return 0;
}

/* upstream: fork_timer / fork_threadpool-style (the child re-arms its loop
 * with uv_loop_fork and keeps using it; the parent's loop is unaffected) */
static void test_loop_fork(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, noop_timer, 5, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the parent used it first */
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(run_child(&loop, &t));
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  /* The parent's loop still runs timers after the child used its copy. */
  int before = child_timer_calls;
  uv_timer_start(&t, child_timer, 5, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(child_timer_calls, before + 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loop_configure),  cmocka_unit_test(test_metrics_idle_time),
      cmocka_unit_test(test_walk_handles),    cmocka_unit_test(test_print_handles),
      cmocka_unit_test(test_loop_new_delete_and_data), cmocka_unit_test(test_loop_fork),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
