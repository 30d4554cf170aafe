// BlockingPool: grows up to max_threads under load and no further, idle
// threads exit after idle_timeout, every job runs (also those still queued
// at destruction), and offloaded ops' results get back to the Worker.
#include <criterion/criterion.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/runtime/blocking_pool.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;
using namespace std::chrono_literals;

namespace {

// A gate jobs block on until the test opens it.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return open; });
  }
  void release() {
    std::lock_guard lk(mu);
    open = true;
    cv.notify_all();
  }
};

template <class Pred>
bool wait_until(Pred p, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (!p()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

}  // namespace

Test(blocking_pool, grows_to_max_threads_and_not_beyond) {
  BlockingPool pool(3, 5s);
  cr_assert_eq(pool.threads(), 0u);  // lazy: no thread before work
  Gate gate;
  std::atomic<int> running{0}, done{0}, peak{0};
  for (int i = 0; i < 10; ++i) {
    (void)pool.submit([&] {
      int now = ++running;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      gate.wait();
      --running;
      ++done;
    });
    cr_assert(pool.threads() <= 3u);
  }
  cr_assert(wait_until([&] { return running.load() == 3; }, 5s), "pool did not grow to 3");
  cr_assert_eq(pool.threads(), 3u);
  cr_assert_eq(pool.queued(), 7u);
  gate.release();
  cr_assert(wait_until([&] { return done.load() == 10; }, 5s));
  cr_assert_eq(peak.load(), 3);
  cr_assert_eq(pool.queued(), 0u);
}

Test(blocking_pool, idle_threads_exit_after_timeout) {
  BlockingPool pool(4, 30ms);
  Gate gate;
  std::atomic<int> done{0};
  for (int i = 0; i < 4; ++i)
    (void)pool.submit([&] {
      gate.wait();
      ++done;
    });
  cr_assert(wait_until([&] { return pool.threads() == 4; }, 5s));
  gate.release();
  cr_assert(wait_until([&] { return done.load() == 4; }, 5s));
  cr_assert(wait_until([&] { return pool.threads() == 0; }, 5s), "idle threads stayed");
  // And it grows again afterwards (exited threads are reaped and replaced).
  std::atomic<int> again{0};
  for (int i = 0; i < 8; ++i) (void)pool.submit([&] { ++again; });
  cr_assert(wait_until([&] { return again.load() == 8; }, 5s));
  cr_assert(pool.threads() <= 4u);
}

Test(blocking_pool, destructor_runs_queued_jobs_and_joins) {
  std::atomic<int> done{0};
  {
    BlockingPool pool(2, 10s);
    for (int i = 0; i < 40; ++i)
      (void)pool.submit([&] {
        std::this_thread::sleep_for(200us);
        ++done;
      });
  }  // must not return before every job ran and every thread joined
  cr_assert_eq(done.load(), 40);
}

namespace {

int32_t slow_double(Op* op) {
  std::this_thread::sleep_for(2ms);  // blocking work, off the worker
  return int32_t(reinterpret_cast<intptr_t>(op->custom_arg) * 2);
}

Task<int> custom_op(int v) {
  IoOp op(OpCode::Custom);
  op->custom_fn = &slow_double;
  op->custom_arg = reinterpret_cast<void*>(intptr_t(v));
  op->force_blocking = true;
  co_return co_await op;
}

Task<long> many_custom_ops(int n) {
  std::vector<JoinHandle<int>> hs;
  for (int i = 0; i < n; ++i) hs.push_back(spawn_local(custom_op(i)));
  long sum = 0;
  for (int i = 0; i < n; ++i) {
    Result<int> r = co_await hs[i];
    if (!r || *r != 2 * i) co_return -1;
    sum += *r;
  }
  co_return sum;
}

Task<int> getdents(int dirfd) {
  IoOp op(OpCode::Getdents);
  op->buf = FixedBuf::allocate(4096);
  op->args.fd = dirfd;
  op->args.addr = op->buf.data();
  op->args.len = op->buf.capacity();
  co_return co_await op;
}

}  // namespace

Test(blocking_pool, offloaded_results_reach_the_worker) {
  BlockingPool pool(4, 100ms);
  WorkerOptions o;
  o.blocking = &pool;
  Worker w(o);
  const int n = 32;
  cr_assert_eq(w.block_on(many_custom_ops(n)), long(n) * (n - 1));
  cr_assert(pool.threads() <= 4u);
  cr_assert_eq(w.ops().live(), 0u);
}

Test(blocking_pool, getdents_runs_on_the_pool) {
  char tmpl[] = "/tmp/veloq_bp_XXXXXX";
  cr_assert_neq(mkdtemp(tmpl), nullptr);
  std::string dir = tmpl;
  for (int i = 0; i < 3; ++i) {
    int fd = open((dir + "/f" + std::to_string(i)).c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
    cr_assert(fd >= 0);
    close(fd);
  }
  int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cr_assert(dfd >= 0);
  BlockingPool pool(1, 100ms);
  WorkerOptions o;
  o.blocking = &pool;
  {
    Worker w(o);
    int r = w.block_on(getdents(dfd));
    // ".", ".." and 3 files: each linux_dirent64 is at least 24 bytes.
    cr_assert(r >= 5 * 24, "getdents returned %d", r);
    cr_assert(w.driver().stats().offloaded >= 1u);
  }
  close(dfd);
  for (int i = 0; i < 3; ++i) unlink((dir + "/f" + std::to_string(i)).c_str());
  rmdir(dir.c_str());
}

namespace {
int32_t quick(Op*) { return 1; }
Task<int> one_quick_op() {
  IoOp op(OpCode::Custom);
  op->custom_fn = &quick;
  op->force_blocking = true;
  co_return co_await op;
}
}  // namespace

// The worker is destroyed right after an offloaded op's completion arrived,
// while its pool thread may still be inside post_completion(): ~Worker must
// wait for it (ASan / TSan catch a use-after-free of the driver otherwise).
Test(blocking_pool, worker_teardown_right_after_offload) {
  BlockingPool pool(2, 100ms);
  WorkerOptions o;
  o.blocking = &pool;
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    Worker w(o);
    ok += w.block_on(one_quick_op());
  }
  cr_assert_eq(ok, 200);
}

namespace {
// Runs a job on the shared pool and waits (bounded) for it: true if it ran.
bool shared_pool_runs_a_job() {
  std::mutex mu;
  std::condition_variable cv;
  bool ran = false;
  if (!BlockingPool::shared().submit([&] {
        std::lock_guard lk(mu);
        ran = true;
        cv.notify_all();
      })) {
    return false;
  }
  std::unique_lock lk(mu);
  return cv.wait_for(lk, 5s, [&] { return ran; });
}
}  // namespace

// A fork()ed child of a process whose shared pool has threads gets a fresh
// pool (the parent's threads do not exist there): a job submitted in the
// child runs, and leaving through exit() does not wait for the parent's
// threads (it hung in ~BlockingPool before: review fork_exit).
Test(blocking_pool, forked_child_gets_a_fresh_shared_pool) {
  cr_assert(shared_pool_runs_a_job());
  cr_assert_gt(BlockingPool::shared().threads(), 0u);
  fflush(nullptr);
  const pid_t pid = fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    alarm(10);  // a hang is the defect: SIGALRM ends the child
    const bool ok = BlockingPool::shared().threads() == 0 && shared_pool_runs_a_job();
    std::exit(ok ? 0 : 3);  // static destructors and atexit handlers run
  }
  int status = 0;
  cr_assert_eq(waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status), "child killed by signal %d", WTERMSIG(status));
  cr_assert_eq(WEXITSTATUS(status), 0);
  cr_assert(shared_pool_runs_a_job());  // the parent's pool is untouched
}
