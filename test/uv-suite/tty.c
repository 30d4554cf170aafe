/* uv_tty_t on a pseudo-terminal (posix_openpt, as libuv's test-tty.c uses
 * openpty): init and reopen, modes, window size, reads and writes through
 * the stream API. Every case skips cleanly where no pty can be had.
 *
 * uv_tty_reset_mode restores the first tty ever put out of normal mode, for
 * the whole process (libuv keeps it in a static), so only one case changes
 * modes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "suite.h"

static uv_loop_t loop;
static uv_timer_t guard;
static int guard_fired;
static int master_fd, slave_fd;
static char slave_path[128];

static void on_guard(uv_timer_t* t) {
  (void)t;
  guard_fired = 1;
  uv_stop(&loop);
}

static void closed_noop(uv_handle_t* h) { (void)h; }

/* 0 on success; the case skips otherwise. */
static int open_pty(void) {
  const char* name;
  master_fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master_fd < 0) return -1;
  if (grantpt(master_fd) != 0 || unlockpt(master_fd) != 0 || (name = ptsname(master_fd)) == NULL) {
    close(master_fd);
    return -1;
  }
  snprintf(slave_path, sizeof slave_path, "%s", name);
  slave_fd = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave_fd < 0) {
    close(master_fd);
    return -1;
  }
  return 0;
}

static void setup(void) {
  signal(SIGPIPE, SIG_IGN);
  if (open_pty() != 0) skip();
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 10000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static void finish(void) {
  uv_close((uv_handle_t*)&guard, closed_noop);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
  close(slave_fd);
  close(master_fd);
}

static int is_nonblocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

static void run_until(int* flag, int value) {
  while (*flag < value && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

/* Reads what arrives on a plain fd within 5 s until `want` bytes. */
static size_t read_fd(int fd, char* buf, size_t want) {
  size_t n = 0;
  while (n < want) {
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t k;
    if (poll(&p, 1, 5000) != 1) break;
    k = read(fd, buf + n, want - n);
    if (k <= 0) break;
    n += (size_t)k;
  }
  return n;
}

struct rx {
  char data[256];
  size_t len;
  int err;
};
static struct rx rx;
static void rx_alloc(uv_handle_t* h, size_t suggested, uv_buf_t* buf) {
  (void)h;
  (void)suggested;
  buf->base = malloc(64);
  buf->len = 64;
}
static void rx_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
  (void)s;
  if (nread > 0 && rx.len + (size_t)nread <= sizeof rx.data) {
    memcpy(rx.data + rx.len, buf->base, (size_t)nread);
    rx.len += (size_t)nread;
  } else if (nread < 0) {
    rx.err = (int)nread;
  }
  free(buf->base);
}
static void run_until_rx(size_t len) {
  while (rx.len < len && !rx.err && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(guard_fired, 0);
}

static int write_cbs, write_status;
static void on_write(uv_write_t* r, int status) {
  (void)r;
  write_cbs++;
  write_status = status;
}

/* -------------------------------------------------------------------- cases */

/* follows libuv test-tty.c tty (reset before any mode change): nothing to
 * restore is success */
static void test_tty_reset_mode_unset(void** state) {
  (void)state;
  assert_int_equal(uv_tty_reset_mode(), 0);
}

/* follows libuv test-tty.c tty: both ends of a pty guess as UV_TTY */
static void test_tty_guess_handle(void** state) {
  (void)state;
  setup();
  assert_int_equal(uv_guess_handle(slave_fd), UV_TTY);
  assert_int_equal(uv_guess_handle(master_fd), UV_TTY);
  finish();
}

/* follows libuv test-tty.c tty_file: what cannot be watched is refused */
static void test_tty_file(void** state) {
  uv_tty_t t;
  int fd;
  char path[] = "/tmp/veloq-tty-XXXXXX";
  (void)state;
  setup();
  fd = open("/dev/null", O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(uv_tty_init(&loop, &t, fd, 1), UV_EINVAL);
  close(fd);
  fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(uv_tty_init(&loop, &t, fd, 1), UV_EINVAL);
  close(fd);
  unlink(path);
  assert_int_equal(uv_tty_init(&loop, &t, -1, 1), UV_EINVAL);
  finish();
}

/* follows libuv test-tty.c tty_pty: the slave is reopened (its handle owns a
 * new non-blocking fd, the caller's fd is pointed at the same file), the
 * master cannot be and stays blocking */
static void test_tty_pty(void** state) {
  uv_tty_t st, mt;
  uv_os_fd_t fd;
  (void)state;
  setup();
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 0), 0);
  assert_int_equal(uv_tty_init(&loop, &mt, master_fd, 0), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&st), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&st), 1);
  assert_int_equal(uv_is_readable((uv_stream_t*)&mt), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&mt), 1);
  assert_int_equal(uv_fileno((uv_handle_t*)&st, &fd), 0);
  assert_int_not_equal(fd, slave_fd);
  assert_int_equal(uv_guess_handle(fd), UV_TTY);
  assert_int_equal(is_nonblocking(fd), 1);
  assert_int_equal(is_nonblocking(slave_fd), 1); /* same file description now */
  assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  assert_int_equal(uv_fileno((uv_handle_t*)&mt, &fd), 0);
  assert_int_equal(fd, master_fd);
  assert_int_equal(is_nonblocking(master_fd), 0);
  assert_int_equal(uv_handle_get_type((uv_handle_t*)&st), UV_TTY);
  uv_close((uv_handle_t*)&st, NULL);
  uv_close((uv_handle_t*)&mt, NULL);
  assert_int_equal(uv_fileno((uv_handle_t*)&st, &fd), UV_EBADF);
  finish();
}

