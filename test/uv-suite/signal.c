/* uv_signal_t: process-wide signals delivered to handles on one or more
 * loops, run in the loop's poll phase. Signals are raised with raise() or
 * kill() by the test itself; SIGUSR1/SIGUSR2 would kill the process if a
 * handler were missing, so every case that raises them keeps a handle
 * started until the signal is delivered. */
typedef void (*disposition_t)(int);
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
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
  assert_int_equal(uv_timer_start(&guard, on_guard, 10000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static void finish_loop(void) {
  uv_close((uv_handle_t*)&guard, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void run_until(int* counter, int value) {
  while (*counter < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static disposition_t current_disposition(int signum) {
  struct sigaction sa;
  assert_int_equal(sigaction(signum, NULL, &sa), 0);
  return sa.sa_handler;
}

struct counted {
  uv_signal_t h;
  int calls;
  int last_signum;
  int stop_after;  /* uv_signal_stop after this many calls (0: never) */
  int close_after; /* uv_close after this many calls (0: never) */
  int closed;
};

static void on_closed(uv_handle_t* h) { ((struct counted*)h->data)->closed++; }

static void on_signal(uv_signal_t* h, int signum) {
  struct counted* c = h->data;
  c->calls++;
  c->last_signum = signum;
  assert_int_equal(signum, h->signum);
  if (c->stop_after && c->calls == c->stop_after) assert_int_equal(uv_signal_stop(h), 0);
  if (c->close_after && c->calls == c->close_after) uv_close((uv_handle_t*)h, on_closed);
}

static void counted_init(uv_loop_t* l, struct counted* c) {
  memset(c, 0, sizeof *c);
  assert_int_equal(uv_signal_init(l, &c->h), 0);
  c->h.data = c;
}

/* A timer that raises `signum` every few ms, `count` times, then closes. */
struct raiser {
  uv_timer_t t;
  int signum;
  int count;
  int raised;
};

static void on_raise(uv_timer_t* t) {
  struct raiser* r = (struct raiser*)t;
  raise(r->signum);
  if (++r->raised == r->count) uv_close((uv_handle_t*)t, NULL);
}

static void raiser_start(uv_loop_t* l, struct raiser* r, int signum, int count) {
  memset(r, 0, sizeof *r);
  r->signum = signum;
  r->count = count;
  assert_int_equal(uv_timer_init(l, &r->t), 0);
  assert_int_equal(uv_timer_start(&r->t, on_raise, 5, 5), 0);
}

/* ------------------------------------------------------------------ cases */

/* follows libuv test-signal.c we_get_signal: a handle stopped after N
 * signals, restarted, then closed after N more */
static void test_we_get_signal(void** state) {
  (void)state;
  struct counted c;
  struct raiser r;
  setup_loop();
  counted_init(&loop, &c);
  assert_int_equal(c.h.signum, 0);
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGUSR1), 0);
  assert_int_equal(c.h.signum, SIGUSR1);
  assert_true(uv_is_active((uv_handle_t*)&c.h));
  c.stop_after = 5;
  raiser_start(&loop, &r, SIGUSR1, 5);
  run_until(&c.calls, 5);
  assert_int_equal(c.last_signum, SIGUSR1);
  assert_false(uv_is_active((uv_handle_t*)&c.h));
  assert_int_equal(c.h.signum, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the raiser is done */
  assert_int_equal(c.calls, 5);

  c.calls = 0;
  c.stop_after = 0;
  c.close_after = 5;
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGUSR1), 0);
  raiser_start(&loop, &r, SIGUSR1, 5);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(c.calls, 5);
  assert_int_equal(c.closed, 1);
  finish_loop();
}

/* follows libuv test-signal.c we_get_signals: two handles per signal, two
 * signals, one loop */
static void test_we_get_signals(void** state) {
  (void)state;
  struct counted c[4];
  struct raiser r[2];
  setup_loop();
  for (int i = 0; i < 4; i++) {
    counted_init(&loop, &c[i]);
    c[i].close_after = 4;
    assert_int_equal(uv_signal_start(&c[i].h, on_signal, i < 2 ? SIGUSR1 : SIGUSR2), 0);
  }
  raiser_start(&loop, &r[0], SIGUSR1, 4);
  raiser_start(&loop, &r[1], SIGUSR2, 4);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(c[i].calls, 4);
    assert_int_equal(c[i].last_signum, i < 2 ? SIGUSR1 : SIGUSR2);
    assert_int_equal(c[i].closed, 1);
  }
  finish_loop();
}

/* follows libuv test-signal.c we_get_signal_one_shot: the handle stops
 * itself after the first delivery (SIGCHLD: ignored by default, so the
 * second raise is harmless) */
static void test_we_get_signal_one_shot(void** state) {
  (void)state;
  struct counted c;
  setup_loop();
  counted_init(&loop, &c);
  assert_int_equal(uv_signal_start_oneshot(&c.h, on_signal, SIGCHLD), 0);
  assert_true(uv_is_active((uv_handle_t*)&c.h));
  raise(SIGCHLD);
  run_until(&c.calls, 1);
  assert_false(uv_is_active((uv_handle_t*)&c.h));
  assert_int_equal(c.h.signum, 0);
  assert_true(current_disposition(SIGCHLD) == SIG_DFL);
  raise(SIGCHLD);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(c.calls, 1);
  /* started again, it fires once more */
  assert_int_equal(uv_signal_start_oneshot(&c.h, on_signal, SIGCHLD), 0);
  raise(SIGCHLD);
  run_until(&c.calls, 2);
  assert_false(uv_is_active((uv_handle_t*)&c.h));
  uv_close((uv_handle_t*)&c.h, on_closed);
  finish_loop();
  assert_int_equal(c.closed, 1);
}

/* follows libuv test-signal.c we_get_signal_one_shot (mixed): a one-shot
 * and a regular handle on one signal; only the regular one stays */
static void test_one_shot_beside_regular(void** state) {
  (void)state;
  struct counted once, always;
  setup_loop();
  counted_init(&loop, &once);
  counted_init(&loop, &always);
  assert_int_equal(uv_signal_start_oneshot(&once.h, on_signal, SIGUSR2), 0);
  assert_int_equal(uv_signal_start(&always.h, on_signal, SIGUSR2), 0);
  raise(SIGUSR2);
  run_until(&always.calls, 1);
  run_until(&once.calls, 1);
  assert_false(uv_is_active((uv_handle_t*)&once.h));
  assert_true(uv_is_active((uv_handle_t*)&always.h));
  raise(SIGUSR2); /* still handled: the regular handle keeps the handler */
  run_until(&always.calls, 2);
  assert_int_equal(once.calls, 1);
  uv_close((uv_handle_t*)&once.h, NULL);
  uv_close((uv_handle_t*)&always.h, NULL);
  finish_loop();
}

/* libuv keeps a handle one-shot once started so: a later uv_signal_start
 * still stops it after one delivery */
static void test_signal_one_shot_sticks(void** state) {
  (void)state;
  struct counted c;
  setup_loop();
  counted_init(&loop, &c);
  assert_int_equal(uv_signal_start_oneshot(&c.h, on_signal, SIGCHLD), 0);
  raise(SIGCHLD);
  run_until(&c.calls, 1);
  assert_false(uv_is_active((uv_handle_t*)&c.h));
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGCHLD), 0);
  raise(SIGCHLD);
  run_until(&c.calls, 2);
  assert_false(uv_is_active((uv_handle_t*)&c.h));
  raise(SIGCHLD);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(c.calls, 2);
  uv_close((uv_handle_t*)&c.h, NULL);
  finish_loop();
}

