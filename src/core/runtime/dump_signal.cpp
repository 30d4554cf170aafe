#include "core/runtime/dump_signal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>

#include "core/runtime/runtime.hpp"

namespace veloq {

namespace {

// The write end of the installed instance's pipe, or -1.
std::atomic<int> g_signal_fd{-1};

void on_signal(int) {
  const int saved = errno;
  const int fd = g_signal_fd.load(std::memory_order_relaxed);
  if (fd >= 0) {
    const char b = 'd';
    // Full pipe: a dump is already pending, so this request is covered.
    [[maybe_unused]] ssize_t n = ::write(fd, &b, 1);
  }
  errno = saved;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= size_t(w);
  }
  return true;
}

}  // namespace

DumpOnSignal::DumpOnSignal(Runtime& rt, int signo, int out_fd) : rt_(rt), signo_(signo), out_fd_(out_fd) {
  if (signo <= 0 || signo >= NSIG || signo == SIGKILL || signo == SIGSTOP)
    throw std::logic_error("veloq::DumpOnSignal: not a catchable signal");
  if (::pipe2(pipe_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  // The reader blocks; only the handler's end must never block.
  ::fcntl(pipe_[0], F_SETFL, 0);
  int expected = -1;
  if (!g_signal_fd.compare_exchange_strong(expected, pipe_[1])) {
    ::close(pipe_[0]);
    ::close(pipe_[1]);
    throw std::logic_error("veloq::DumpOnSignal: another instance is installed");
  }
  thread_ = std::thread([this] { thread_main(); });
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  if (::sigaction(signo_, &sa, &old_) != 0) {
    const int e = errno;
    g_signal_fd.store(-1);
    const char q = 'q';
    write_all(pipe_[1], &q, 1);
    thread_.join();
    ::close(pipe_[0]);
    ::close(pipe_[1]);
    throw std::system_error(e, std::generic_category(), "sigaction");
  }
}

DumpOnSignal::~DumpOnSignal() {
  ::sigaction(signo_, &old_, nullptr);
  g_signal_fd.store(-1);
  const char q = 'q';
  write_all(pipe_[1], &q, 1);  // after any 'd' already in the pipe: those dumps still happen
  thread_.join();
  ::close(pipe_[0]);
  ::close(pipe_[1]);
}

void DumpOnSignal::thread_main() {
  for (;;) {
    char b;
    ssize_t n = ::read(pipe_[0], &b, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || b == 'q') return;
    const std::string text = rt_.dump();
    if (write_all(out_fd_, text.data(), text.size())) dumps_.fetch_add(1, std::memory_order_release);
  }
}

}  // namespace veloq