/* follows libuv test-tty.c: access mode decides readable/writable */
static void test_tty_access_mode(void** state) {
  uv_tty_t r, w;
  int rfd, wfd;
  (void)state;
  setup();
  rfd = open(slave_path, O_RDONLY | O_NOCTTY);
  wfd = open(slave_path, O_WRONLY | O_NOCTTY);
  assert_true(rfd >= 0 && wfd >= 0);
  assert_int_equal(uv_tty_init(&loop, &r, rfd, 1), 0);
  assert_int_equal(uv_tty_init(&loop, &w, wfd, 0), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&r), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&r), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&w), 0);
  assert_int_equal(uv_is_writable((uv_stream_t*)&w), 1);
  uv_close((uv_handle_t*)&r, NULL);
  uv_close((uv_handle_t*)&w, NULL);
  finish();
  close(rfd);
  close(wfd);
}

/* libuv's uv_tty_init takes any fd it can watch: a pipe end becomes a
 * stream (no reopen) */
static void test_tty_init_pipe_fd(void** state) {
  uv_tty_t t;
  int fds[2];
  (void)state;
  setup();
  assert_int_equal(pipe(fds), 0);
  assert_int_equal(uv_tty_init(&loop, &t, fds[0], 1), 0);
  assert_int_equal(uv_is_readable((uv_stream_t*)&t), 1);
  assert_int_equal(uv_is_writable((uv_stream_t*)&t), 0);
  assert_int_equal(is_nonblocking(fds[0]), 1);
  uv_close((uv_handle_t*)&t, NULL);
  finish();
  close(fds[1]);
}

/* follows libuv test-tty.c tty_pty / window size: what the master sets is
 * what the slave handle reports */
static void test_tty_get_winsize(void** state) {
  uv_tty_t st;
  struct winsize ws = {30, 100, 0, 0};
  int width = 0, height = 0;
  (void)state;
  setup();
  assert_int_equal(ioctl(master_fd, TIOCSWINSZ, &ws), 0);
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 0), 0);
  assert_int_equal(uv_tty_get_winsize(&st, &width, &height), 0);
  assert_int_equal(width, 100);
  assert_int_equal(height, 30);
  ws.ws_col = 132;
  ws.ws_row = 43;
  assert_int_equal(ioctl(master_fd, TIOCSWINSZ, &ws), 0);
  assert_int_equal(uv_tty_get_winsize(&st, &width, &height), 0);
  assert_int_equal(width, 132);
  assert_int_equal(height, 43);
  uv_close((uv_handle_t*)&st, NULL);
  finish();
}

/* follows libuv test-tty.c tty_raw / tty_reset_mode: raw and io modes,
 * back to normal, and uv_tty_reset_mode restoring what was there first */
