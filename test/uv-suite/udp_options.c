/* uv_udp_t socket options and multicast on the loopback interface;
 * uv_socketpair; uv_send_buffer_size / uv_recv_buffer_size on TCP and UDP
 * handles. Multicast stays on this host: groups are joined on lo
 * (127.0.0.1, ::1%lo) and sent with a multicast TTL of 0. A case skips when
 * the machine refuses multicast on lo. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "suite.h"

static uv_loop_t loop;
static uv_timer_t guard;
static int guard_fired;

static void on_guard(uv_timer_t* t) {
  (void)t;
  guard_fired = 1;
  uv_stop(&loop);
}

static void setup_loop(void) {
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_guard, 10000, 0), 0);
  uv_unref((uv_handle_t*)&guard);
  guard_fired = 0;
}

static void finish_loop(void) {
  uv_close((uv_handle_t*)&guard, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(guard_fired, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static int have_ipv6(void) {
  struct sockaddr_in6 a;
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  int ok;
  if (fd < 0) return 0;
  uv_ip6_addr("::1", 0, &a);
  ok = bind(fd, (struct sockaddr*)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static int port_of(const uv_udp_t* u) {
  struct sockaddr_storage ss;
  int len = sizeof ss;
  assert_int_equal(uv_udp_getsockname(u, (struct sockaddr*)&ss, &len), 0);
  if (ss.ss_family == AF_INET6) return ntohs(((struct sockaddr_in6*)&ss)->sin6_port);
  return ntohs(((struct sockaddr_in*)&ss)->sin_port);
}

/* upstream: test-udp-options.c udp_options / udp_options6 -- broadcast,
 * TTL 1..255 (others UV_EINVAL), multicast loop, multicast TTL 0..255 */
static void check_options(const struct sockaddr* addr) {
  static const int bad_ttls[] = {-1, 0, 256};
  uv_udp_t h;
  int r;
  setup_loop();
  assert_int_equal(uv_udp_init(&loop, &h), 0);
  uv_unref((uv_handle_t*)&h);
  assert_int_equal(uv_udp_bind(&h, addr, UV_UDP_REUSEADDR), 0);
  r = uv_udp_set_broadcast(&h, 1);
  r |= uv_udp_set_broadcast(&h, 1);
  r |= uv_udp_set_broadcast(&h, 0);
  r |= uv_udp_set_broadcast(&h, 0);
  assert_int_equal(r, 0);
  for (int i = 1; i <= 255; i++) assert_int_equal(uv_udp_set_ttl(&h, i), 0);
  for (size_t i = 0; i < sizeof bad_ttls / sizeof bad_ttls[0]; i++) {
    assert_int_equal(uv_udp_set_ttl(&h, bad_ttls[i]), UV_EINVAL);
  }
  r = uv_udp_set_multicast_loop(&h, 1);
  r |= uv_udp_set_multicast_loop(&h, 1);
  r |= uv_udp_set_multicast_loop(&h, 0);
  r |= uv_udp_set_multicast_loop(&h, 0);
  assert_int_equal(r, 0);
  assert_int_equal(uv_udp_set_multicast_loop(&h, 256), UV_EINVAL);
  for (int i = 0; i <= 255; i++) assert_int_equal(uv_udp_set_multicast_ttl(&h, i), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&h, 256), UV_EINVAL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  uv_close((uv_handle_t*)&h, NULL);
  finish_loop();
}

static void test_udp_options(void** state) {
  struct sockaddr_in a;
  (void)state;
  assert_int_equal(uv_ip4_addr("0.0.0.0", 0, &a), 0);
  check_options((const struct sockaddr*)&a);
}

static void test_udp_options6(void** state) {
  struct sockaddr_in6 a;
  (void)state;
  if (!have_ipv6()) skip();
  assert_int_equal(uv_ip6_addr("::", 0, &a), 0);
  check_options((const struct sockaddr*)&a);
}

/* upstream: test-udp-options.c udp_no_autobind -- options on a handle with
 * no socket yet fail with UV_EBADF (no implicit bind); on an init_ex handle
 * they work */
