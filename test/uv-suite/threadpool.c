/* The threadpool: uv_queue_work, uv_cancel of queued requests (work, DNS,
 * random), several loops sharing the pool.  Cancel cases first occupy every
 * pool thread with a request that blocks on a semaphore (as upstream
 * test-threadpool-cancel.c does), so the requests queued after them are
 * certainly still waiting when uv_cancel runs. */
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

/* ---- blocking the pool --------------------------------------------------- */

#define MAX_POOL 128
static uv_sem_t pause_sem;    /* blockers wait on it */
static uv_sem_t started_sem;  /* each blocker posts it once running */
static uv_work_t pause_reqs[MAX_POOL];
static int pause_done;
static unsigned pool_size;

/* libuv's own rule for UV_THREADPOOL_SIZE (default 4, at least 1). */
static unsigned threadpool_size(void) {
  const char* v = getenv("UV_THREADPOOL_SIZE");
  unsigned n = v != NULL ? (unsigned)atoi(v) : 4;
  if (n == 0) n = 1;
  if (n > MAX_POOL) n = MAX_POOL; /* the cases need at most this many blockers */
  return n;
}

static void pause_work_cb(uv_work_t* req) {
  (void)req;
  uv_sem_post(&started_sem);
  uv_sem_wait(&pause_sem);
}
static void pause_after_cb(uv_work_t* req, int status) {
  (void)req;
  assert_int_equal(status, 0);
  pause_done++;
}

static void saturate_threadpool(uv_loop_t* loop) {
  pool_size = threadpool_size();
  pause_done = 0;
  assert_int_equal(uv_sem_init(&pause_sem, 0), 0);
  assert_int_equal(uv_sem_init(&started_sem, 0), 0);
  for (unsigned i = 0; i < pool_size; i++)
    assert_int_equal(uv_queue_work(loop, &pause_reqs[i], pause_work_cb, pause_after_cb), 0);
  /* Every pool thread is now inside pause_work_cb. */
  for (unsigned i = 0; i < pool_size; i++) uv_sem_wait(&started_sem);
}

static void unblock_threadpool(void) {
  for (unsigned i = 0; i < pool_size; i++) uv_sem_post(&pause_sem);
}

static void pool_done(void) {
  assert_int_equal(pause_done, (int)pool_size);
  uv_sem_destroy(&pause_sem);
  uv_sem_destroy(&started_sem);
}

/* ---- uv_queue_work -------------------------------------------------------- */

static int work_cb_count, after_work_cb_count;
static uv_thread_t loop_thread;
static int work_ran_elsewhere;

static void work_cb(uv_work_t* req) {
  assert_ptr_equal(req->data, &work_cb_count);
  uv_thread_t self = uv_thread_self();
  if (!uv_thread_equal(&self, &loop_thread)) __atomic_store_n(&work_ran_elsewhere, 1, __ATOMIC_RELEASE);
  __atomic_add_fetch(&work_cb_count, 1, __ATOMIC_RELAXED);
}

static void after_work_cb(uv_work_t* req, int status) {
  assert_int_equal(status, 0);
  assert_ptr_equal(req->data, &work_cb_count);
  uv_thread_t self = uv_thread_self();
  assert_true(uv_thread_equal(&self, &loop_thread)); /* back on the loop thread */
  assert_int_equal(__atomic_load_n(&work_cb_count, __ATOMIC_ACQUIRE), after_work_cb_count + 1);
  after_work_cb_count++;
}

