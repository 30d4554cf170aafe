/* Threads and synchronisation: uv_thread_*, mutexes, rwlocks, semaphores,
 * condition variables, barriers, once and thread-local keys.
 *
 * cmocka's assertions may only run on the test's own thread (they longjmp),
 * so helper threads record what they saw and the test asserts after join. */
#define _GNU_SOURCE /* pthread_getattr_np */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "suite.h"

#define MS 1000000ull /* nanoseconds */

static void join_all(uv_thread_t* t, int n) {
  for (int i = 0; i < n; i++) assert_int_equal(uv_thread_join(&t[i]), 0);
}

/* ---- threads ------------------------------------------------------------ */

static void add_one(void* arg) { __atomic_add_fetch((int*)arg, 1, __ATOMIC_RELAXED); }

/* upstream: thread_create */
static void test_thread_create(void** state) {
  (void)state;
  int runs = 41;
  uv_thread_t t[4];
  for (int i = 0; i < 4; i++) assert_int_equal(uv_thread_create(&t[i], add_one, &runs), 0);
  join_all(t, 4);
  assert_int_equal(runs, 45);
}

struct equal_probe {
  uv_thread_t main_tid;
  uv_thread_t self;
  int equal_to_main;
};

static void record_self(void* arg) {
  struct equal_probe* p = arg;
  p->self = uv_thread_self();
  p->equal_to_main = uv_thread_equal(&p->main_tid, &p->self);
}

/* upstream: thread_equal */
static void test_thread_equal(void** state) {
  (void)state;
  struct equal_probe p[2];
  uv_thread_t t[2];
  uv_thread_t me = uv_thread_self();
  assert_int_not_equal(uv_thread_equal(&me, &me), 0);
  for (int i = 0; i < 2; i++) {
    p[i].main_tid = me;
    p[i].equal_to_main = -1;
    assert_int_equal(uv_thread_create(&t[i], record_self, &p[i]), 0);
  }
  join_all(t, 2); /* both were alive together: their ids differ */
  for (int i = 0; i < 2; i++) {
    assert_int_equal(p[i].equal_to_main, 0);
    assert_int_not_equal(uv_thread_equal(&t[i], &p[i].self), 0);
  }
  assert_int_equal(uv_thread_equal(&p[0].self, &p[1].self), 0);
}

static void record_stack_size(void* arg) {
  pthread_attr_t attr;
  size_t* out = arg;
  *out = 0;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return;
  if (pthread_attr_getstacksize(&attr, out) != 0) *out = 0;
  pthread_attr_destroy(&attr);
}