static void test_tty_set_mode_and_reset(void** state) {
  uv_tty_t st;
  struct termios orig, now;
  uv_os_fd_t fd;
  (void)state;
  setup();
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 0), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&st, &fd), 0);
  assert_int_equal(tcgetattr(fd, &orig), 0);
  assert_true(orig.c_lflag & ICANON);
  assert_int_equal(uv_tty_set_mode(&st, UV_TTY_MODE_NORMAL), 0); /* already */
  assert_int_equal(uv_tty_set_mode(&st, UV_TTY_MODE_RAW), 0);
  assert_int_equal(tcgetattr(fd, &now), 0);
  assert_int_equal(now.c_lflag & (ICANON | ECHO | ISIG | IEXTEN), 0);
  assert_int_equal(now.c_iflag & (ICRNL | IXON), 0);
  assert_int_equal(now.c_cc[VMIN], 1);
  assert_int_equal(now.c_cc[VTIME], 0);
  assert_true(now.c_oflag & OPOST); /* raw keeps output processing */
  assert_int_equal(uv_tty_set_mode(&st, UV_TTY_MODE_IO), 0);
  assert_int_equal(tcgetattr(fd, &now), 0);
  assert_int_equal(now.c_oflag & OPOST, 0);
  assert_int_equal(now.c_lflag & ICANON, 0);
  assert_int_equal(uv_tty_set_mode(&st, UV_TTY_MODE_NORMAL), 0);
  assert_int_equal(tcgetattr(fd, &now), 0);
  assert_int_equal(now.c_lflag, orig.c_lflag);
  assert_int_equal(now.c_oflag, orig.c_oflag);
  /* raw again, then the process-wide reset */
  assert_int_equal(uv_tty_set_mode(&st, UV_TTY_MODE_RAW), 0);
  assert_int_equal(uv_tty_reset_mode(), 0);
  assert_int_equal(tcgetattr(fd, &now), 0);
  assert_int_equal(now.c_lflag, orig.c_lflag);
  assert_int_equal(now.c_iflag, orig.c_iflag);
  uv_close((uv_handle_t*)&st, NULL);
  finish();
}

/* a write on the slave handle is read at the master (ONLCR: \n -> \r\n) */
static void test_tty_write_read_master(void** state) {
  uv_tty_t st;
  uv_write_t w;
  uv_buf_t b = uv_buf_init("hello\n", 6);
  char got[16];
  (void)state;
  setup();
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 0), 0);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&st, &b, 1, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_status, 0);
  assert_int_equal(read_fd(master_fd, got, 7), 7);
  assert_memory_equal(got, "hello\r\n", 7);
  assert_int_equal(uv_try_write((uv_stream_t*)&st, &b, 1), 6);
  assert_int_equal(read_fd(master_fd, got, 7), 7);
  assert_memory_equal(got, "hello\r\n", 7);
  uv_close((uv_handle_t*)&st, NULL);
  finish();
}

/* the master as a tty handle too (blocking, not reopened): read what the
 * slave writes through uv_read_start */
static void test_tty_read_master_handle(void** state) {
  uv_tty_t mt;
  char msg[] = "from the slave\n";
  (void)state;
  setup();
  memset(&rx, 0, sizeof rx);
  assert_int_equal(uv_tty_init(&loop, &mt, master_fd, 0), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&mt, rx_alloc, rx_read), 0);
  assert_int_equal(write(slave_fd, msg, strlen(msg)), (ssize_t)strlen(msg));
  run_until_rx(strlen(msg) + 1);
  assert_memory_equal(rx.data, "from the slave\r\n", strlen(msg) + 1);
  assert_int_equal(uv_read_stop((uv_stream_t*)&mt), 0);
  uv_close((uv_handle_t*)&mt, NULL);
  finish();
}

/* follows libuv test-tty.c: input typed at the master is read by the slave
 * handle, a line at a time in normal (canonical) mode */
static void test_tty_read_slave_handle(void** state) {
  uv_tty_t st;
  (void)state;
  setup();
  memset(&rx, 0, sizeof rx);
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 1), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&st, rx_alloc, rx_read), 0);
  for (int i = 0; i < 3; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(write(master_fd, "abc", 3), 3);
  for (int i = 0; i < 3; i++) uv_run(&loop, UV_RUN_NOWAIT);
  assert_int_equal(rx.len, 0); /* no line yet */
  assert_int_equal(write(master_fd, "\n", 1), 1);
  run_until_rx(4);
  assert_memory_equal(rx.data, "abc\n", 4);
  uv_close((uv_handle_t*)&st, NULL);
  finish();
}