/* follows libuv test-threadpool.c threadpool_queue_work_simple */
static void test_threadpool_queue_work_simple(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  loop_thread = uv_thread_self();
  work_cb_count = after_work_cb_count = work_ran_elsewhere = 0;
  req.data = &work_cb_count;
  assert_int_equal(uv_queue_work(&loop, &req, work_cb, after_work_cb), 0);
  assert_int_equal(req.type, UV_WORK);
  assert_ptr_equal(req.loop, &loop);
  assert_int_equal(after_work_cb_count, 0); /* never inline */
  assert_int_equal(uv_loop_alive(&loop), 1); /* the request keeps the loop alive */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(work_cb_count, 1);
  assert_int_equal(after_work_cb_count, 1);
  assert_int_equal(work_ran_elsewhere, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* follows libuv test-threadpool.c threadpool_queue_work_einval */
static void test_threadpool_queue_work_einval(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  req.data = &work_cb_count;
  assert_int_equal(uv_queue_work(&loop, &req, NULL, after_work_cb), UV_EINVAL);
  assert_int_equal(uv_loop_alive(&loop), 0); /* nothing was queued */
  suite_loop_done(&loop);
}

static void plain_work_cb(uv_work_t* req) { (void)req; }

/* follows libuv test-threadpool.c (after_work_cb may be NULL) */
static void test_threadpool_queue_work_no_after_cb(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_queue_work(&loop, &req, plain_work_cb, NULL), 0);
  suite_loop_done(&loop);
}

#define MANY 200
static int many_after;
static void many_after_cb(uv_work_t* req, int status) {
  (void)req;
  assert_int_equal(status, 0);
  many_after++;
}

/* upstream: none (many requests at once: every after_work_cb runs once) */
static void test_threadpool_queue_work_many(void** state) {
  (void)state;
  uv_loop_t loop;
  static uv_work_t reqs[MANY];
  assert_int_equal(uv_loop_init(&loop), 0);
  loop_thread = uv_thread_self();
  work_cb_count = many_after = 0;
  for (int i = 0; i < MANY; i++) {
    reqs[i].data = &work_cb_count;
    assert_int_equal(uv_queue_work(&loop, &reqs[i], work_cb, many_after_cb), 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(work_cb_count, MANY);
  assert_int_equal(many_after, MANY);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- several loops ------------------------------------------------------------ */

#define LOOPS 4
#define WORK_PER_LOOP 16
struct loop_run {
  uv_loop_t loop;
  uv_work_t reqs[WORK_PER_LOOP];
  int ran;
  int after;
  uv_thread_t thread;
  int ok;
};

static void mt_work_cb(uv_work_t* req) {
  struct loop_run* r = req->data;
  __atomic_add_fetch(&r->ran, 1, __ATOMIC_RELAXED);
}
static void mt_after_cb(uv_work_t* req, int status) {
  struct loop_run* r = req->data;
  if (status == 0 && req->loop == &r->loop) r->after++;
}
static void loop_thread_main(void* arg) {
  struct loop_run* r = arg;
  r->ok = 0;
  if (uv_loop_init(&r->loop) != 0) return;
  for (int i = 0; i < WORK_PER_LOOP; i++) {
    r->reqs[i].data = r;
    if (uv_queue_work(&r->loop, &r->reqs[i], mt_work_cb, mt_after_cb) != 0) return;
  }
  if (uv_run(&r->loop, UV_RUN_DEFAULT) != 0) return;
  if (uv_loop_close(&r->loop) != 0) return;
  r->ok = 1;
}

/* follows libuv test-threadpool.c threadpool_multiple_event_loops */
static void test_threadpool_multiple_event_loops(void** state) {
  (void)state;
  static struct loop_run runs[LOOPS];
  memset(runs, 0, sizeof runs);
  for (int i = 0; i < LOOPS; i++) assert_int_equal(uv_thread_create(&runs[i].thread, loop_thread_main, &runs[i]), 0);
  for (int i = 0; i < LOOPS; i++) assert_int_equal(uv_thread_join(&runs[i].thread), 0);
  for (int i = 0; i < LOOPS; i++) {
    assert_int_equal(runs[i].ok, 1);
    assert_int_equal(runs[i].ran, WORK_PER_LOOP);
    assert_int_equal(runs[i].after, WORK_PER_LOOP);
  }
}

/* ---- cancel ------------------------------------------------------------------- */

static int cancel_cb_count;
static void never_work_cb(uv_work_t* req) {
  (void)req;
  fail_msg("work_cb of a cancelled request ran");
}
static void cancelled_after_cb(uv_work_t* req, int status) {
  (void)req;
  assert_int_equal(status, UV_ECANCELED);
  cancel_cb_count++;
}

/* follows libuv test-threadpool-cancel.c threadpool_cancel_work */
static void test_threadpool_cancel_work(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t reqs[16];
  assert_int_equal(uv_loop_init(&loop), 0);
  saturate_threadpool(&loop);
  cancel_cb_count = 0;
  for (int i = 0; i < 16; i++) assert_int_equal(uv_queue_work(&loop, &reqs[i], never_work_cb, cancelled_after_cb), 0);
  for (int i = 0; i < 16; i++) assert_int_equal(uv_cancel((uv_req_t*)&reqs[i]), 0);
  assert_int_equal(cancel_cb_count, 0); /* reported from the loop, not inline */
  /* A request a thread is running cannot be cancelled. */
  assert_int_equal(uv_cancel((uv_req_t*)&pause_reqs[0]), UV_EBUSY);
  /* The cancelled ones are reported while the pool is still blocked. */
  while (cancel_cb_count < 16) assert_true(uv_run(&loop, UV_RUN_ONCE) != 0);
  unblock_threadpool();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(cancel_cb_count, 16);
  pool_done();
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: threadpool_cancel_work (a finished request: UV_EBUSY) */
static void test_threadpool_cancel_done(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_queue_work(&loop, &req, plain_work_cb, NULL), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_cancel((uv_req_t*)&req), UV_EBUSY);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: none (uv_cancel of a request type off the threadpool) */
static void test_threadpool_cancel_einval(void** state) {
  (void)state;
  uv_connect_t connect;
  uv_write_t write;
  memset(&connect, 0, sizeof connect);
  memset(&write, 0, sizeof write);
  connect.type = UV_CONNECT;
  write.type = UV_WRITE;
  assert_int_equal(uv_cancel((uv_req_t*)&connect), UV_EINVAL);
  assert_int_equal(uv_cancel((uv_req_t*)&write), UV_EINVAL);
}

static void close_after_cb(uv_work_t* req, int status) {
  (void)status;
  cancel_cb_count++;
  /* The loop is busy until this callback returns. */
  (void)req;
}

/* follows libuv test-loop-close.c (a loop with a queued request is busy) */
static void test_threadpool_loop_close_busy(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  saturate_threadpool(&loop);
  cancel_cb_count = 0;
  assert_int_equal(uv_queue_work(&loop, &req, plain_work_cb, close_after_cb), 0);
  assert_int_equal(uv_loop_close(&loop), UV_EBUSY);
  unblock_threadpool();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(cancel_cb_count, 1);
  pool_done();
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int gai_cancel_count;
static void gai_cancelled_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  assert_int_equal(status, UV_EAI_CANCELED);
  assert_null(res);
  assert_null(req->addrinfo);
  gai_cancel_count++;
}

/* follows libuv test-threadpool-cancel.c threadpool_cancel_getaddrinfo */
static void test_threadpool_cancel_getaddrinfo(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t reqs[4];
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_NUMERICHOST;
  assert_int_equal(uv_loop_init(&loop), 0);
  saturate_threadpool(&loop);
  gai_cancel_count = 0;
  assert_int_equal(uv_getaddrinfo(&loop, &reqs[0], gai_cancelled_cb, "localhost", NULL, NULL), 0);
  assert_int_equal(uv_getaddrinfo(&loop, &reqs[1], gai_cancelled_cb, NULL, "http", NULL), 0);
  assert_int_equal(uv_getaddrinfo(&loop, &reqs[2], gai_cancelled_cb, "127.0.0.1", "80", &hints), 0);
  assert_int_equal(uv_getaddrinfo(&loop, &reqs[3], gai_cancelled_cb, "::1", NULL, &hints), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(uv_cancel((uv_req_t*)&reqs[i]), 0);
  unblock_threadpool();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gai_cancel_count, 4);
  pool_done();
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int gni_cancel_count;
static void gni_cancelled_cb(uv_getnameinfo_t* req, int status, const char* host, const char* service) {
  (void)req;
  assert_int_equal(status, UV_EAI_CANCELED);
  assert_null(host);
  assert_null(service);
  gni_cancel_count++;
}

/* follows libuv test-threadpool-cancel.c threadpool_cancel_getnameinfo */
static void test_threadpool_cancel_getnameinfo(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getnameinfo_t reqs[4];
  struct sockaddr_in addr4;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 80, &addr4), 0);
  assert_int_equal(uv_loop_init(&loop), 0);
  saturate_threadpool(&loop);
  gni_cancel_count = 0;
  for (int i = 0; i < 4; i++)
    assert_int_equal(uv_getnameinfo(&loop, &reqs[i], gni_cancelled_cb, (const struct sockaddr*)&addr4, 0), 0);
  for (int i = 0; i < 4; i++) assert_int_equal(uv_cancel((uv_req_t*)&reqs[i]), 0);
  unblock_threadpool();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gni_cancel_count, 4);
  pool_done();
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int random_cancel_count;
static void random_cancelled_cb(uv_random_t* req, int status, void* buf, size_t buflen) {
  (void)req;
  assert_int_equal(status, UV_ECANCELED);
  assert_non_null(buf);
  assert_int_equal(buflen, 16);
  random_cancel_count++;
}

/* follows libuv test-threadpool-cancel.c threadpool_cancel_random */
static void test_threadpool_cancel_random(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_random_t req;
  unsigned char buf[16];
  memset(buf, 0, sizeof buf);
  assert_int_equal(uv_loop_init(&loop), 0);
  saturate_threadpool(&loop);
  random_cancel_count = 0;
  assert_int_equal(uv_random(&loop, &req, buf, sizeof buf, 0, random_cancelled_cb), 0);
  assert_int_equal(uv_cancel((uv_req_t*)&req), 0);
  assert_int_equal(random_cancel_count, 0);
  unblock_threadpool();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(random_cancel_count, 1);
  for (size_t i = 0; i < sizeof buf; i++) assert_int_equal(buf[i], 0); /* never filled */
  pool_done();
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int order_log[8];
static int order_n;
static void order_after_cb(uv_work_t* req, int status) {
  (void)status;
  order_log[order_n++] = (int)(intptr_t)req->data;
}

/* upstream: none (a cancelled request is reported once, in the loop, even
 * when uv_cancel is called twice before the loop runs) */
static void test_threadpool_cancel_twice(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  saturate_threadpool(&loop);
  order_n = 0;
  req.data = (void*)(intptr_t)7;
  assert_int_equal(uv_queue_work(&loop, &req, never_work_cb, order_after_cb), 0);
  assert_int_equal(uv_cancel((uv_req_t*)&req), 0);
  assert_int_equal(uv_cancel((uv_req_t*)&req), 0); /* libuv: still waiting to be reported */
  while (order_n == 0) assert_true(uv_run(&loop, UV_RUN_ONCE) != 0);
  /* (A uv_cancel after the report is not asked here: libuv 1.44 re-queues
   * the request again and reports it twice; Veloq says UV_EBUSY.) */
  unblock_threadpool();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(order_n, 1);
  assert_int_equal(order_log[0], 7);
  pool_done();
  assert_int_equal(uv_loop_close(&loop), 0);
}


/* ---- more of uv_queue_work ----------------------------------------------------- */

static int chain_left, chain_done;
static void chain_after_cb(uv_work_t* req, int status) {
  assert_int_equal(status, 0);
  chain_done++;
  /* A request may be queued again from its own after_work_cb. */
  if (--chain_left > 0) assert_int_equal(uv_queue_work(req->loop, req, plain_work_cb, chain_after_cb), 0);
}

/* upstream: none (re-queueing from after_work_cb keeps the loop running) */
static void test_threadpool_queue_work_requeue(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  chain_left = 5;
  chain_done = 0;
  assert_int_equal(uv_queue_work(&loop, &req, plain_work_cb, chain_after_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(chain_done, 5);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: none (UV_RUN_NOWAIT polling: the result arrives on a later pass) */
static void test_threadpool_queue_work_nowait(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  loop_thread = uv_thread_self();
  work_cb_count = after_work_cb_count = 0;
  req.data = &work_cb_count;
  assert_int_equal(uv_queue_work(&loop, &req, work_cb, after_work_cb), 0);
  while (uv_run(&loop, UV_RUN_NOWAIT) != 0) uv_sleep(1);
  assert_int_equal(after_work_cb_count, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static uv_barrier_t all_threads_barrier;
static void barrier_work_cb(uv_work_t* req) {
  (void)req;
  uv_barrier_wait(&all_threads_barrier); /* returns only once 4 threads are in here */
}

/* upstream: none (the default pool has 4 threads: 4 requests run at once) */
static void test_threadpool_concurrency(void** state) {
  (void)state;
  if (threadpool_size() < 4) skip();
  uv_loop_t loop;
  uv_work_t reqs[4];
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_barrier_init(&all_threads_barrier, 4), 0);
  many_after = 0;
  for (int i = 0; i < 4; i++) assert_int_equal(uv_queue_work(&loop, &reqs[i], barrier_work_cb, many_after_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(many_after, 4);
  uv_barrier_destroy(&all_threads_barrier);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- UV_THREADPOOL_SIZE, in forked children ------------------------------------------
 * A forked child starts with no pool (libuv resets it at fork), so the first
 * request there reads UV_THREADPOOL_SIZE again. */

static int running_now, running_max;
static void measure_work_cb(uv_work_t* req) {
  (void)req;
  int now = __atomic_add_fetch(&running_now, 1, __ATOMIC_ACQ_REL);
  int seen = __atomic_load_n(&running_max, __ATOMIC_ACQUIRE);
  while (now > seen && !__atomic_compare_exchange_n(&running_max, &seen, now, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
  }
  uv_sleep(5);
  __atomic_sub_fetch(&running_now, 1, __ATOMIC_ACQ_REL);
}

/* In a child: run 8 requests with UV_THREADPOOL_SIZE=size; exit status 0
 * if they all ran and never more than `limit` at once. */
static int child_pool_run(const char* size, int limit, int shutdown) {
#if defined(__SANITIZE_THREAD__)
  /* TSan cannot start threads in the child of a multi-threaded fork. */
  (void)size, (void)limit, (void)shutdown;
  skip();
#endif
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    uv_loop_t loop;
    uv_work_t reqs[8];
    setenv("UV_THREADPOOL_SIZE", size, 1);
    running_now = running_max = 0;
    many_after = 0;
    if (uv_loop_init(&loop) != 0) _exit(10);
    for (int i = 0; i < 8; i++)
      if (uv_queue_work(&loop, &reqs[i], measure_work_cb, many_after_cb) != 0) _exit(11);
    if (uv_run(&loop, UV_RUN_DEFAULT) != 0) _exit(12);
    if (many_after != 8) _exit(13);
    if (running_max < 1 || running_max > limit) _exit(14);
    if (uv_loop_close(&loop) != 0) _exit(15);
    if (shutdown) uv_library_shutdown(); /* joins the pool threads */
    _exit(0);
  }
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

/* follows libuv test-threadpool.c / docs (UV_THREADPOOL_SIZE, at least 1) */
static void test_threadpool_size_from_env(void** state) {
  (void)state;
  assert_int_equal(child_pool_run("1", 1, 0), 0);
  assert_int_equal(child_pool_run("0", 1, 0), 0); /* 0 means 1 */
  assert_int_equal(child_pool_run("2", 2, 0), 0);
}

/* upstream: none (uv_library_shutdown stops the pool after its work is done) */
static void test_threadpool_library_shutdown(void** state) {
  (void)state;
  assert_int_equal(child_pool_run("3", 3, 1), 0);
}

/* ---- which phase ------------------------------------------------------------------ */

static char phase_log[256];
static int phase_n;
static uv_prepare_t phase_prepare;
static uv_check_t phase_check;
static void phase_note(char c) {
  if (phase_n < (int)sizeof phase_log - 1) phase_log[phase_n++] = c;
}
static void phase_prepare_cb(uv_prepare_t* h) { (void)h, phase_note('P'); }
static void phase_check_cb(uv_check_t* h) {
  (void)h;
  phase_note('C');
  if (strchr(phase_log, 'W') != NULL) {
    uv_close((uv_handle_t*)&phase_prepare, NULL);
    uv_close((uv_handle_t*)&phase_check, NULL);
  }
}
static void phase_after_cb(uv_work_t* req, int status) {
  (void)req;
  assert_int_equal(status, 0);
  phase_note('W');
}

/* upstream: none (libuv reports work from the poll phase: after prepare
 * handles, before check handles of the same loop iteration) */
static void test_threadpool_after_work_in_poll_phase(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  phase_n = 0;
  memset(phase_log, 0, sizeof phase_log);
  assert_int_equal(uv_prepare_init(&loop, &phase_prepare), 0);
  assert_int_equal(uv_prepare_start(&phase_prepare, phase_prepare_cb), 0);
  assert_int_equal(uv_check_init(&loop, &phase_check), 0);
  assert_int_equal(uv_check_start(&phase_check, phase_check_cb), 0);
  assert_int_equal(uv_queue_work(&loop, &req, plain_work_cb, phase_after_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  const char* w = strchr(phase_log, 'W');
  assert_non_null(w);
  assert_ptr_equal(strrchr(phase_log, 'W'), w); /* once */
  assert_true(w > phase_log && w[-1] == 'P');   /* after this iteration's prepare */
  assert_int_equal(w[1], 'C');                  /* before its check */
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- embedding ------------------------------------------------------------------- */

static void slow_work_cb(uv_work_t* req) {
  (void)req;
  uv_sleep(30); /* the embedder is asleep on the backend fd by then */
}

/* follows libuv test-embed.c (an embedder sleeping on uv_backend_fd with
 * uv_backend_timeout wakes up when the threadpool finishes, and never spins) */
static void test_threadpool_embed_backend_fd(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_work_t reqs[3];
  assert_int_equal(uv_loop_init(&loop), 0);
  many_after = 0;
  for (int i = 0; i < 3; i++) assert_int_equal(uv_queue_work(&loop, &reqs[i], slow_work_cb, many_after_cb), 0);
  int turns = 0;
  int blocked = 0; /* sleeps that lasted until the fd was readable */
  while (uv_loop_alive(&loop) && turns < 1000) {
    int timeout = uv_backend_timeout(&loop);
    struct pollfd p = {uv_backend_fd(&loop), POLLIN, 0};
    int r;
    /* bounded: a missed wake-up fails the case instead of hanging it */
    do r = poll(&p, 1, timeout < 0 || timeout > 5000 ? 5000 : timeout);
    while (r < 0);
    if (timeout != 0) {
      assert_int_equal(r, 1); /* woken by the pool, not by the 5 s guard */
      blocked++;
    }
    uv_run(&loop, UV_RUN_NOWAIT);
    turns++;
  }
  assert_int_equal(many_after, 3);
  assert_true(blocked >= 1);
  assert_true(turns < 100); /* no spinning while the work runs */
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_threadpool_queue_work_simple),
      cmocka_unit_test(test_threadpool_queue_work_einval),
      cmocka_unit_test(test_threadpool_queue_work_no_after_cb),
      cmocka_unit_test(test_threadpool_queue_work_many),
      cmocka_unit_test(test_threadpool_multiple_event_loops),
      cmocka_unit_test(test_threadpool_cancel_work),
      cmocka_unit_test(test_threadpool_cancel_done),
      cmocka_unit_test(test_threadpool_cancel_einval),
      cmocka_unit_test(test_threadpool_loop_close_busy),
      cmocka_unit_test(test_threadpool_cancel_getaddrinfo),
      cmocka_unit_test(test_threadpool_cancel_getnameinfo),
      cmocka_unit_test(test_threadpool_cancel_random),
      cmocka_unit_test(test_threadpool_cancel_twice),
      cmocka_unit_test(test_threadpool_queue_work_requeue),
      cmocka_unit_test(test_threadpool_queue_work_nowait),
      cmocka_unit_test(test_threadpool_concurrency),
      cmocka_unit_test(test_threadpool_size_from_env),
      cmocka_unit_test(test_threadpool_library_shutdown),
      cmocka_unit_test(test_threadpool_after_work_in_poll_phase),
      cmocka_unit_test(test_threadpool_embed_backend_fd),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