/* upstream: signal handles validate signum (0 up front, the rest through
 * sigaction: SIGKILL, SIGSTOP, out of range) */
static void test_signal_bad_signum(void** state) {
  (void)state;
  struct counted c;
  setup_loop();
  counted_init(&loop, &c);
  assert_int_equal(uv_signal_start(&c.h, on_signal, 0), UV_EINVAL);
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGKILL), UV_EINVAL);
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGSTOP), UV_EINVAL);
  assert_int_equal(uv_signal_start(&c.h, on_signal, -1), UV_EINVAL);
  assert_int_equal(uv_signal_start(&c.h, on_signal, 1024), UV_EINVAL);
  assert_int_equal(uv_signal_start_oneshot(&c.h, on_signal, 0), UV_EINVAL);
  assert_false(uv_is_active((uv_handle_t*)&c.h));
  assert_int_equal(c.h.signum, 0);
  assert_int_equal(uv_signal_stop(&c.h), 0); /* stopping a stopped handle is fine */
  uv_close((uv_handle_t*)&c.h, NULL);
  finish_loop();
}

/* follows libuv test-signal-pending-on-close.c: a signal caught but not yet
 * dispatched when the handle closes never reaches the callback, and the
 * close still completes */
static void test_signal_pending_on_close(void** state) {
  (void)state;
  struct counted c;
  setup_loop();
  counted_init(&loop, &c);
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGUSR1), 0);
  raise(SIGUSR1);
  raise(SIGUSR1);
  uv_close((uv_handle_t*)&c.h, on_closed);
  finish_loop();
  assert_int_equal(c.calls, 0);
  assert_int_equal(c.closed, 1);
}

