/* uv_poll_t on foreign fds: readiness of socketpairs, pipes and loopback
 * TCP sockets the test creates with plain syscalls. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "suite.h"

struct probe {
  uv_poll_t poll;
  int calls;
  int last_status;
  int last_events;
  int all_events;       /* OR of every events mask seen */
  int read_per_call;    /* bytes to consume per callback (0: none) */
  int stop_after;       /* stop the handle after this many calls (0: never) */
  int close_after;      /* close the handle after this many calls (0: never) */
  int closed;
};

static void on_close(uv_handle_t* h) { ((struct probe*)h->data)->closed++; }

static void on_poll(uv_poll_t* h, int status, int events) {
  struct probe* p = h->data;
  p->calls++;
  p->last_status = status;
  p->last_events = events;
  p->all_events |= events;
  if (p->read_per_call > 0 && (events & UV_READABLE)) {
    char buf[64];
    int fd;
    uv_fileno((uv_handle_t*)h, &fd);
    (void)!read(fd, buf, (size_t)p->read_per_call);
  }
  if (p->stop_after && p->calls == p->stop_after) uv_poll_stop(h);
  if (p->close_after && p->calls == p->close_after) uv_close((uv_handle_t*)h, on_close);
}

static void probe_init(uv_loop_t* loop, struct probe* p, int fd) {
  memset(p, 0, sizeof *p);
  assert_int_equal(uv_poll_init(loop, &p->poll, fd), 0);
  p->poll.data = p;
}

static void pair(int sv[2]) { assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0); }

/* upstream: poll_duplex (readable once data arrives) */
static void test_poll_readable(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  struct probe p;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, sv[0]);
  assert_int_equal(uv_poll_start(&p.poll, UV_READABLE, on_poll), 0);
  assert_true(uv_is_active((uv_handle_t*)&p.poll));
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1);
  assert_int_equal(p.calls, 0); /* nothing to read yet */
  assert_int_equal(write(sv[1], "abc", 3), 3);
  p.close_after = 1;
  p.read_per_call = 3;
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(p.calls, 1);
  assert_int_equal(p.last_status, 0);
  assert_int_equal(p.last_events, UV_READABLE);
  assert_int_equal(p.closed, 1);
  close(sv[0]);
  close(sv[1]);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: poll_duplex (a connected socket is writable at once) */
static void test_poll_writable(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  struct probe p;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, sv[0]);
  p.close_after = 1;
  assert_int_equal(uv_poll_start(&p.poll, UV_READABLE | UV_WRITABLE, on_poll), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(p.calls, 1);
  assert_int_equal(p.last_events, UV_WRITABLE);
  close(sv[0]);
  close(sv[1]);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: poll (level-triggered: data left unread is reported again) */
static void test_poll_level_triggered(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  struct probe p;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, sv[0]);
  p.read_per_call = 1; /* one byte a call: three calls for three bytes */
  assert_int_equal(write(sv[1], "xyz", 3), 3);
  assert_int_equal(uv_poll_start(&p.poll, UV_READABLE, on_poll), 0);
  for (int i = 0; i < 3; i++) assert_int_equal(uv_run(&loop, UV_RUN_ONCE), 1);
  assert_int_equal(p.calls, 3);
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 1);
  assert_int_equal(p.calls, 3); /* drained: no more callbacks */
  uv_close((uv_handle_t*)&p.poll, on_close);
  suite_loop_done(&loop);
  assert_int_equal(p.closed, 1);
  close(sv[0]);
  close(sv[1]);
}

/* upstream: poll_closesocket / poll disconnect (peer closed: UV_DISCONNECT
 * together with readable) */
static void test_poll_disconnect(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  struct probe p;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, sv[0]);
  p.close_after = 1;
  assert_int_equal(uv_poll_start(&p.poll, UV_READABLE | UV_DISCONNECT, on_poll), 0);
  close(sv[1]);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(p.calls, 1);
  assert_int_equal(p.last_status, 0);
  assert_true(p.last_events & UV_DISCONNECT);
  assert_true(p.last_events & UV_READABLE);
  close(sv[0]);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: poll_oob (urgent TCP data is UV_PRIORITIZED) */
static void test_poll_prioritized(void** state) {
  (void)state;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(lfd >= 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  assert_int_equal(bind(lfd, (struct sockaddr*)&a, sizeof a), 0);
  assert_int_equal(listen(lfd, 1), 0);
  assert_int_equal(getsockname(lfd, (struct sockaddr*)&a, &alen), 0);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(c, (struct sockaddr*)&a, sizeof a), 0);
  int s = accept(lfd, NULL, NULL);
  assert_true(s >= 0);
  uv_loop_t loop;
  struct probe p;
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, s);
  p.close_after = 1;
  assert_int_equal(uv_poll_start(&p.poll, UV_PRIORITIZED, on_poll), 0);
  assert_int_equal(send(c, "!", 1, MSG_OOB), 1);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(p.calls, 1);
  assert_true(p.last_events & UV_PRIORITIZED);
  close(s);
  close(c);
  close(lfd);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: poll_multiple_handles / poll_nested (one handle per fd) */
