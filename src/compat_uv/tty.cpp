// uv_tty_t (libuv 1.44 src/unix/tty.c): a stream over a terminal fd, plus
// termios modes. Reads and writes are the stream machinery's (stream.cpp);
// a tty is not a socket, so they are Read/Writev ops (kNotSocket).
//
// As libuv, uv_tty_init reopens a pty slave or real terminal through its
// path (ttyname) so that making it non-blocking does not change the file
// description other processes share; the reopened fd is dup'ed over the
// caller's and the handle owns the new one. A master pty cannot be reopened:
// it stays blocking and its writes block (libuv's UV_HANDLE_BLOCKING_WRITES),
// and a read on it first waits for readability (kBlockingFd).
//
// The tty's 64 bytes of private storage hold what libuv keeps there: the
// termios from before the first mode change, and the current mode. The
// first tty put out of normal mode also records its fd and termios for
// uv_tty_reset_mode, process-wide, as libuv.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstring>

#include "compat_uv/stream.hpp"

using namespace veloq;
using namespace veloq::uvc;

namespace {

struct TtyState {  // fits UV_TTY_PRIVATE_FIELDS (64 bytes)
  termios orig;
  int mode;
};

TtyState* ttystate(uv_tty_t* t) {
  static_assert(sizeof(TtyState) <= sizeof(t->veloq_tty));
  return reinterpret_cast<TtyState*>(t->veloq_tty.storage);
}

// uv_tty_reset_mode's state. A flag, not a mutex: reset may run in a signal
// handler and then answers UV_EBUSY instead of waiting (libuv's spinlock).
std::atomic_flag termios_lock = ATOMIC_FLAG_INIT;
int orig_termios_fd = -1;
termios orig_termios;

void lock_termios() {
  while (termios_lock.test_and_set(std::memory_order_acquire)) {
  }
}
void unlock_termios() { termios_lock.clear(std::memory_order_release); }

// A pty slave answers TIOCGPTN with an error; a master with its number.
bool is_slave(int fd) {
  int n;
  return ::ioctl(fd, TIOCGPTN, &n) != 0;
}

}  // namespace

extern "C" {

int uv_tty_init(uv_loop_t* loop, uv_tty_t* tty, uv_file fd, int /*unused: ignored since libuv 1.23*/) {
  // Files and character devices other than terminals cannot be watched.
  const uv_handle_type type = uv_guess_handle(fd);
  if (type == UV_FILE || type == UV_UNKNOWN_HANDLE) return UV_EINVAL;
  int saved;
  do saved = ::fcntl(fd, F_GETFL);
  while (saved == -1 && errno == EINTR);
  if (saved == -1) return -errno;
  const int mode = saved & O_ACCMODE;
  bool blocking_writes = false;
  if (type == UV_TTY) {
    char path[256];
    int newfd = -1;
    if (is_slave(fd) && ::ttyname_r(fd, path, sizeof path) == 0) {
      do newfd = ::open(path, mode | O_NOCTTY | O_CLOEXEC);
      while (newfd == -1 && errno == EINTR);
    }
    if (newfd < 0) {
      blocking_writes = mode != O_RDONLY;  // libuv falls back to blocking writes
    } else {
      int r;
      do r = ::dup3(newfd, fd, O_CLOEXEC);
      while (r == -1 && errno == EBUSY);
      if (r == -1 && errno != EINVAL) {
        const int err = -errno;
        ::close(newfd);
        return err;
      }
      fd = newfd;
    }
  }
  stream_init(loop, reinterpret_cast<uv_stream_t*>(tty), UV_TTY);
  if (!blocking_writes) {
    int on = 1;
    ::ioctl(fd, FIONBIO, &on);  // libuv ignores a failure here too
  }
  uint32_t flags = 0;
  if (mode != O_WRONLY) flags |= kReadable;
  if (mode != O_RDONLY) flags |= kWritable;
  stream_open(reinterpret_cast<uv_stream_t*>(tty), fd, flags);
  if (blocking_writes) sstate(reinterpret_cast<uv_stream_t*>(tty))->flags |= kBlockingFd;
  TtyState* ts = ttystate(tty);
  std::memset(&ts->orig, 0, sizeof ts->orig);
  ts->mode = UV_TTY_MODE_NORMAL;
  return 0;
}

int uv_tty_set_mode(uv_tty_t* tty, uv_tty_mode_t mode) {
  TtyState* ts = ttystate(tty);
  if (ts->mode == int(mode)) return 0;
  const int fd = sstate(reinterpret_cast<uv_stream_t*>(tty))->fd;
  if (ts->mode == UV_TTY_MODE_NORMAL && mode != UV_TTY_MODE_NORMAL) {
    if (::tcgetattr(fd, &ts->orig) != 0) return -errno;
    lock_termios();
    if (orig_termios_fd == -1) {
      orig_termios = ts->orig;
      orig_termios_fd = fd;
    }
    unlock_termios();
  }
  termios tmp = ts->orig;
  switch (mode) {
    case UV_TTY_MODE_NORMAL: break;
    case UV_TTY_MODE_RAW:
      tmp.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
      tmp.c_oflag |= ONLCR;
      tmp.c_cflag |= CS8;
      tmp.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG);
      tmp.c_cc[VMIN] = 1;
      tmp.c_cc[VTIME] = 0;
      break;
    case UV_TTY_MODE_IO: ::cfmakeraw(&tmp); break;
  }
  // Applied once pending output has drained, as libuv.
  if (::tcsetattr(fd, TCSADRAIN, &tmp) != 0) return -errno;
  ts->mode = int(mode);
  return 0;
}

int uv_tty_get_winsize(uv_tty_t* tty, int* width, int* height) {
  winsize ws;
  int r;
  do r = ::ioctl(sstate(reinterpret_cast<uv_stream_t*>(tty))->fd, TIOCGWINSZ, &ws);
  while (r == -1 && errno == EINTR);
  if (r == -1) return -errno;
  *width = ws.ws_col;
  *height = ws.ws_row;
  return 0;
}

// Async-signal-safe unless it interrupts uv_tty_set_mode's critical section
// (then UV_EBUSY), as libuv.
int uv_tty_reset_mode(void) {
  const int saved_errno = errno;
  if (termios_lock.test_and_set(std::memory_order_acquire)) return UV_EBUSY;
  int err = 0;
  if (orig_termios_fd != -1 && ::tcsetattr(orig_termios_fd, TCSANOW, &orig_termios) != 0) err = -errno;
  unlock_termios();
  errno = saved_errno;
  return err;
}

// Windows only; as Linux libuv.
void uv_tty_set_vterm_state(uv_tty_vtermstate_t) {}
int uv_tty_get_vterm_state(uv_tty_vtermstate_t*) { return UV_ENOTSUP; }

}  // extern "C"
