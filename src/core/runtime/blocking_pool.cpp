#include "core/runtime/blocking_pool.hpp"

#include <pthread.h>

#include <atomic>
#include <cstdlib>
#include <system_error>

namespace veloq {

BlockingPool::BlockingPool(size_t max_threads, std::chrono::milliseconds idle_timeout)
    : max_threads_(max_threads == 0 ? 1 : max_threads), idle_timeout_(idle_timeout) {}

BlockingPool::~BlockingPool() {
  std::vector<std::thread> all;
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    cv_.notify_all();
    all.swap(threads_);
  }
  for (auto& t : all) t.join();
}

void BlockingPool::reap_exited_locked() {
  // An exited thread released mu_ for the last time before we got it, so
  // joining here cannot deadlock.
  for (auto id : exited_) {
    auto it = std::find_if(threads_.begin(), threads_.end(),
                           [&](const std::thread& t) { return t.get_id() == id; });
    if (it != threads_.end()) {
      it->join();
      threads_.erase(it);
    }
  }
  exited_.clear();
}

namespace {

size_t shared_pool_size() {
  const char* s = std::getenv("VELOQ_BLOCKING_THREADS");
  long n = s ? std::strtol(s, nullptr, 10) : 4;
  return size_t(n < 1 ? 1 : (n > 1024 ? 1024 : n));
}

std::atomic<BlockingPool*> shared_pool{nullptr};
// The pools a forked child left behind: kept reachable, never destroyed.
BlockingPool* retired_pool = nullptr;

// In a fork()ed child only the forking thread exists: the parent's pool has
// thread objects for threads that are not there, jobs nobody will run, and
// perhaps a mutex some vanished thread held. Abandon it (destroying it would
// join those threads, i.e. hang) and start the child on a fresh, empty pool.
void shared_pool_after_fork() {
  BlockingPool* old = shared_pool.load(std::memory_order_relaxed);
  if (old == nullptr) return;
  retired_pool = old;
  shared_pool.store(new BlockingPool(shared_pool_size()), std::memory_order_release);
}

}  // namespace

// Heap-allocated and never destroyed: a function-local static's destructor
// would run at exit() and join the threads, also in a forked child where
// they do not exist (it hung there). The threads end with the process.
BlockingPool& BlockingPool::shared() {
  static const bool created = [] {
    shared_pool.store(new BlockingPool(shared_pool_size()), std::memory_order_release);
    pthread_atfork(nullptr, nullptr, &shared_pool_after_fork);
    return true;
  }();
  (void)created;
  return *shared_pool.load(std::memory_order_acquire);
}

bool BlockingPool::submit(std::function<void()> job) {
  std::lock_guard lk(mu_);
  jobs_.push_back(std::move(job));
  reap_exited_locked();
  cv_.notify_one();
  if (idle_ < jobs_.size() && alive_ < max_threads_) {
    ++alive_;
    try {
      threads_.emplace_back(&BlockingPool::worker_main, this);
    } catch (const std::system_error&) {
      --alive_;
      if (alive_ == 0) {  // nobody would ever run it
        jobs_.pop_back();
        return false;
      }
    }
  }
  return true;
}

size_t BlockingPool::threads() const {
  std::lock_guard lk(mu_);
  return alive_;
}

size_t BlockingPool::queued() const {
  std::lock_guard lk(mu_);
  return jobs_.size();
}

void BlockingPool::worker_main() {
  std::unique_lock lk(mu_);
  for (;;) {
    if (!jobs_.empty()) {
      auto job = std::move(jobs_.front());
      jobs_.pop_front();
      lk.unlock();
      job();
      lk.lock();
      continue;
    }
    if (stopping_) break;
    ++idle_;
    bool woke = cv_.wait_for(lk, idle_timeout_, [&] { return !jobs_.empty() || stopping_; });
    --idle_;
    if (!woke) break;  // idle too long: shrink
  }
  --alive_;
  if (!stopping_) exited_.push_back(std::this_thread::get_id());
}

}  // namespace veloq