static void test_udp_no_autobind(void** state) {
  uv_udp_t h, h2;
  uv_os_fd_t fd;
  (void)state;
  setup_loop();
  assert_int_equal(uv_udp_init(&loop, &h), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&h, 32), UV_EBADF);
  assert_int_equal(uv_udp_set_broadcast(&h, 1), UV_EBADF);
  assert_int_equal(uv_udp_set_ttl(&h, 1), UV_EBADF);
  assert_int_equal(uv_udp_set_multicast_loop(&h, 1), UV_EBADF);
  assert_int_equal(uv_udp_set_multicast_interface(&h, "0.0.0.0"), UV_EBADF);
  assert_int_equal(uv_fileno((uv_handle_t*)&h, &fd), UV_EBADF); /* still none */
  uv_close((uv_handle_t*)&h, NULL);
  assert_int_equal(uv_udp_init_ex(&loop, &h2, AF_INET | UV_UDP_RECVMMSG), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&h2, 32), 0);
  assert_int_equal(uv_udp_set_broadcast(&h2, 1), 0);
  assert_int_equal(uv_udp_set_ttl(&h2, 1), 0);
  assert_int_equal(uv_udp_set_multicast_loop(&h2, 1), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&h2, "0.0.0.0"), 0);
  uv_close((uv_handle_t*)&h2, NULL);
  finish_loop();
}

/* Multicast: a receiver in a group on lo, a sender with TTL 0 on lo. */
static uv_udp_t mrx, mtx;
static int m_recvs, m_sends, m_send_status;
static char m_last[16];
static void m_alloc(uv_handle_t* h, size_t s, uv_buf_t* b) {
  static char slab[65536];
  (void)h, (void)s;
  b->base = slab;
  b->len = sizeof slab;
}
static void m_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* b, const struct sockaddr* addr, unsigned flags) {
  (void)h;
  assert_int_equal(flags, 0);
  assert_true(nread >= 0);
  if (addr == NULL) return;
  memcpy(m_last, b->base, (size_t)nread < sizeof m_last ? (size_t)nread : sizeof m_last);
  m_recvs++;
}
static void m_send_cb(uv_udp_send_t* r, int status) {
  (void)r;
  m_send_status = status;
  m_sends++;
}

static int refused(int err) {
  return err == UV_ENODEV || err == UV_EADDRNOTAVAIL || err == UV_EPERM || err == UV_ENOPROTOOPT || err == UV_ENOSYS;
}

/* upstream: test-udp-multicast-join.c udp_multicast_join -- join, receive
 * what is sent to the group, leave; bad arguments */
static void test_udp_multicast_join(void** state) {
  struct sockaddr_in any, group;
  uv_udp_send_t req;
  uv_buf_t b = uv_buf_init("PING", 4);
  int r;
  (void)state;
  setup_loop();
  m_recvs = m_sends = 0;
  assert_int_equal(uv_ip4_addr("0.0.0.0", 0, &any), 0);
  assert_int_equal(uv_udp_init(&loop, &mrx), 0);
  assert_int_equal(uv_udp_bind(&mrx, (const struct sockaddr*)&any, UV_UDP_REUSEADDR), 0);
  assert_int_equal(uv_udp_set_membership(&mrx, "not an address", "127.0.0.1", UV_JOIN_GROUP), UV_EINVAL);
  assert_int_equal(uv_udp_set_membership(&mrx, "239.255.77.1", "127.0.0.1", (uv_membership)7), UV_EINVAL);
  r = uv_udp_set_membership(&mrx, "239.255.77.1", "127.0.0.1", UV_JOIN_GROUP);
  if (refused(r)) {
    uv_close((uv_handle_t*)&mrx, NULL);
    finish_loop();
    skip();
  }
  assert_int_equal(r, 0);
  assert_int_equal(uv_udp_recv_start(&mrx, m_alloc, m_recv), 0);
  assert_int_equal(uv_ip4_addr("239.255.77.1", port_of(&mrx), &group), 0);
  assert_int_equal(uv_udp_init_ex(&loop, &mtx, AF_INET), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, "127.0.0.1"), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&mtx, 0), 0);
  assert_int_equal(uv_udp_set_multicast_loop(&mtx, 1), 0);
  assert_int_equal(uv_udp_send(&req, &mtx, &b, 1, (const struct sockaddr*)&group, m_send_cb), 0);
  while ((m_sends == 0 || m_recvs == 0) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(m_send_status, 0);
  assert_int_equal(m_recvs, 1);
  assert_memory_equal(m_last, "PING", 4);
  assert_int_equal(uv_udp_set_membership(&mrx, "239.255.77.1", "127.0.0.1", UV_LEAVE_GROUP), 0);
  assert_true(uv_udp_set_membership(&mrx, "239.255.77.1", "127.0.0.1", UV_LEAVE_GROUP) < 0);
  uv_close((uv_handle_t*)&mrx, NULL);
  uv_close((uv_handle_t*)&mtx, NULL);
  finish_loop();
}