/* follows libuv test-signal.c signal_close_loop_alive: a closing handle
 * keeps the loop alive until its close_cb, even unref'd */
static void test_signal_close_loop_alive(void** state) {
  (void)state;
  struct counted c;
  assert_int_equal(uv_loop_init(&loop), 0);
  counted_init(&loop, &c);
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGUSR1), 0);
  uv_close((uv_handle_t*)&c.h, on_closed);
  uv_unref((uv_handle_t*)&c.h);
  assert_int_equal(uv_loop_alive(&loop), 1);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(c.closed, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: a started signal handle is ref'd and active; unref'd it does
 * not keep the loop running */
static void test_signal_ref(void** state) {
  (void)state;
  struct counted c;
  assert_int_equal(uv_loop_init(&loop), 0);
  counted_init(&loop, &c);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0); /* initialised only: not active */
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGUSR1), 0);
  assert_int_equal(uv_loop_alive(&loop), 1);
  uv_unref((uv_handle_t*)&c.h);
  assert_int_equal(uv_loop_alive(&loop), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_ref((uv_handle_t*)&c.h);
  assert_int_equal(uv_loop_alive(&loop), 1);
  assert_int_equal(uv_signal_stop(&c.h), 0);
  assert_int_equal(uv_loop_alive(&loop), 0);
  uv_close((uv_handle_t*)&c.h, NULL);
  suite_loop_done(&loop);
}

/* libuv installs its handler while a handle is started and resets the
 * signal to SIG_DFL when the last one stops (an earlier SIG_IGN is not
 * restored) */
static void test_signal_disposition(void** state) {
  (void)state;
  struct counted a, b;
  assert_true(signal(SIGWINCH, SIG_IGN) != SIG_ERR);
  assert_int_equal(uv_loop_init(&loop), 0);
  counted_init(&loop, &a);
  counted_init(&loop, &b);
  assert_int_equal(uv_signal_start(&a.h, on_signal, SIGWINCH), 0);
  assert_int_equal(uv_signal_start(&b.h, on_signal, SIGWINCH), 0);
  disposition_t h = current_disposition(SIGWINCH);
  assert_true(h != SIG_DFL && h != SIG_IGN);
  assert_int_equal(uv_signal_stop(&a.h), 0);
  assert_true(current_disposition(SIGWINCH) == h); /* b still watches */
  assert_int_equal(uv_signal_stop(&b.h), 0);
  assert_true(current_disposition(SIGWINCH) == SIG_DFL);
  /* a handle moved to another signal leaves the first one */
  assert_int_equal(uv_signal_start(&a.h, on_signal, SIGWINCH), 0);
  assert_int_equal(uv_signal_start(&a.h, on_signal, SIGURG), 0);
  assert_int_equal(a.h.signum, SIGURG);
  assert_true(current_disposition(SIGWINCH) == SIG_DFL);
  assert_true(current_disposition(SIGURG) != SIG_DFL);
  uv_close((uv_handle_t*)&a.h, NULL);
  uv_close((uv_handle_t*)&b.h, NULL);
  suite_loop_done(&loop);
  assert_true(current_disposition(SIGURG) == SIG_DFL);
}