static size_t stack_of(unsigned flags, size_t requested) {
  uv_thread_options_t opts;
  uv_thread_t t;
  size_t got = 0;
  opts.flags = flags;
  opts.stack_size = requested;
  assert_int_equal(uv_thread_create_ex(&t, &opts, record_stack_size, &got), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  return got;
}

static size_t min_stack(void) { return PTHREAD_STACK_MIN > 8192 ? (size_t)PTHREAD_STACK_MIN : 8192; }

/* What a thread gets without an explicit size: RLIMIT_STACK (page-rounded)
 * when it is finite and not tiny, otherwise 2 MiB. glibc may hand out a
 * larger cached stack, so the tests check lower bounds. */
static size_t default_stack(void) {
  struct rlimit lim;
  size_t page = (size_t)getpagesize();
  assert_int_equal(getrlimit(RLIMIT_STACK, &lim), 0);
  if (lim.rlim_cur != RLIM_INFINITY) {
    size_t cur = (size_t)(lim.rlim_cur - lim.rlim_cur % page);
    if (cur >= min_stack()) return cur;
  }
  return 2u << 20;
}

/* upstream: thread_stack_size */
static void test_thread_stack_size(void** state) {
  (void)state;
  uv_thread_t t;
  size_t got = 0;
  assert_int_equal(uv_thread_create(&t, record_stack_size, &got), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_true(got >= default_stack());
  /* The flag without a size, or a size without the flag, means "default". */
  assert_true(stack_of(UV_THREAD_HAS_STACK_SIZE, 0) >= default_stack());
  assert_true(stack_of(UV_THREAD_NO_FLAGS, 12345) >= default_stack());
}

/* upstream: thread_stack_size_explicit */
static void test_thread_stack_size_explicit(void** state) {
  (void)state;
  size_t page = (size_t)getpagesize();
  /* Too small is raised to the minimum instead of failing. */
  assert_true(stack_of(UV_THREAD_HAS_STACK_SIZE, 1) >= min_stack());
  assert_true(stack_of(UV_THREAD_HAS_STACK_SIZE, min_stack() - 42) >= min_stack());
  /* Odd sizes are rounded up to whole pages. */
  assert_true(stack_of(UV_THREAD_HAS_STACK_SIZE, (1u << 20) + 1) >= (1u << 20) + page);
  /* Larger than the default (8 MiB under the usual ulimit) is honoured. */
  assert_true(stack_of(UV_THREAD_HAS_STACK_SIZE, (24u << 20) + 123) >= (24u << 20) + page);
}

/* ---- mutexes ------------------------------------------------------------ */

#define MUTEX_THREADS 4
#define MUTEX_ROUNDS 20000

struct counter {
  uv_mutex_t lock;
  long value;
};

static void count_under_lock(void* arg) {
  struct counter* c = arg;
  for (int i = 0; i < MUTEX_ROUNDS; i++) {
    uv_mutex_lock(&c->lock);
    c->value++;
    uv_mutex_unlock(&c->lock);
  }
}

/* A mutex and what a trylock from another thread saw. */
struct mutex_probe {
  uv_mutex_t* m;
  int result;
};

static void trylock_elsewhere(void* arg) {
  struct mutex_probe* p = arg;
  p->result = uv_mutex_trylock(p->m);
  if (p->result == 0) uv_mutex_unlock(p->m);
}

static int trylock_from_thread(uv_mutex_t* m) {
  struct mutex_probe p = {.m = m, .result = 12345};
  uv_thread_t t;
  assert_int_equal(uv_thread_create(&t, trylock_elsewhere, &p), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  return p.result;
}

/* upstream: thread_mutex */
static void test_thread_mutex(void** state) {
  (void)state;
  struct counter c = {.value = 0};
  uv_thread_t t[MUTEX_THREADS];
  assert_int_equal(uv_mutex_init(&c.lock), 0);
  for (int i = 0; i < MUTEX_THREADS; i++) assert_int_equal(uv_thread_create(&t[i], count_under_lock, &c), 0);
  join_all(t, MUTEX_THREADS);
  assert_int_equal(c.value, (long)MUTEX_THREADS * MUTEX_ROUNDS);
  uv_mutex_destroy(&c.lock);

  uv_mutex_t m;
  assert_int_equal(uv_mutex_init(&m), 0);
  uv_mutex_lock(&m);
  assert_int_equal(trylock_from_thread(&m), UV_EBUSY);
  uv_mutex_unlock(&m);
  assert_int_equal(trylock_from_thread(&m), 0);
  assert_int_equal(uv_mutex_trylock(&m), 0);
  uv_mutex_unlock(&m);
  uv_mutex_destroy(&m);
}

/* upstream: thread_mutex_recursive */
static void test_thread_mutex_recursive(void** state) {
  (void)state;
  uv_mutex_t m;
  assert_int_equal(uv_mutex_init_recursive(&m), 0);
  uv_mutex_lock(&m);
  uv_mutex_lock(&m);
  assert_int_equal(uv_mutex_trylock(&m), 0); /* third level, same thread */
  assert_int_equal(trylock_from_thread(&m), UV_EBUSY);
  uv_mutex_unlock(&m);
  uv_mutex_unlock(&m);
  assert_int_equal(trylock_from_thread(&m), UV_EBUSY); /* still held once */
  uv_mutex_unlock(&m);
  assert_int_equal(trylock_from_thread(&m), 0);
  uv_mutex_destroy(&m);
}

/* ---- read-write locks --------------------------------------------------- */

struct rw_probe {
  uv_rwlock_t lock;
  int rd, wr;
};

static void try_both(void* arg) {
  struct rw_probe* p = arg;
  p->rd = uv_rwlock_tryrdlock(&p->lock);
  if (p->rd == 0) uv_rwlock_rdunlock(&p->lock);
  p->wr = uv_rwlock_trywrlock(&p->lock);
  if (p->wr == 0) uv_rwlock_wrunlock(&p->lock);
}

static void try_both_from_thread(struct rw_probe* p) {
  uv_thread_t t;
  p->rd = p->wr = 12345;
  assert_int_equal(uv_thread_create(&t, try_both, p), 0);
  assert_int_equal(uv_thread_join(&t), 0);
}

#define RW_ROUNDS 2000

struct rw_shared {
  uv_rwlock_t lock;
  long a, b; /* writers keep a == b; readers must never see them differ */
  int torn;
};

static void rw_writer(void* arg) {
  struct rw_shared* s = arg;
  for (int i = 0; i < RW_ROUNDS; i++) {
    uv_rwlock_wrlock(&s->lock);
    s->a++;
    s->b++;
    uv_rwlock_wrunlock(&s->lock);
  }
}

static void rw_reader(void* arg) {
  struct rw_shared* s = arg;
  for (int i = 0; i < RW_ROUNDS; i++) {
    uv_rwlock_rdlock(&s->lock);
    if (s->a != s->b) __atomic_store_n(&s->torn, 1, __ATOMIC_RELAXED);
    uv_rwlock_rdunlock(&s->lock);
  }
}

/* upstream: thread_rwlock */
static void test_thread_rwlock(void** state) {
  (void)state;
  struct rw_probe p;
  assert_int_equal(uv_rwlock_init(&p.lock), 0);
  uv_rwlock_rdlock(&p.lock); /* readers share, writers wait */
  try_both_from_thread(&p);
  assert_int_equal(p.rd, 0);
  assert_int_equal(p.wr, UV_EBUSY);
  uv_rwlock_rdunlock(&p.lock);
  uv_rwlock_wrlock(&p.lock); /* a writer excludes both */
  try_both_from_thread(&p);
  assert_int_equal(p.rd, UV_EBUSY);
  assert_int_equal(p.wr, UV_EBUSY);
  uv_rwlock_wrunlock(&p.lock);
  try_both_from_thread(&p);
  assert_int_equal(p.rd, 0);
  assert_int_equal(p.wr, 0);
  uv_rwlock_destroy(&p.lock);

  struct rw_shared s = {.a = 0, .b = 0, .torn = 0};
  uv_thread_t t[4];
  assert_int_equal(uv_rwlock_init(&s.lock), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(uv_thread_create(&t[i], i < 2 ? rw_writer : rw_reader, &s), 0);
  join_all(t, 4);
  assert_int_equal(s.a, 2 * RW_ROUNDS);
  assert_int_equal(s.b, 2 * RW_ROUNDS);
  assert_int_equal(s.torn, 0);
  uv_rwlock_destroy(&s.lock);
}

/* upstream: thread_rwlock_trylock */
static void test_thread_rwlock_trylock(void** state) {
  (void)state;
  uv_rwlock_t lock;
  assert_int_equal(uv_rwlock_init(&lock), 0);
  assert_int_equal(uv_rwlock_trywrlock(&lock), 0);
  assert_int_equal(uv_rwlock_tryrdlock(&lock), UV_EBUSY);
  assert_int_equal(uv_rwlock_trywrlock(&lock), UV_EBUSY);
  uv_rwlock_wrunlock(&lock);
  assert_int_equal(uv_rwlock_tryrdlock(&lock), 0);
  assert_int_equal(uv_rwlock_tryrdlock(&lock), 0); /* two read holds */
  assert_int_equal(uv_rwlock_trywrlock(&lock), UV_EBUSY);
  uv_rwlock_rdunlock(&lock);
  assert_int_equal(uv_rwlock_trywrlock(&lock), UV_EBUSY); /* one left */
  uv_rwlock_rdunlock(&lock);
  assert_int_equal(uv_rwlock_trywrlock(&lock), 0);
  uv_rwlock_wrunlock(&lock);
  uv_rwlock_destroy(&lock);
}

/* ---- condition variables ------------------------------------------------ */

struct cv {
  uv_mutex_t m;
  uv_cond_t c;
  int turn;    /* ping-pong: whose move it is */
  int moves;   /* moves made by the worker */
  int waiting; /* broadcast: threads parked on c */
  int go;
  int woken;
  int timed_result;
  uint64_t waited; /* ns the timed waiter spent waiting */
};

static void cv_init(struct cv* s) {
  memset(s, 0, sizeof *s);
  assert_int_equal(uv_mutex_init(&s->m), 0);
  assert_int_equal(uv_cond_init(&s->c), 0);
}

static void cv_destroy(struct cv* s) {
  uv_cond_destroy(&s->c);
  uv_mutex_destroy(&s->m);
}

#define PINGS 200

static void pong(void* arg) {
  struct cv* s = arg;
  uv_mutex_lock(&s->m);
  for (int i = 0; i < PINGS; i++) {
    while (s->turn != 1) uv_cond_wait(&s->c, &s->m);
    s->moves++;
    s->turn = 0;
    uv_cond_signal(&s->c);
  }
  uv_mutex_unlock(&s->m);
}

/* upstream: condvar_1 (uv_cond_wait woken by uv_cond_signal) */
static void test_condvar_signal(void** state) {
  (void)state;
  struct cv s;
  uv_thread_t t;
  cv_init(&s);
  assert_int_equal(uv_thread_create(&t, pong, &s), 0);
  uv_mutex_lock(&s.m);
  for (int i = 0; i < PINGS; i++) {
    s.turn = 1;
    uv_cond_signal(&s.c);
    while (s.turn != 0) uv_cond_wait(&s.c, &s.m);
  }
  uv_mutex_unlock(&s.m);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(s.moves, PINGS);
  cv_destroy(&s);
}

static void park_until_go(void* arg) {
  struct cv* s = arg;
  uv_mutex_lock(&s->m);
  s->waiting++;
  /* Tell the test one more is parked. A broadcast, since a signal could
   * wake one of the other parked threads instead of the test thread. */
  uv_cond_broadcast(&s->c);
  while (!s->go) uv_cond_wait(&s->c, &s->m);
  s->woken++;
  uv_mutex_unlock(&s->m);
}

/* upstream: condvar_3 (uv_cond_broadcast wakes every waiter) */
static void test_condvar_broadcast(void** state) {
  (void)state;
  struct cv s;
  uv_thread_t t[4];
  cv_init(&s);
  for (int i = 0; i < 4; i++) assert_int_equal(uv_thread_create(&t[i], park_until_go, &s), 0);
  uv_mutex_lock(&s.m);
  while (s.waiting < 4) uv_cond_wait(&s.c, &s.m);
  s.go = 1;
  uv_cond_broadcast(&s.c);
  uv_mutex_unlock(&s.m);
  join_all(t, 4);
  assert_int_equal(s.woken, 4);
  cv_destroy(&s);
}

static void timed_wait_for_go(void* arg) {
  struct cv* s = arg;
  int r = 0;
  uv_mutex_lock(&s->m);
  s->waiting = 1;
  uv_cond_signal(&s->c);
  uint64_t start = uv_hrtime();
  while (!s->go && r == 0) r = uv_cond_timedwait(&s->c, &s->m, 1500 * MS);
  s->waited = uv_hrtime() - start;
  s->timed_result = r;
  uv_mutex_unlock(&s->m);
}

/* upstream: condvar_2 / condvar_4 (uv_cond_timedwait woken before its timeout) */
static void test_condvar_timedwait_signalled(void** state) {
  (void)state;
  struct cv s;
  uv_thread_t t;
  cv_init(&s);
  s.timed_result = 12345;
  assert_int_equal(uv_thread_create(&t, timed_wait_for_go, &s), 0);
  uv_mutex_lock(&s.m);
  while (!s.waiting) uv_cond_wait(&s.c, &s.m);
  uv_mutex_unlock(&s.m);
  uv_sleep(30); /* the waiter must still be waiting after this */
  uv_mutex_lock(&s.m);
  s.go = 1;
  uv_cond_signal(&s.c);
  uv_mutex_unlock(&s.m);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(s.timed_result, 0);
  assert_true(s.waited >= 30 * MS && s.waited < 1000 * MS);
  cv_destroy(&s);
}

/* upstream: condvar_5 (uv_cond_timedwait times out: UV_ETIMEDOUT after the
 * relative timeout, not before and not much after) */
static void test_condvar_timedwait_timeout(void** state) {
  (void)state;
  struct cv s;
  cv_init(&s);
  uv_mutex_lock(&s.m);
  uint64_t start = uv_hrtime();
  int r = uv_cond_timedwait(&s.c, &s.m, 50 * MS);
  uint64_t elapsed = uv_hrtime() - start;
  assert_int_equal(r, UV_ETIMEDOUT);
  assert_true(elapsed >= 50 * MS);
  assert_true(elapsed < 1000 * MS);
  /* The mutex is held again on return: another thread cannot take it. */
  assert_int_equal(trylock_from_thread(&s.m), UV_EBUSY);
  assert_int_equal(uv_cond_timedwait(&s.c, &s.m, 0), UV_ETIMEDOUT);
  uv_mutex_unlock(&s.m);
  cv_destroy(&s);
}

/* ---- semaphores --------------------------------------------------------- */

struct sem_pair {
  uv_sem_t sem;
  int ready;
};

static void post_later(void* arg) {
  struct sem_pair* p = arg;
  uv_sleep(20);
  p->ready = 1; /* published by the post */
  uv_sem_post(&p->sem);
}

/* upstream: semaphore_1 (uv_sem_wait blocks until another thread posts) */
static void test_semaphore_wait_for_post(void** state) {
  (void)state;
  struct sem_pair p = {.ready = 0};
  uv_thread_t t;
  assert_int_equal(uv_sem_init(&p.sem, 0), 0);
  assert_int_equal(uv_thread_create(&t, post_later, &p), 0);
  uv_sem_wait(&p.sem);
  assert_int_equal(p.ready, 1);
  assert_int_equal(uv_thread_join(&t), 0);
  uv_sem_destroy(&p.sem);
}

#define SEM_ITEMS 2000

static void produce(void* arg) {
  for (int i = 0; i < SEM_ITEMS; i++) uv_sem_post(arg);
}

/* upstream: semaphore_2 (an initial count is taken without blocking; posts
 * and waits balance exactly) */
static void test_semaphore_counts(void** state) {
  (void)state;
  uv_sem_t sem;
  uv_thread_t t;
  assert_int_equal(uv_sem_init(&sem, 2), 0);
  uv_sem_wait(&sem);
  uv_sem_wait(&sem);
  assert_int_equal(uv_sem_trywait(&sem), UV_EAGAIN);
  assert_int_equal(uv_thread_create(&t, produce, &sem), 0);
  for (int i = 0; i < SEM_ITEMS; i++) uv_sem_wait(&sem);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_destroy(&sem);
}

/* upstream: semaphore_3 (uv_sem_trywait never blocks; bad initial value) */
static void test_semaphore_trywait(void** state) {
  (void)state;
  uv_sem_t sem;
  assert_int_equal(uv_sem_init(&sem, 0), 0);
  assert_int_equal(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_post(&sem);
  uv_sem_post(&sem);
  assert_int_equal(uv_sem_trywait(&sem), 0);
  assert_int_equal(uv_sem_trywait(&sem), 0);
  assert_int_equal(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_destroy(&sem);
  assert_int_equal(uv_sem_init(&sem, UINT_MAX), UV_EINVAL); /* above SEM_VALUE_MAX */
}

/* ---- barriers ----------------------------------------------------------- */

#define BARRIER_THREADS 4
#define BARRIER_ROUNDS 50

struct barrier_run {
  uv_barrier_t barrier;
  int serial[BARRIER_ROUNDS]; /* how many threads got >0 in each round */
  unsigned helper_delay_ms;
};

static void barrier_rounds(struct barrier_run* r, unsigned delay_ms) {
  uv_sleep(delay_ms);
  for (int i = 0; i < BARRIER_ROUNDS; i++)
    if (uv_barrier_wait(&r->barrier) > 0) __atomic_add_fetch(&r->serial[i], 1, __ATOMIC_RELAXED);
}

static void barrier_helper(void* arg) {
  struct barrier_run* r = arg;
  barrier_rounds(r, r->helper_delay_ms);
}

/* The test thread plus `helpers` threads go through BARRIER_ROUNDS rounds;
 * each round must release exactly one serial thread. The delays make the
 * helpers or the test thread arrive last at the first round. */
static void run_barrier(int helpers, unsigned helper_delay_ms, unsigned main_delay_ms) {
  struct barrier_run r;
  uv_thread_t t[BARRIER_THREADS];
  memset(&r, 0, sizeof r);
  r.helper_delay_ms = helper_delay_ms;
  assert_int_equal(uv_barrier_init(&r.barrier, (unsigned)helpers + 1), 0);
  for (int i = 0; i < helpers; i++) assert_int_equal(uv_thread_create(&t[i], barrier_helper, &r), 0);
  barrier_rounds(&r, main_delay_ms);
  join_all(t, helpers);
  for (int i = 0; i < BARRIER_ROUNDS; i++) assert_int_equal(r.serial[i], 1);
  uv_barrier_destroy(&r.barrier);
}

/* upstream: barrier_1 / barrier_3 (two threads meet; either one arrives late) */
static void test_barrier_two(void** state) {
  (void)state;
  run_barrier(1, 20, 0);
  run_barrier(1, 0, 20);
}

/* upstream: barrier_serial_thread (N threads: one serial return per round) */
static void test_barrier_serial(void** state) {
  (void)state;
  run_barrier(BARRIER_THREADS, 0, 0);
}

/* upstream: barrier_serial_thread_single / barrier_2 (a count of 1 never
 * blocks and is always serial; a count of 0 is refused) */
static void test_barrier_single(void** state) {
  (void)state;
  uv_barrier_t b;
  assert_int_equal(uv_barrier_init(&b, 0), UV_EINVAL);
  assert_int_equal(uv_barrier_init(&b, 1), 0);
  assert_true(uv_barrier_wait(&b) > 0);
  assert_true(uv_barrier_wait(&b) > 0);
  uv_barrier_destroy(&b);
}

/* ---- thread-local keys and once ----------------------------------------- */

struct key_probe {
  uv_key_t key;
  void* initial;
  void* after_set;
};

static void use_key(void* arg) {
  struct key_probe* p = arg;
  static int mine;
  p->initial = uv_key_get(&p->key);
  uv_key_set(&p->key, &mine);
  p->after_set = uv_key_get(&p->key);
}

/* upstream: thread_local_storage */
static void test_thread_local_storage(void** state) {
  (void)state;
  struct key_probe p;
  int main_value;
  uv_thread_t t;
  assert_int_equal(uv_key_create(&p.key), 0);
  assert_null(uv_key_get(&p.key));
  uv_key_set(&p.key, &main_value);
  assert_ptr_equal(uv_key_get(&p.key), &main_value);
  p.initial = p.after_set = &p;
  assert_int_equal(uv_thread_create(&t, use_key, &p), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_null(p.initial); /* a new thread starts empty */
  assert_non_null(p.after_set);
  assert_ptr_not_equal(p.after_set, &main_value);
  assert_ptr_equal(uv_key_get(&p.key), &main_value); /* untouched here */
  uv_key_set(&p.key, NULL);
  uv_key_delete(&p.key);
}

static uv_once_t once_guard = UV_ONCE_INIT;
static int once_calls;

static void once_cb(void) {
  uv_sleep(5); /* widen the window in which other threads arrive */
  once_calls++;
}

static void call_once(void* arg) {
  (void)arg;
  uv_once(&once_guard, once_cb);
}

/* upstream: thread_create (the uv_once part): many threads, one call, and
 * every caller returns only after it completed */
static void test_once(void** state) {
  (void)state;
  uv_thread_t t[8];
  for (int i = 0; i < 8; i++) assert_int_equal(uv_thread_create(&t[i], call_once, NULL), 0);
  uv_once(&once_guard, once_cb);
  assert_int_equal(once_calls, 1);
  join_all(t, 8);
  uv_once(&once_guard, once_cb);
  assert_int_equal(once_calls, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_thread_create),
      cmocka_unit_test(test_thread_equal),
      cmocka_unit_test(test_thread_stack_size),
      cmocka_unit_test(test_thread_stack_size_explicit),
      cmocka_unit_test(test_thread_mutex),
      cmocka_unit_test(test_thread_mutex_recursive),
      cmocka_unit_test(test_thread_rwlock),
      cmocka_unit_test(test_thread_rwlock_trylock),
      cmocka_unit_test(test_condvar_signal),
      cmocka_unit_test(test_condvar_broadcast),
      cmocka_unit_test(test_condvar_timedwait_signalled),
      cmocka_unit_test(test_condvar_timedwait_timeout),
      cmocka_unit_test(test_semaphore_wait_for_post),
      cmocka_unit_test(test_semaphore_counts),
      cmocka_unit_test(test_semaphore_trywait),
      cmocka_unit_test(test_barrier_two),
      cmocka_unit_test(test_barrier_serial),
      cmocka_unit_test(test_barrier_single),
      cmocka_unit_test(test_thread_local_storage),
      cmocka_unit_test(test_once),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