/* upstream: test-udp-multicast-join.c source-specific join -- only the
 * named source is heard */
static void test_udp_multicast_join_source(void** state) {
  struct sockaddr_in any, group;
  uv_udp_send_t req;
  uv_buf_t b = uv_buf_init("SSM!", 4);
  int r;
  (void)state;
  setup_loop();
  m_recvs = m_sends = 0;
  assert_int_equal(uv_ip4_addr("0.0.0.0", 0, &any), 0);
  assert_int_equal(uv_udp_init(&loop, &mrx), 0);
  assert_int_equal(uv_udp_bind(&mrx, (const struct sockaddr*)&any, UV_UDP_REUSEADDR), 0);
  assert_int_equal(uv_udp_set_source_membership(&mrx, "232.1.2.3", "127.0.0.1", "bogus", UV_JOIN_GROUP), UV_EINVAL);
  r = uv_udp_set_source_membership(&mrx, "232.1.2.3", "127.0.0.1", "127.0.0.1", UV_JOIN_GROUP);
  if (refused(r)) {
    uv_close((uv_handle_t*)&mrx, NULL);
    finish_loop();
    skip();
  }
  assert_int_equal(r, 0);
  assert_int_equal(uv_udp_recv_start(&mrx, m_alloc, m_recv), 0);
  assert_int_equal(uv_ip4_addr("232.1.2.3", port_of(&mrx), &group), 0);
  assert_int_equal(uv_udp_init_ex(&loop, &mtx, AF_INET), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, "127.0.0.1"), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&mtx, 0), 0);
  assert_int_equal(uv_udp_send(&req, &mtx, &b, 1, (const struct sockaddr*)&group, m_send_cb), 0);
  while ((m_sends == 0 || m_recvs == 0) && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_int_equal(m_send_status, 0);
  assert_int_equal(m_recvs, 1);
  assert_memory_equal(m_last, "SSM!", 4);
  assert_int_equal(uv_udp_set_source_membership(&mrx, "232.1.2.3", "127.0.0.1", "127.0.0.1", UV_LEAVE_GROUP), 0);
  uv_close((uv_handle_t*)&mrx, NULL);
  uv_close((uv_handle_t*)&mtx, NULL);
  finish_loop();
}

/* upstream: test-udp-multicast-join6.c udp_multicast_join6 -- join and
 * leave an IPv6 group on lo; a send to it reports 0 or that lo has no
 * IPv6 multicast route (both seen on Linux) */