/* a tty is not a socket: shutdown reports shutdown(2)'s answer */
static int shutdown_cbs, shutdown_status;
static void on_shutdown(uv_shutdown_t* r, int status) {
  (void)r;
  shutdown_cbs++;
  shutdown_status = status;
}
static void test_tty_shutdown(void** state) {
  uv_tty_t st;
  uv_shutdown_t req;
  (void)state;
  setup();
  shutdown_cbs = 0;
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 0), 0);
  assert_int_equal(uv_shutdown(&req, (uv_stream_t*)&st, on_shutdown), 0);
  run_until(&shutdown_cbs, 1);
  assert_int_equal(shutdown_status, UV_ENOTSOCK);
  uv_close((uv_handle_t*)&st, NULL);
  finish();
}

/* uv_stream_set_blocking on a tty handle */
static void test_tty_set_blocking(void** state) {
  uv_tty_t st;
  uv_os_fd_t fd;
  uv_write_t w;
  uv_buf_t b = uv_buf_init("blocking\n", 9);
  char got[16];
  (void)state;
  setup();
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 0), 0);
  assert_int_equal(uv_fileno((uv_handle_t*)&st, &fd), 0);
  assert_int_equal(uv_stream_set_blocking((uv_stream_t*)&st, 1), 0);
  assert_int_equal(is_nonblocking(fd), 0);
  write_cbs = 0;
  assert_int_equal(uv_write(&w, (uv_stream_t*)&st, &b, 1, on_write), 0);
  run_until(&write_cbs, 1);
  assert_int_equal(write_status, 0);
  assert_int_equal(read_fd(master_fd, got, 10), 10);
  assert_memory_equal(got, "blocking\r\n", 10);
  assert_int_equal(uv_stream_set_blocking((uv_stream_t*)&st, 0), 0);
  assert_int_equal(is_nonblocking(fd), 1);
  uv_close((uv_handle_t*)&st, NULL);
  finish();
}

/* closing a reading tty: close_cb runs, no read_cb after it */
static int tty_closed;
static void on_tty_closed(uv_handle_t* h) {
  (void)h;
  tty_closed++;
}
static void test_tty_close_while_reading(void** state) {
  uv_tty_t st;
  (void)state;
  setup();
  memset(&rx, 0, sizeof rx);
  tty_closed = 0;
  assert_int_equal(uv_tty_init(&loop, &st, slave_fd, 1), 0);
  assert_int_equal(uv_read_start((uv_stream_t*)&st, rx_alloc, rx_read), 0);
  uv_run(&loop, UV_RUN_NOWAIT);
  uv_close((uv_handle_t*)&st, on_tty_closed);
  assert_int_equal(write(master_fd, "late\n", 5), 5);
  finish();
  assert_int_equal(tty_closed, 1);
  assert_int_equal(rx.len, 0);
  assert_int_equal(rx.err, 0);
}

/* Windows-only vterm state: Linux libuv ignores the set, cannot get */
static void test_tty_vterm_state(void** state) {
  uv_tty_vtermstate_t vs = UV_TTY_SUPPORTED;
  (void)state;
  uv_tty_set_vterm_state(UV_TTY_UNSUPPORTED);
  assert_int_equal(uv_tty_get_vterm_state(&vs), UV_ENOTSUP);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tty_reset_mode_unset),
      cmocka_unit_test(test_tty_guess_handle),
      cmocka_unit_test(test_tty_file),
      cmocka_unit_test(test_tty_pty),
      cmocka_unit_test(test_tty_access_mode),
      cmocka_unit_test(test_tty_init_pipe_fd),
      cmocka_unit_test(test_tty_get_winsize),
      cmocka_unit_test(test_tty_set_mode_and_reset),
      cmocka_unit_test(test_tty_write_read_master),
      cmocka_unit_test(test_tty_read_master_handle),
      cmocka_unit_test(test_tty_read_slave_handle),
      cmocka_unit_test(test_tty_shutdown),
      cmocka_unit_test(test_tty_set_blocking),
      cmocka_unit_test(test_tty_close_while_reading),
      cmocka_unit_test(test_tty_vterm_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