static void on_signal_other(uv_signal_t* h, int signum) {
  struct counted* c = h->data;
  (void)signum;
  c->calls += 100;
}

/* upstream: starting again on the same signal only swaps the callback */
static void test_signal_restart_same(void** state) {
  (void)state;
  struct counted c;
  setup_loop();
  counted_init(&loop, &c);
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGUSR1), 0);
  assert_int_equal(uv_signal_start(&c.h, on_signal_other, SIGUSR1), 0);
  raise(SIGUSR1);
  run_until(&c.calls, 100);
  assert_int_equal(c.calls, 100);
  uv_close((uv_handle_t*)&c.h, NULL);
  finish_loop();
}

/* upstream: two loops on one thread, one signal: each handle gets it once */
static void test_signal_two_loops_one_thread(void** state) {
  (void)state;
  uv_loop_t other;
  struct counted a, b;
  setup_loop();
  assert_int_equal(uv_loop_init(&other), 0);
  counted_init(&loop, &a);
  counted_init(&other, &b);
  a.close_after = 1;
  b.close_after = 1;
  assert_int_equal(uv_signal_start(&a.h, on_signal, SIGUSR2), 0);
  assert_int_equal(uv_signal_start(&b.h, on_signal, SIGUSR2), 0);
  raise(SIGUSR2);
  assert_int_equal(uv_run(&other, UV_RUN_DEFAULT), 0);
  run_until(&a.closed, 1);
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 1);
  assert_int_equal(b.closed, 1);
  assert_int_equal(uv_loop_close(&other), 0);
  finish_loop();
}

/* follows libuv test-signal-multiple-loops.c (bounded): loops on several
 * threads, each with handles on one signal; one kill() reaches all */
#define NTHREADS 3
struct thread_loop {
  uv_loop_t loop;
  uv_signal_t sig[2];
  uv_timer_t guard;
  uv_sem_t* ready;
  int calls;
  int timed_out;
};

static void thread_on_signal(uv_signal_t* h, int signum) {
  struct thread_loop* t = h->data;
  (void)signum;
  t->calls++;
  uv_close((uv_handle_t*)h, NULL);
  if (t->calls == 2) uv_close((uv_handle_t*)&t->guard, NULL);
}

static void thread_on_guard(uv_timer_t* timer) {
  struct thread_loop* t = timer->data;
  t->timed_out = 1;
  for (int i = 0; i < 2; i++) {
    if (!uv_is_closing((uv_handle_t*)&t->sig[i])) uv_close((uv_handle_t*)&t->sig[i], NULL);
  }
  uv_close((uv_handle_t*)timer, NULL);
}

static void thread_main(void* arg) {
  struct thread_loop* t = arg;
  int ok = uv_loop_init(&t->loop) == 0;
  for (int i = 0; i < 2 && ok; i++) {
    ok = uv_signal_init(&t->loop, &t->sig[i]) == 0 && uv_signal_start(&t->sig[i], thread_on_signal, SIGUSR2) == 0;
    t->sig[i].data = t;
  }
  ok = ok && uv_timer_init(&t->loop, &t->guard) == 0 && uv_timer_start(&t->guard, thread_on_guard, 10000, 0) == 0;
  t->guard.data = t;
  uv_sem_post(t->ready);
  if (!ok) return;
  uv_run(&t->loop, UV_RUN_DEFAULT);
  uv_loop_close(&t->loop);
}