static void test_udp_multicast_join6(void** state) {
  struct sockaddr_in6 any, group;
  uv_udp_send_t req;
  uv_buf_t b = uv_buf_init("PING", 4);
  int r;
  (void)state;
  if (!have_ipv6()) skip();
  setup_loop();
  m_recvs = m_sends = 0;
  assert_int_equal(uv_ip6_addr("::", 0, &any), 0);
  assert_int_equal(uv_udp_init(&loop, &mrx), 0);
  assert_int_equal(uv_udp_bind(&mrx, (const struct sockaddr*)&any, UV_UDP_REUSEADDR), 0);
  r = uv_udp_set_membership(&mrx, "ff02::4242", "::1%lo", UV_JOIN_GROUP);
  if (refused(r)) {
    uv_close((uv_handle_t*)&mrx, NULL);
    finish_loop();
    skip();
  }
  assert_int_equal(r, 0);
  assert_int_equal(uv_udp_recv_start(&mrx, m_alloc, m_recv), 0);
  assert_int_equal(uv_ip6_addr("ff02::4242%lo", port_of(&mrx), &group), 0);
  assert_int_equal(uv_udp_init_ex(&loop, &mtx, AF_INET6), 0);
  assert_int_equal(uv_udp_bind(&mtx, (const struct sockaddr*)&any, 0), 0); /* IPv6 options from here on */
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, "::1%lo"), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&mtx, 0), 0);
  assert_int_equal(uv_udp_send(&req, &mtx, &b, 1, (const struct sockaddr*)&group, m_send_cb), 0);
  while (m_sends == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  if (m_send_status == 0) {
    while (m_recvs == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(m_recvs, 1);
  } else {
    assert_int_equal(m_send_status, UV_ENETUNREACH);
  }
  assert_int_equal(uv_udp_set_membership(&mrx, "ff02::4242", "::1%lo", UV_LEAVE_GROUP), 0);
  uv_close((uv_handle_t*)&mrx, NULL);
  uv_close((uv_handle_t*)&mtx, NULL);
  finish_loop();
}

/* upstream: test-udp-multicast-ttl.c -- the TTL is set, a datagram to a
 * group goes out (kept on this host: TTL 0) */
static void test_udp_multicast_ttl(void** state) {
  struct sockaddr_in any, group;
  uv_udp_send_t req;
  uv_buf_t b = uv_buf_init("PING", 4);
  (void)state;
  setup_loop();
  m_sends = 0;
  assert_int_equal(uv_ip4_addr("0.0.0.0", 0, &any), 0);
  assert_int_equal(uv_udp_init(&loop, &mtx), 0);
  assert_int_equal(uv_udp_bind(&mtx, (const struct sockaddr*)&any, 0), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&mtx, 32), 0);
  assert_int_equal(uv_udp_set_multicast_ttl(&mtx, 0), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, "127.0.0.1"), 0);
  assert_int_equal(uv_ip4_addr("239.255.77.3", 9, &group), 0);
  assert_int_equal(uv_udp_send(&req, &mtx, &b, 1, (const struct sockaddr*)&group, m_send_cb), 0);
  while (m_sends == 0 && !guard_fired) uv_run(&loop, UV_RUN_ONCE);
  assert_true(m_send_status == 0 || m_send_status == UV_ENETUNREACH || m_send_status == UV_EPERM);
  uv_close((uv_handle_t*)&mtx, NULL);
  finish_loop();
}

/* upstream: test-udp-multicast-interface.c / -interface6 -- valid and
 * invalid interface addresses */
static void test_udp_multicast_interface(void** state) {
  struct sockaddr_in any;
  struct sockaddr_in6 any6;
  uv_udp_t h6;
  (void)state;
  setup_loop();
  assert_int_equal(uv_ip4_addr("0.0.0.0", 0, &any), 0);
  assert_int_equal(uv_udp_init(&loop, &mtx), 0);
  assert_int_equal(uv_udp_bind(&mtx, (const struct sockaddr*)&any, 0), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, "0.0.0.0"), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, NULL), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, "127.0.0.1"), 0);
  assert_int_equal(uv_udp_set_multicast_interface(&mtx, "not an address"), UV_EINVAL);
  uv_close((uv_handle_t*)&mtx, NULL);
  if (have_ipv6()) {
    assert_int_equal(uv_ip6_addr("::", 0, &any6), 0);
    assert_int_equal(uv_udp_init(&loop, &h6), 0);
    assert_int_equal(uv_udp_bind(&h6, (const struct sockaddr*)&any6, 0), 0);
    assert_int_equal(uv_udp_set_multicast_interface(&h6, NULL), 0);
    assert_int_equal(uv_udp_set_multicast_interface(&h6, "::1%lo"), 0);
    uv_close((uv_handle_t*)&h6, NULL);
  }
  finish_loop();
}

