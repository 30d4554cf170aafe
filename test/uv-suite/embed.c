/* Driving a uv loop from another event loop, the way embedders (Electron
 * with Node, GUI toolkits) do it: sleep on uv_backend_fd() for at most
 * uv_backend_timeout() ms, then uv_run(UV_RUN_NOWAIT). */
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include "suite.h"

static int fd_readable(uv_loop_t* loop, int timeout_ms) {
  struct pollfd p = {uv_backend_fd(loop), POLLIN, 0};
  int r;
  do r = poll(&p, 1, timeout_ms);
  while (r < 0);
  return r == 1 && (p.revents & POLLIN);
}

static int timer_fired;
static uint64_t timer_fired_at;
static void on_timer(uv_timer_t* t) {
  timer_fired++;
  timer_fired_at = uv_now(t->loop);
}

static int async_fired;
static void on_async(uv_async_t* a) {
  async_fired++;
  uv_close((uv_handle_t*)a, NULL);
}

static void* send_later(void* arg) {
  uv_sleep(20);
  uv_async_send(arg);
  return NULL;
}

/* upstream: embed (a timer and a cross-thread wake-up seen through the
 * backend fd; the embedder never spins) */
static void test_embed_loop(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  uv_async_t a;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_true(uv_backend_fd(&loop) >= 0);
  timer_fired = async_fired = 0;
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, on_timer, 80, 0);
  uv_async_init(&loop, &a, on_async);
  const uint64_t start = uv_now(&loop);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, send_later, &a), 0);
  int turns = 0;
  while (uv_loop_alive(&loop) && turns < 1000) {
    int timeout = uv_backend_timeout(&loop);
    fd_readable(&loop, timeout);
    uv_run(&loop, UV_RUN_NOWAIT);
    turns++;
  }
  pthread_join(th, NULL);
  assert_int_equal(async_fired, 1);
  assert_int_equal(timer_fired, 1);
  assert_true(timer_fired_at - start >= 79);
  /* Sleeping on the fd, not spinning: a handful of turns, not hundreds. */
  assert_true(turns < 50);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

/* upstream: embed (the backend fd turns readable for a wake-up and quiet
 * again once the loop has processed it) */
static void test_backend_fd_readiness(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_async_t a;
  assert_int_equal(uv_loop_init(&loop), 0);
  async_fired = 0;
  uv_async_init(&loop, &a, on_async);
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_false(fd_readable(&loop, 0));
  assert_int_equal(uv_backend_timeout(&loop), -1); /* nothing but the async: wait forever */
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, send_later, &a), 0);
  assert_true(fd_readable(&loop, 5000));
  pthread_join(th, NULL);
  assert_int_equal(async_fired, 0); /* nothing runs until the embedder runs the loop */
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(async_fired, 1);
  suite_loop_done(&loop);
}

static void noop_timer(uv_timer_t* t) { (void)t; }
static void noop_async(uv_async_t* a) { (void)a; }

/* upstream: loop_backend_timeout (a loop that has not polled yet asks to be
 * run before any sleep; an async handle needs no new registration) */
static void test_backend_timeout_until_registered(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  uv_async_t a, b;
  assert_int_equal(uv_loop_init(&loop), 0);
  uv_timer_init(&loop, &t);
  /* 10 s, asserted to within 1 s: a stall of the test process on a
   * loaded machine must not look like a wrong timeout. */
  uv_timer_start(&t, noop_timer, 10000, 0);
  assert_int_equal(uv_backend_timeout(&loop), 0);
  assert_int_not_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  int to = uv_backend_timeout(&loop);
  assert_true(to > 9000 && to <= 10000);
  uv_async_init(&loop, &a, noop_async);
  to = uv_backend_timeout(&loop);
  assert_true(to > 9000 && to <= 10000);
  uv_async_init(&loop, &b, noop_async);
  to = uv_backend_timeout(&loop);
  assert_true(to > 9000 && to <= 10000);
  uv_close((uv_handle_t*)&t, NULL);
  uv_close((uv_handle_t*)&a, NULL);
  uv_close((uv_handle_t*)&b, NULL);
  suite_loop_done(&loop);
}

struct poller {
  uv_loop_t* loop;
  int timeout;
  int readable;
  int done;
  pthread_mutex_t mu;
  pthread_cond_t cv;
};

/* The Electron shape: a helper thread sleeps on the backend fd and tells
 * the loop's thread when to run it. */
static void* poll_thread(void* arg) {
  struct poller* p = arg;
  pthread_mutex_lock(&p->mu);
  while (!p->done) {
    int timeout = p->timeout;
    pthread_mutex_unlock(&p->mu);
    int r = fd_readable(p->loop, timeout);
    pthread_mutex_lock(&p->mu);
    p->readable = r ? 1 : 2; /* 2: timed out, run anyway (timers) */
    pthread_cond_signal(&p->cv);
    while (p->readable != 0 && !p->done) pthread_cond_wait(&p->cv, &p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* upstream: embed (poller thread + loop thread, as Electron drives Node) */
static void test_embed_poller_thread(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_timer_t t;
  uv_async_t a;
  assert_int_equal(uv_loop_init(&loop), 0);
  timer_fired = async_fired = 0;
  uv_timer_init(&loop, &t);
  uv_timer_start(&t, on_timer, 60, 0);
  uv_async_init(&loop, &a, on_async);
  uv_run(&loop, UV_RUN_NOWAIT);
  struct poller p = {&loop, uv_backend_timeout(&loop), 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};
  pthread_t th, sender;
  assert_int_equal(pthread_create(&th, NULL, poll_thread, &p), 0);
  assert_int_equal(pthread_create(&sender, NULL, send_later, &a), 0);
  int turns = 0;
  pthread_mutex_lock(&p.mu);
  while (uv_loop_alive(&loop) && turns < 1000) {
    while (p.readable == 0) pthread_cond_wait(&p.cv, &p.mu);
    pthread_mutex_unlock(&p.mu);
    uv_run(&loop, UV_RUN_NOWAIT);
    turns++;
    pthread_mutex_lock(&p.mu);
    p.timeout = uv_backend_timeout(&loop);
    p.readable = 0;
    pthread_cond_signal(&p.cv);
  }
  p.done = 1;
  pthread_cond_signal(&p.cv);
  pthread_mutex_unlock(&p.mu);
  pthread_join(sender, NULL);
  pthread_join(th, NULL);
  assert_int_equal(async_fired, 1);
  assert_int_equal(timer_fired, 1);
  assert_true(turns < 50);
  uv_close((uv_handle_t*)&t, NULL);
  suite_loop_done(&loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_embed_loop),
      cmocka_unit_test(test_backend_fd_readiness),
      cmocka_unit_test(test_backend_timeout_until_registered),
      cmocka_unit_test(test_embed_poller_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