static void test_signal_multiple_loops(void** state) {
  (void)state;
  struct thread_loop t[NTHREADS];
  uv_thread_t tid[NTHREADS];
  uv_sem_t ready;
  /* the main thread has a handle too, so the signal is always handled */
  struct counted mine;
  setup_loop();
  counted_init(&loop, &mine);
  mine.close_after = 1;
  assert_int_equal(uv_signal_start(&mine.h, on_signal, SIGUSR2), 0);
  assert_int_equal(uv_sem_init(&ready, 0), 0);
  memset(t, 0, sizeof t);
  for (int i = 0; i < NTHREADS; i++) {
    t[i].ready = &ready;
    assert_int_equal(uv_thread_create(&tid[i], thread_main, &t[i]), 0);
  }
  for (int i = 0; i < NTHREADS; i++) uv_sem_wait(&ready);
  assert_int_equal(kill(getpid(), SIGUSR2), 0);
  run_until(&mine.closed, 1);
  for (int i = 0; i < NTHREADS; i++) assert_int_equal(uv_thread_join(&tid[i]), 0);
  for (int i = 0; i < NTHREADS; i++) {
    assert_int_equal(t[i].timed_out, 0);
    assert_int_equal(t[i].calls, 2);
  }
  assert_int_equal(mine.calls, 1);
  uv_sem_destroy(&ready);
  finish_loop();
  assert_true(current_disposition(SIGUSR2) == SIG_DFL);
}

/* In the child: exit code 0 only if the forked loop still gets signals. */
static int fork_child_calls;
static void fork_child_on_signal(uv_signal_t* h, int signum) {
  (void)signum;
  fork_child_calls++;
  uv_close((uv_handle_t*)h, NULL);
}
static int run_fork_child(uv_signal_t* sig) {
  if (uv_loop_fork(&loop) != 0) return 10;
  if (uv_signal_start(sig, fork_child_on_signal, SIGUSR2) != 0) return 11; /* restarted: new cb */
  raise(SIGUSR2);
  uv_close((uv_handle_t*)&guard, NULL);
  uv_timer_t child_guard;
  uv_timer_init(&loop, &child_guard);
  uv_timer_start(&child_guard, on_guard, 10000, 0);
  uv_unref((uv_handle_t*)&child_guard);
  while (fork_child_calls == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  if (fork_child_calls != 1) return 12;
  uv_close((uv_handle_t*)&child_guard, NULL);
  if (uv_run(&loop, UV_RUN_DEFAULT) != 0) return 13;
  if (uv_loop_close(&loop) != 0) return 14;
  return 0;
}

/* follows libuv test-fork.c fork_signal_to_child: after uv_loop_fork the
 * child's loop gets its own signals; the parent's is unaffected */
static void test_fork_signal_to_child(void** state) {
  (void)state;
  struct counted c;
  setup_loop();
  counted_init(&loop, &c);
  assert_int_equal(uv_signal_start(&c.h, on_signal, SIGUSR2), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1); /* the loop watches its pipe */
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) _exit(run_fork_child(&c.h));
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  raise(SIGUSR2);
  run_until(&c.calls, 1);
  assert_int_equal(c.calls, 1);
  uv_close((uv_handle_t*)&c.h, NULL);
  finish_loop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_we_get_signal),
      cmocka_unit_test(test_we_get_signals),
      cmocka_unit_test(test_we_get_signal_one_shot),
      cmocka_unit_test(test_one_shot_beside_regular),
      cmocka_unit_test(test_signal_one_shot_sticks),
      cmocka_unit_test(test_signal_bad_signum),
      cmocka_unit_test(test_signal_pending_on_close),
      cmocka_unit_test(test_signal_close_loop_alive),
      cmocka_unit_test(test_signal_ref),
      cmocka_unit_test(test_signal_disposition),
      cmocka_unit_test(test_signal_restart_same),
      cmocka_unit_test(test_signal_two_loops_one_thread),
      cmocka_unit_test(test_signal_multiple_loops),
      cmocka_unit_test(test_fork_signal_to_child),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