/* ---------------------------------------------------------------- socketpair */

static int nonblocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }
static int cloexec(int fd) { return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0; }

/* upstream: test-socket-pair / test-pipe-... uv_socketpair -- connected,
 * close-on-exec always, nonblocking per UV_NONBLOCK_PIPE */
static void test_socketpair_flags(void** state) {
  uv_os_sock_t fds[2];
  char buf[8];
  (void)state;
  assert_int_equal(uv_socketpair(SOCK_STREAM, 0, fds, 0, 0), 0);
  assert_int_equal(nonblocking(fds[0]) + nonblocking(fds[1]), 0);
  assert_int_equal(cloexec(fds[0]) + cloexec(fds[1]), 2);
  assert_int_equal(write(fds[0], "hello", 5), 5);
  assert_int_equal(read(fds[1], buf, sizeof buf), 5);
  assert_memory_equal(buf, "hello", 5);
  close(fds[0]);
  close(fds[1]);
  assert_int_equal(uv_socketpair(SOCK_STREAM, 0, fds, UV_NONBLOCK_PIPE, 0), 0);
  assert_int_equal(nonblocking(fds[0]), 1);
  assert_int_equal(nonblocking(fds[1]), 0);
  assert_int_equal(cloexec(fds[0]) + cloexec(fds[1]), 2);
  assert_int_equal(read(fds[0], buf, sizeof buf), -1);
  assert_int_equal(errno, EAGAIN);
  close(fds[0]);
  close(fds[1]);
  assert_int_equal(uv_socketpair(SOCK_STREAM, 0, fds, 0, UV_NONBLOCK_PIPE), 0);
  assert_int_equal(nonblocking(fds[0]), 0);
  assert_int_equal(nonblocking(fds[1]), 1);
  close(fds[0]);
  close(fds[1]);
  assert_int_equal(uv_socketpair(SOCK_DGRAM, 0, fds, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE), 0);
  assert_int_equal(nonblocking(fds[0]) + nonblocking(fds[1]), 2);
  assert_int_equal(cloexec(fds[0]) + cloexec(fds[1]), 2);
  assert_int_equal(send(fds[1], "dgram", 5, 0), 5);
  assert_int_equal(recv(fds[0], buf, sizeof buf, 0), 5);
  close(fds[0]);
  close(fds[1]);
}

/* libuv: socketpair(2)'s own error for a type AF_UNIX does not have */
static void test_socketpair_bad_type(void** state) {
  uv_os_sock_t fds[2] = {-1, -1};
  int sv[2];
  int expected;
  (void)state;
  expected = socketpair(AF_UNIX, 47, 0, sv) == 0 ? 0 : -errno;
  if (expected == 0) {
    close(sv[0]);
    close(sv[1]);
    skip();
  }
  assert_int_equal(uv_socketpair(47, 0, fds, 0, 0), expected);
  assert_true(expected < 0);
  assert_int_equal(fds[0], -1);
}

/* upstream: the socketpair through uv_poll -- a nonblocking end watched by
 * the loop */
static int sp_events;
static void sp_poll_cb(uv_poll_t* p, int status, int events) {
  char buf[8];
  uv_os_fd_t fd;
  assert_int_equal(status, 0);
  assert_true(events & UV_READABLE);
  assert_int_equal(uv_fileno((uv_handle_t*)p, &fd), 0);
  assert_int_equal(read(fd, buf, sizeof buf), 4);
  sp_events++;
  uv_close((uv_handle_t*)p, NULL);
}

