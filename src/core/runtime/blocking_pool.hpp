// BlockingPool: threads for work that would block a Worker.
//
// Serves syscalls with no ring opcode (getdents64, getaddrinfo...), ops the
// ring rejected at run time, and regular-file I/O on the epoll backend. It
// starts with no threads, grows to `max_threads` while work is queued, and a
// thread idle for `idle_timeout` exits. Results go back to the origin Worker
// through its driver's post_completion(), never by touching the Worker here.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>
#include <algorithm>

namespace veloq {

class BlockingPool {
 public:
  explicit BlockingPool(size_t max_threads = 4,
                        std::chrono::milliseconds idle_timeout = std::chrono::seconds(10));
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;
  // Runs what is queued, then joins every thread.
  ~BlockingPool();

  // Queue `job`. False (job not queued) only when no thread exists and none
  // can be created (EAGAIN from pthread_create): the caller must fail the work.
  [[nodiscard]] bool submit(std::function<void()> job);

  size_t threads() const;       // threads alive now
  size_t max_threads() const { return max_threads_; }
  size_t queued() const;

  // The process-wide pool (sized by VELOQ_BLOCKING_THREADS, default 4).
  static BlockingPool& shared();

 private:
  void worker_main();
  void reap_exited_locked();  // join threads that left after idling

  const size_t max_threads_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> exited_;
  size_t alive_ = 0;
  size_t idle_ = 0;
  bool stopping_ = false;
};

}  // namespace veloq
