// DumpOnSignal: Runtime::dump() on a signal (e.g. `kill -USR2 <pid>` on a
// stuck server).
//
// dump() itself allocates, locks and waits for the workers, so it cannot run
// inside a signal handler. The handler only writes one byte to a self-pipe
// (write(2) is async-signal-safe; errno is preserved); a helper thread reads
// the pipe, calls dump() and writes the text to `out_fd`. One instance per
// process at a time (the handler has no other way to find its pipe). The
// destructor restores the signal's previous disposition and joins the thread.
#pragma once

#include <atomic>
#include <csignal>
#include <cstdint>
#include <thread>

namespace veloq {

class Runtime;

class DumpOnSignal {
 public:
  // Throws std::system_error (pipe, sigaction) or std::logic_error (another
  // DumpOnSignal is installed, or `signo` is not a catchable signal).
  DumpOnSignal(Runtime& rt, int signo, int out_fd);
  ~DumpOnSignal();
  DumpOnSignal(const DumpOnSignal&) = delete;
  DumpOnSignal& operator=(const DumpOnSignal&) = delete;

  // Dumps written so far (each one complete, to out_fd).
  uint64_t dumps() const { return dumps_.load(std::memory_order_acquire); }

 private:
  void thread_main();

  Runtime& rt_;
  int signo_;
  int out_fd_;
  int pipe_[2] = {-1, -1};
  struct sigaction old_{};
  std::atomic<uint64_t> dumps_{0};
  std::thread thread_;
};

}  // namespace veloq
