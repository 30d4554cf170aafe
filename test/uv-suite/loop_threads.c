/* Loops and threads: a loop handed from one thread to another with a
 * wake-up still pending, and several loops on several threads at once
 * (Node's workers). libuv allows both; so must Veloq's rings. */
#include <pthread.h>

#include "suite.h"

struct handoff {
  uv_loop_t loop;
  uv_timer_t stop_timer;
  uv_timer_t guard;
  uv_async_t async;
  uv_prepare_t turns;
  int turn_count;
  int async_calls;
  int guard_fired;
  /* thread A parks here while B runs the loop */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int a_stopped;
  int release_a;
};

static void stop_loop(uv_timer_t* t) { uv_stop(t->loop); }

static void count_turn(uv_prepare_t* p) { ((struct handoff*)p->data)->turn_count++; }

static void close_all(struct handoff* h) {
  uv_close((uv_handle_t*)&h->turns, NULL);
  uv_close((uv_handle_t*)&h->async, NULL);
  uv_close((uv_handle_t*)&h->guard, NULL);
  uv_close((uv_handle_t*)&h->stop_timer, NULL);
}

static void on_async(uv_async_t* a) {
  struct handoff* h = a->data;
  h->async_calls++;
  close_all(h);
}

static void on_guard(uv_timer_t* t) { /* the wake-up never arrived */
  struct handoff* h = t->data;
  h->guard_fired = 1;
  close_all(h);
}

static void* thread_a(void* arg) {
  struct handoff* h = arg;
  uv_run(&h->loop, UV_RUN_DEFAULT); /* returns through uv_stop */
  pthread_mutex_lock(&h->mu);
  h->a_stopped = 1;
  pthread_cond_broadcast(&h->cv);
  /* A stays alive and blocked while B runs: whatever A left in flight must
   * still complete for B. */
  while (!h->release_a) pthread_cond_wait(&h->cv, &h->mu);
  pthread_mutex_unlock(&h->mu);
  return NULL;
}

static void* thread_b(void* arg) {
  struct handoff* h = arg;
  return (void*)(intptr_t)uv_run(&h->loop, UV_RUN_DEFAULT);
}

/* upstream: loop run by two threads in turn (test runners and embedders
 * init on one thread and run on others); the async wake-up armed while
 * thread A ran the loop is delivered to thread B. */
static void test_loop_moves_between_threads(void** state) {
  (void)state;
  struct handoff h;
  memset(&h, 0, sizeof h);
  pthread_mutex_init(&h.mu, NULL);
  pthread_cond_init(&h.cv, NULL);
  assert_int_equal(uv_loop_init(&h.loop), 0);
  uv_timer_init(&h.loop, &h.stop_timer);
  uv_timer_init(&h.loop, &h.guard);
  uv_async_init(&h.loop, &h.async, on_async);
  h.async.data = h.guard.data = &h;
  uv_timer_start(&h.stop_timer, stop_loop, 10, 0);

  pthread_t a, b;
  assert_int_equal(pthread_create(&a, NULL, thread_a, &h), 0);
  pthread_mutex_lock(&h.mu);
  while (!h.a_stopped) pthread_cond_wait(&h.cv, &h.mu);
  pthread_mutex_unlock(&h.mu);

  uv_timer_start(&h.guard, on_guard, 5000, 0);
  uv_prepare_init(&h.loop, &h.turns);
  h.turns.data = &h;
  uv_prepare_start(&h.turns, count_turn);
  assert_int_equal(pthread_create(&b, NULL, thread_b, &h), 0);
  uv_sleep(30);
  assert_int_equal(uv_async_send(&h.async), 0);
  void* ret = (void*)1;
  assert_int_equal(pthread_join(b, &ret), 0);
  assert_ptr_equal(ret, NULL);

  pthread_mutex_lock(&h.mu);
  h.release_a = 1;
  pthread_cond_broadcast(&h.cv);
  pthread_mutex_unlock(&h.mu);
  pthread_join(a, NULL);

  assert_int_equal(h.guard_fired, 0);
  assert_int_equal(h.async_calls, 1);
  /* B slept in the poll phase until the wake-up: a few turns, no spinning. */
  assert_true(h.turn_count < 20);
  assert_int_equal(uv_loop_close(&h.loop), 0);
  pthread_mutex_destroy(&h.mu);
  pthread_cond_destroy(&h.cv);
}

enum { kLoops = 4, kTicks = 5 };

struct worker {
  uv_loop_t loop;
  uv_timer_t tick;
  uv_async_t async;
  int ticks;
  int asyncs;
  int ready;
  pthread_mutex_t* mu;
  pthread_cond_t* cv;
};

/* Done when the timer ticked out and the wake-up arrived, in either order. */
static void maybe_finish(struct worker* w) {
  if (w->ticks < kTicks || w->asyncs == 0) return;
  uv_close((uv_handle_t*)&w->tick, NULL);
  uv_close((uv_handle_t*)&w->async, NULL);
}

static void on_tick(uv_timer_t* t) {
  struct worker* w = t->data;
  if (++w->ticks < kTicks) return;
  uv_timer_stop(t);
  maybe_finish(w);
}

static void on_worker_async(uv_async_t* a) {
  struct worker* w = a->data;
  w->asyncs++;
  maybe_finish(w);
}

static void* run_worker(void* arg) {
  struct worker* w = arg;
  /* Each thread initialises and runs its own loop, as a Node worker does. */
  if (uv_loop_init(&w->loop) != 0) return (void*)1;
  uv_timer_init(&w->loop, &w->tick);
  uv_async_init(&w->loop, &w->async, on_worker_async);
  w->tick.data = w->async.data = w;
  uv_timer_start(&w->tick, on_tick, 2, 2);
  pthread_mutex_lock(w->mu);
  w->ready = 1;
  pthread_cond_broadcast(w->cv);
  pthread_mutex_unlock(w->mu);
  intptr_t r = uv_run(&w->loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&w->loop) != 0) return (void*)2;
  return (void*)r;
}

/* upstream: multiple_listen-style many loops (one per thread) */
static void test_loops_on_many_threads(void** state) {
  (void)state;
  pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  struct worker w[kLoops];
  pthread_t th[kLoops];
  memset(w, 0, sizeof w);
  for (int i = 0; i < kLoops; i++) {
    w[i].mu = &mu;
    w[i].cv = &cv;
    assert_int_equal(pthread_create(&th[i], NULL, run_worker, &w[i]), 0);
  }
  pthread_mutex_lock(&mu);
  for (int i = 0; i < kLoops; i++) {
    while (!w[i].ready) pthread_cond_wait(&cv, &mu);
  }
  pthread_mutex_unlock(&mu);
  /* Wake each loop from this thread while (or after) it ticks. */
  uv_sleep(5);
  for (int i = 0; i < kLoops; i++) assert_int_equal(uv_async_send(&w[i].async), 0);
  for (int i = 0; i < kLoops; i++) {
    void* ret = (void*)1;
    assert_int_equal(pthread_join(th[i], &ret), 0);
    assert_ptr_equal(ret, NULL);
    assert_int_equal(w[i].ticks, kTicks);
    assert_int_equal(w[i].asyncs, 1);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loop_moves_between_threads),
      cmocka_unit_test(test_loops_on_many_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