static void test_poll_one_handle_per_fd(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  uv_poll_t a, b;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_poll_init(&loop, &a, sv[0]), 0);
  assert_int_equal(uv_poll_start(&a, UV_READABLE, on_poll), 0);
  assert_int_equal(uv_poll_init(&loop, &b, sv[0]), UV_EEXIST);
  uv_close((uv_handle_t*)&a, NULL);
  suite_loop_done(&loop);
  close(sv[0]);
  close(sv[1]);
}

/* upstream: poll_bad_fdtype / poll_badf */
static void test_poll_bad_fds(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_poll_t h;
  assert_int_equal(uv_loop_init(&loop), 0);
  char path[] = "/tmp/veloq-poll-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  unlink(path);
  assert_int_equal(uv_poll_init(&loop, &h, fd), UV_EPERM); /* regular files never block */
  close(fd);
  assert_int_equal(uv_poll_init(&loop, &h, fd), UV_EBADF);
  suite_loop_done(&loop);
}

/* upstream: poll (uv_poll_start with no events stops; a restart changes the
 * events; stop inside the callback) */
static void test_poll_stop_and_restart(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  struct probe p;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, sv[0]);
  assert_int_equal(uv_poll_start(&p.poll, UV_WRITABLE, on_poll), 0);
  assert_int_equal(uv_poll_start(&p.poll, 0, on_poll), 0);
  assert_false(uv_is_active((uv_handle_t*)&p.poll));
  assert_int_equal(uv_run(&loop, UV_RUN_NOWAIT), 0);
  assert_int_equal(p.calls, 0);
  p.stop_after = 1;
  assert_int_equal(uv_poll_start(&p.poll, UV_WRITABLE, on_poll), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* stopped in the cb: loop ends */
  assert_int_equal(p.calls, 1);
  assert_false(uv_is_active((uv_handle_t*)&p.poll));
  /* restart with other events */
  p.stop_after = 2;
  assert_int_equal(write(sv[1], "q", 1), 1);
  assert_int_equal(uv_poll_start(&p.poll, UV_READABLE, on_poll), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(p.calls, 2);
  assert_int_equal(p.last_events, UV_READABLE);
  uv_close((uv_handle_t*)&p.poll, on_close);
  suite_loop_done(&loop);
  close(sv[0]);
  close(sv[1]);
}

/* upstream: poll_close (closing an active handle: close_cb runs, the event
 * that would have come is never delivered) */
static void test_poll_close_active(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  struct probe p;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, sv[0]);
  assert_int_equal(uv_poll_start(&p.poll, UV_READABLE | UV_WRITABLE, on_poll), 0);
  uv_close((uv_handle_t*)&p.poll, on_close);
  assert_int_equal(write(sv[1], "z", 1), 1);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(p.calls, 0);
  assert_int_equal(p.closed, 1);
  /* The fd belongs to the caller: still open after the close. */
  assert_true(fcntl(sv[0], F_GETFD) >= 0);
  close(sv[0]);
  close(sv[1]);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: poll_unref-style (an unref'd poll handle does not keep the loop
 * running) and uv_fileno on a poll handle */
static void test_poll_unref_and_fileno(void** state) {
  (void)state;
  uv_loop_t loop;
  int sv[2];
  struct probe p;
  pair(sv);
  assert_int_equal(uv_loop_init(&loop), 0);
  probe_init(&loop, &p, sv[0]);
  uv_os_fd_t fd = -1;
  assert_int_equal(uv_fileno((uv_handle_t*)&p.poll, &fd), 0);
  assert_int_equal(fd, sv[0]);
  assert_int_equal(uv_poll_start(&p.poll, UV_READABLE, on_poll), 0);
  uv_unref((uv_handle_t*)&p.poll);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t*)&p.poll, on_close);
  suite_loop_done(&loop);
  assert_int_equal(p.closed, 1);
  close(sv[0]);
  close(sv[1]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_poll_readable),       cmocka_unit_test(test_poll_writable),
      cmocka_unit_test(test_poll_level_triggered), cmocka_unit_test(test_poll_disconnect),
      cmocka_unit_test(test_poll_prioritized),    cmocka_unit_test(test_poll_one_handle_per_fd),
      cmocka_unit_test(test_poll_bad_fds),        cmocka_unit_test(test_poll_stop_and_restart),
      cmocka_unit_test(test_poll_close_active),   cmocka_unit_test(test_poll_unref_and_fileno),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