static void test_socketpair_poll(void** state) {
  uv_os_sock_t fds[2];
  uv_poll_t p;
  (void)state;
  setup_loop();
  sp_events = 0;
  assert_int_equal(uv_socketpair(SOCK_STREAM, 0, fds, UV_NONBLOCK_PIPE, UV_NONBLOCK_PIPE), 0);
  assert_int_equal(uv_poll_init_socket(&loop, &p, fds[0]), 0);
  assert_int_equal(uv_poll_start(&p, UV_READABLE, sp_poll_cb), 0);
  assert_int_equal(write(fds[1], "ping", 4), 4);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(sp_events, 1);
  close(fds[0]);
  close(fds[1]);
  finish_loop();
}

/* ----------------------------------------------------------- buffer sizes */

/* upstream: test-socket-buffer-size.c -- *value 0 reads the size; a set
 * value reads back doubled (Linux) */
static void check_buffer_sizes(uv_handle_t* h) {
  int v = 0;
  assert_int_equal(uv_send_buffer_size(h, &v), 0);
  assert_true(v > 0);
  v = 0;
  assert_int_equal(uv_recv_buffer_size(h, &v), 0);
  assert_true(v > 0);
  v = 16384;
  assert_int_equal(uv_send_buffer_size(h, &v), 0);
  v = 0;
  assert_int_equal(uv_send_buffer_size(h, &v), 0);
  assert_int_equal(v, 32768);
  v = 24576;
  assert_int_equal(uv_recv_buffer_size(h, &v), 0);
  v = 0;
  assert_int_equal(uv_recv_buffer_size(h, &v), 0);
  assert_int_equal(v, 49152);
  assert_int_equal(uv_send_buffer_size(h, NULL), UV_EINVAL);
}

static void test_socket_buffer_size(void** state) {
  uv_udp_t udp;
  uv_tcp_t tcp, tcp_lazy;
  uv_timer_t timer;
  struct sockaddr_in a;
  int v = 0;
  (void)state;
  setup_loop();
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &a), 0);
  assert_int_equal(uv_udp_init(&loop, &udp), 0);
  assert_int_equal(uv_send_buffer_size((uv_handle_t*)&udp, &v), UV_EBADF); /* no socket yet */
  assert_int_equal(uv_udp_bind(&udp, (const struct sockaddr*)&a, 0), 0);
  check_buffer_sizes((uv_handle_t*)&udp);
  assert_int_equal(uv_tcp_init(&loop, &tcp_lazy), 0);
  v = 0;
  assert_int_equal(uv_recv_buffer_size((uv_handle_t*)&tcp_lazy, &v), UV_EBADF);
  assert_int_equal(uv_tcp_init_ex(&loop, &tcp, AF_INET), 0);
  check_buffer_sizes((uv_handle_t*)&tcp);
  assert_int_equal(uv_timer_init(&loop, &timer), 0);
  v = 0;
  assert_int_equal(uv_send_buffer_size((uv_handle_t*)&timer, &v), UV_ENOTSUP);
  assert_int_equal(uv_recv_buffer_size((uv_handle_t*)&timer, &v), UV_ENOTSUP);
  uv_close((uv_handle_t*)&udp, NULL);
  v = 0;
  assert_int_equal(uv_send_buffer_size((uv_handle_t*)&udp, &v), UV_EBADF); /* closing */
  uv_close((uv_handle_t*)&tcp, NULL);
  uv_close((uv_handle_t*)&tcp_lazy, NULL);
  uv_close((uv_handle_t*)&timer, NULL);
  finish_loop();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_udp_options),
      cmocka_unit_test(test_udp_options6),
      cmocka_unit_test(test_udp_no_autobind),
      cmocka_unit_test(test_udp_multicast_join),
      cmocka_unit_test(test_udp_multicast_join_source),
      cmocka_unit_test(test_udp_multicast_join6),
      cmocka_unit_test(test_udp_multicast_ttl),
      cmocka_unit_test(test_udp_multicast_interface),
      cmocka_unit_test(test_socketpair_flags),
      cmocka_unit_test(test_socketpair_bad_type),
      cmocka_unit_test(test_socketpair_poll),
      cmocka_unit_test(test_socket_buffer_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
