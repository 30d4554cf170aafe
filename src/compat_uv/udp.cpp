// uv_udp_t (libuv 1.44 src/unix/udp.c, src/uv-common.c) on the driver.
//
// Receiving. libuv waits for readability, then runs up to 32 rounds of
// alloc_cb + recvmsg(2) into the user's buffer + recv_cb, and ends a round
// that finds the socket empty with recv_cb(0, buf, NULL, 0). Veloq waits with
// a single-shot RecvMsg op into a 64 KiB buffer the op owns; when it
// completes, the datagram is copied into the buffer alloc_cb returns (the only
// copy), and the rest of libuv's round runs as libuv runs it: nonblocking
// recvmsg straight into the user's buffers until EAGAIN (then recv_cb(0, NULL))
// or 32 datagrams, then the op is armed again. So the callbacks a wake-up
// produces are libuv's, one by one. A handle made with UV_UDP_RECVMMSG gets
// libuv's recvmmsg batches: one alloc_cb buffer cut into 64 KiB chunks, each
// datagram reported with UV_UDP_MMSG_CHUNK, then one UV_UDP_MMSG_FREE call.
// A datagram the user cannot take (alloc_cb gave an empty buffer: recv_cb
// gets UV_ENOBUFS; or recv_stop raced the op) stays with its op ("held") and
// is offered again from the next pending phase or the next uv_udp_recv_start,
// as libuv's level-triggered poll offers it again: nothing is lost.
//
// Sending. Requests queue in order and go out straight from the caller's
// buffers (libuv keeps the uv_buf_t array, copied to the heap when there are
// more than four). As libuv, a send on a handle with nothing queued is tried
// at once (nonblocking sendmsg) and its send_cb runs in the next pending
// phase; what the socket does not take goes out through one SendMsg op at a
// time, and when that op completes the rest of the queue is sent the way
// libuv drains it on POLLOUT (nonblocking, until the socket is full), then
// the send_cbs run. A datagram is sent whole or not at all.
//
// Close cancels the ops; the close_cb, the UV_ECANCELED send_cbs of requests
// not yet sent and the close(2) of the fd wait for the ops' last completions
// (io.cpp's draining rule).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "compat_uv/internal.hpp"

using namespace veloq;
using namespace veloq::uvc;

namespace {

constexpr size_t kDgramMax = 64 * 1024;  // UV__UDP_DGRAM_MAXSIZE: alloc_cb's suggested size
constexpr int kRecvRound = 32;           // datagrams per wake-up, as libuv
constexpr size_t kMmsgWidth = 20;        // UV__MMSG_MAXWIDTH

enum UdpFlags : uint32_t {
  kBound = 1u << 0,
  kIpv6 = 1u << 1,        // bound to an IPv6 address: options use IPPROTO_IPV6 (as libuv)
  kConnected = 1u << 2,
  kReading = 1u << 3,
  kRecvmmsg = 1u << 4,    // uv_udp_init_ex(UV_UDP_RECVMMSG)
  kProcessing = 1u << 5,  // send_cbs running (libuv's UV_HANDLE_UDP_PROCESSING)
  kHeld = 1u << 6,        // recv_op completed; its datagram waits for the user
  kWideName = 1u << 7,    // not an inet socket (uv_udp_open): peer names up to sockaddr_storage
  kDelivering = 1u << 8,  // recv callbacks running for a finished op
};

struct UdpState {  // fits UV_UDP_PRIVATE_FIELDS (104 bytes)
  uint32_t flags;
  int fd;
  uv_alloc_cb alloc_cb;
  uv_udp_recv_cb recv_cb;
  Queue write_queue;      // SendState: not yet sent; the head may be in flight
  Queue write_completed;  // SendState: sent or failed, send_cb not yet run
  PendingWork pending;    // send_cbs of inline sends, held datagrams
  Op* recv_op;            // the RecvMsg op in flight, or the completed one (kHeld)
  Op* send_op;            // the SendMsg op in flight (for the head of write_queue)
};
static_assert(sizeof(UdpState) <= sizeof(((uv_udp_t*)nullptr)->veloq_udp));

struct SendState {  // fits UV_UDP_SEND_PRIVATE_FIELDS (240 bytes)
  Queue queue;
  sockaddr_storage addr;  // AF_UNSPEC: connected handle, no address
  uv_buf_t* bufs;         // small, or a heap copy when nbufs > 4 (as libuv)
  uint32_t nbufs;
  int32_t status;         // bytes sent, or a UV_E* code
  uv_buf_t small[4];
};
static_assert(sizeof(SendState) <= sizeof(((uv_udp_send_t*)nullptr)->veloq_udp_send));
// The kernel reads a uv_buf_t array as an iovec array (libuv does the same).
static_assert(sizeof(uv_buf_t) == sizeof(iovec) && offsetof(uv_buf_t, base) == offsetof(iovec, iov_base) &&
              offsetof(uv_buf_t, len) == offsetof(iovec, iov_len));

UdpState* ustate(const uv_udp_t* h) {
  return reinterpret_cast<UdpState*>(const_cast<unsigned char*>(h->veloq_udp.storage));
}
uv_udp_t* udp_of_state(UdpState* st) {
  return reinterpret_cast<uv_udp_t*>(reinterpret_cast<char*>(st) - offsetof(uv_udp_t, veloq_udp.storage));
}
SendState* send_state(uv_udp_send_t* req) { return reinterpret_cast<SendState*>(req->veloq_udp_send.storage); }
uv_udp_send_t* send_of(Queue* q) {
  return reinterpret_cast<uv_udp_send_t*>(reinterpret_cast<char*>(q) - offsetof(SendState, queue) -
                                          offsetof(uv_udp_send_t, veloq_udp_send.storage));
}
uv_handle_t* as_handle(uv_udp_t* h) { return reinterpret_cast<uv_handle_t*>(h); }
uv_udp_t* udp_of(const Op* op) { return static_cast<uv_udp_t*>(op->owner); }
bool closing(const uv_udp_t* h) { return is_closing(reinterpret_cast<const uv_handle_t*>(h)); }
bool receiving(const uv_udp_t* h) { return (ustate(h)->flags & kReading) && !closing(h); }
Driver* driver_of(uv_udp_t* h) { return loop_state(h->loop)->driver.get(); }

// uv__req_register / uv__req_unregister: active requests keep the loop alive.
void req_start(uv_loop_t* loop) { loop->active_reqs.count++; }
void req_end(uv_loop_t* loop) { loop->active_reqs.count--; }

bool pending_queued(UdpState* st) { return st->pending.queue.next != &st->pending.queue; }
void schedule(uv_udp_t* h) {
  UdpState* st = ustate(h);
  if (!pending_queued(st)) pending_add(h->loop, &st->pending);
}

size_t count_bufs(const SendState* s) {
  size_t n = 0;
  for (uint32_t i = 0; i < s->nbufs; i++) n += s->bufs[i].len;
  return n;
}

socklen_t inet_len(int family) {
  if (family == AF_INET) return sizeof(sockaddr_in);
  if (family == AF_INET6) return sizeof(sockaddr_in6);
  return 0;
}

// ---------------------------------------------------------------------------
// Sockets and binding

// libuv's uv__set_reuse on Linux: SO_REUSEADDR (SO_REUSEPORT shares a port,
// which other platforms cannot emulate, so libuv does not use it).
int set_reuse(int fd) {
  int yes = 1;
  return ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes) != 0 ? -errno : 0;
}

int set_recverr(int fd, int family) {
  int yes = 1;
  if (family == AF_INET && ::setsockopt(fd, IPPROTO_IP, IP_RECVERR, &yes, sizeof yes) != 0) return -errno;
  if (family == AF_INET6 && ::setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &yes, sizeof yes) != 0) return -errno;
  return 0;
}

// libuv's uv__udp_bind.
int do_bind(uv_udp_t* h, const sockaddr* addr, socklen_t len, unsigned flags) {
  if (flags & ~unsigned(UV_UDP_IPV6ONLY | UV_UDP_REUSEADDR | UV_UDP_LINUX_RECVERR)) return UV_EINVAL;
  if ((flags & UV_UDP_IPV6ONLY) && addr->sa_family != AF_INET6) return UV_EINVAL;
  UdpState* st = ustate(h);
  if (st->fd == -1) {
    const int fd = ::socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;
    st->fd = fd;
  }
  if (flags & UV_UDP_LINUX_RECVERR) {
    if (int err = set_recverr(st->fd, addr->sa_family); err != 0) return err;
  }
  if (flags & UV_UDP_REUSEADDR) {
    if (int err = set_reuse(st->fd); err != 0) return err;
  }
  if (flags & UV_UDP_IPV6ONLY) {
    int yes = 1;
    if (::setsockopt(st->fd, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof yes) != 0) return -errno;
  }
  if (::bind(st->fd, addr, len) != 0) return errno == EAFNOSUPPORT ? UV_EINVAL : -errno;
  if (addr->sa_family == AF_INET6) st->flags |= kIpv6;
  st->flags |= kBound;
  return 0;
}

// libuv's uv__udp_maybe_deferred_bind: a handle with no socket yet gets one
// bound to the wildcard address, port 0.
int maybe_deferred_bind(uv_udp_t* h, int domain, unsigned flags) {
  if (ustate(h)->fd != -1) return 0;
  sockaddr_storage ss{};
  if (domain == AF_INET) {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (domain == AF_INET6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_any;
  } else {
    return UV_EINVAL;  // libuv aborts ("unsupported address family")
  }
  return do_bind(h, reinterpret_cast<sockaddr*>(&ss), inet_len(domain), flags);
}

// ---------------------------------------------------------------------------
// Receiving

void on_recv(Op* op, int32_t res, uint32_t flags);

void arm_recv(uv_udp_t* h) {
  UdpState* st = ustate(h);
  if (!receiving(h) || st->recv_op != nullptr || (st->flags & kDelivering)) return;
  Op* op = handle_op(as_handle(h), OpCode::RecvMsg, &on_recv);
  op->buf = FixedBuf::allocate(kDgramMax);
  auto* msg = reinterpret_cast<msghdr*>(op->own_bytes(sizeof(msghdr)));
  auto* iov = reinterpret_cast<iovec*>(op->own_bytes(sizeof(iovec)));
  const socklen_t name_len = (st->flags & kWideName) ? sizeof(sockaddr_storage) : sizeof(sockaddr_in6);
  std::byte* name = op->own_bytes(name_len);
  std::memset(msg, 0, sizeof *msg);
  std::memset(name, 0, name_len);
  iov->iov_base = op->buf.data();
  iov->iov_len = kDgramMax;
  msg->msg_name = name;
  msg->msg_namelen = name_len;
  msg->msg_iov = iov;
  msg->msg_iovlen = 1;
  op->args.fd = st->fd;
  op->args.addr = msg;
  st->recv_op = op;
  driver_of(h)->prepare(op);
}

uv_buf_t user_buffer(uv_udp_t* h) {
  uv_buf_t buf = uv_buf_init(nullptr, 0);
  ustate(h)->alloc_cb(as_handle(h), kDgramMax, &buf);
  return buf;
}

// libuv's uv__udp_recvmmsg: datagrams into 64 KiB chunks of `buf` (at most
// 20), each reported with UV_UDP_MMSG_CHUNK, then one UV_UDP_MMSG_FREE call.
// `first` (may be null) is a datagram already received by the op: chunk 0.
// Returns the datagrams delivered, or -1 when the socket had none (reported
// as libuv does: recv_cb(0 or the error, buf, NULL, 0)).
ssize_t recv_mmsg(uv_udp_t* h, uv_buf_t* buf, Op* first, int32_t first_len) {
  UdpState* st = ustate(h);
  sockaddr_in6 peers[kMmsgWidth];
  iovec iov[kMmsgWidth];
  mmsghdr msgs[kMmsgWidth];
  const size_t chunks = std::min(buf->len / kDgramMax, kMmsgWidth);
  std::memset(msgs, 0, sizeof msgs);
  std::memset(peers, 0, sizeof peers);
  for (size_t k = 0; k < chunks; k++) {
    iov[k].iov_base = buf->base + k * kDgramMax;
    iov[k].iov_len = kDgramMax;
    msgs[k].msg_hdr.msg_iov = &iov[k];
    msgs[k].msg_hdr.msg_iovlen = 1;
    msgs[k].msg_hdr.msg_name = &peers[k];
    msgs[k].msg_hdr.msg_namelen = sizeof peers[k];
  }
  size_t got = 0;
  if (first != nullptr) {
    const auto* m = static_cast<const msghdr*>(first->args.addr);
    const size_t n = std::min<size_t>(size_t(first_len), kDgramMax);
    std::memcpy(buf->base, first->buf.data(), n);
    std::memcpy(&peers[0], m->msg_name, std::min<size_t>(m->msg_namelen, sizeof peers[0]));
    msgs[0].msg_len = unsigned(n);
    msgs[0].msg_hdr.msg_flags = m->msg_flags;
    got = 1;
  }
  if (chunks > got) {
    int r;
    do r = ::recvmmsg(st->fd, msgs + got, unsigned(chunks - got), MSG_DONTWAIT, nullptr);
    while (r < 0 && errno == EINTR);
    if (r > 0) {
      got += size_t(r);
    } else if (got == 0) {
      const int err = r < 0 ? errno : EAGAIN;
      st->recv_cb(h, (err == EAGAIN || err == EWOULDBLOCK) ? 0 : -err, buf, nullptr, 0);
      return -1;
    }
  }
  for (size_t k = 0; k < got && receiving(h); k++) {
    unsigned flags = UV_UDP_MMSG_CHUNK;
    if (msgs[k].msg_hdr.msg_flags & MSG_TRUNC) flags |= UV_UDP_PARTIAL;
    uv_buf_t chunk = uv_buf_init(static_cast<char*>(iov[k].iov_base), unsigned(iov[k].iov_len));
    st->recv_cb(h, ssize_t(msgs[k].msg_len), &chunk, reinterpret_cast<const sockaddr*>(&peers[k]), flags);
  }
  // One last callback so the buffer can be freed: libuv makes it also when
  // a chunk's callback closed the handle, not after recv_stop (which clears
  // its recv_cb). Chunks after a stop or close are not reported.
  if (st->recv_cb != nullptr && ((st->flags & kReading) || closing(h))) {
    st->recv_cb(h, 0, buf, nullptr, UV_UDP_MMSG_FREE);
  }
  return ssize_t(got);
}

// The rest of libuv's read round (uv__udp_recvmsg's loop), straight into the
// user's buffers, after `count` datagrams of the round's budget are left.
void recv_round(uv_udp_t* h, int count) {
  UdpState* st = ustate(h);
  while (count > 0 && receiving(h)) {
    uv_buf_t buf = user_buffer(h);
    if (buf.base == nullptr || buf.len == 0) {
      st->recv_cb(h, UV_ENOBUFS, &buf, nullptr, 0);
      return;
    }
    if (!receiving(h)) return;  // stopped or closed inside alloc_cb
    if ((st->flags & kRecvmmsg) && buf.len >= kDgramMax) {
      const ssize_t n = recv_mmsg(h, &buf, nullptr, 0);
      if (n < 0) return;
      count -= int(n);
      continue;
    }
    sockaddr_storage peer;
    std::memset(&peer, 0, sizeof peer);
    msghdr m{};
    m.msg_name = &peer;
    m.msg_namelen = sizeof peer;
    m.msg_iov = reinterpret_cast<iovec*>(&buf);
    m.msg_iovlen = 1;
    ssize_t n;
    do n = ::recvmsg(st->fd, &m, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
      const int err = errno;
      st->recv_cb(h, (err == EAGAIN || err == EWOULDBLOCK) ? 0 : -err, &buf, nullptr, 0);
      return;
    }
    st->recv_cb(h, n, &buf, reinterpret_cast<const sockaddr*>(&peer), (m.msg_flags & MSG_TRUNC) ? UV_UDP_PARTIAL : 0);
    count--;
  }
}

// Deliver what the completed recv op brought (a datagram or an error), then
// the rest of the round. False if the user could not take it: it stays held.
bool deliver(uv_udp_t* h, Op* op, int32_t res) {
  UdpState* st = ustate(h);
  uv_buf_t buf = user_buffer(h);
  if (buf.base == nullptr || buf.len == 0) {
    st->recv_cb(h, UV_ENOBUFS, &buf, nullptr, 0);
    return false;
  }
  if (!receiving(h)) return false;  // stopped or closed inside alloc_cb
  int count = kRecvRound;
  if (res < 0) {
    st->recv_cb(h, res, &buf, nullptr, 0);
    return true;  // libuv ends the round on an error
  }
  if ((st->flags & kRecvmmsg) && buf.len >= kDgramMax) {
    count -= int(recv_mmsg(h, &buf, op, res));
  } else {
    const auto* m = static_cast<const msghdr*>(op->args.addr);
    const size_t n = std::min<size_t>(size_t(res), buf.len);
    std::memcpy(buf.base, op->buf.data(), n);
    const unsigned flags = (n < size_t(res) || (m->msg_flags & MSG_TRUNC)) ? UV_UDP_PARTIAL : 0;
    st->recv_cb(h, ssize_t(n), &buf, static_cast<const sockaddr*>(m->msg_name), flags);
    count--;
  }
  recv_round(h, count);
  return true;
}

void release_recv_op(uv_udp_t* h) {
  UdpState* st = ustate(h);
  Op* op = st->recv_op;
  st->recv_op = nullptr;
  st->flags &= ~kHeld;
  handle_op_done(op, 0);
}

// A finished recv op (no longer st->recv_op): its result to the user, or
// held with the op when the user cannot take it now. No new op is armed
// while the callbacks run (kDelivering), so a held op always has the slot.
void consume(uv_udp_t* h, Op* op, int32_t res) {
  UdpState* st = ustate(h);
  bool taken = false;
  if (receiving(h)) {
    st->flags |= kDelivering;
    taken = deliver(h, op, res);
    st->flags &= ~kDelivering;
  }
  if (taken || closing(h)) {
    handle_op_done(op, 0);
    arm_recv(h);
    return;
  }
  st->recv_op = op;
  st->flags |= kHeld;
  // alloc_cb gave nothing: offer it again next turn, as libuv's
  // level-triggered poll does. Not reading: at the next recv_start.
  if (receiving(h)) schedule(h);
}

void on_recv(Op* op, int32_t res, uint32_t flags) {
  uv_udp_t* h = udp_of(op);
  UdpState* st = ustate(h);
  if (st->recv_op == op) st->recv_op = nullptr;
  if (closing(h) || res == -ECANCELED || res == -EAGAIN || res == -EINTR) {
    handle_op_done(op, flags);
    arm_recv(h);
    return;
  }
  consume(h, op, res);  // single-shot: this was the op's last completion
}

void deliver_held(uv_udp_t* h) {
  UdpState* st = ustate(h);
  if (!(st->flags & kHeld) || !receiving(h)) return;
  Op* op = st->recv_op;
  st->recv_op = nullptr;
  st->flags &= ~kHeld;
  consume(h, op, op->result);
}

// ---------------------------------------------------------------------------
// Sending

void fill_msg(msghdr* m, SendState* s) {
  std::memset(m, 0, sizeof *m);
  if (s->addr.ss_family != AF_UNSPEC) {
    m->msg_name = &s->addr;
    m->msg_namelen = s->addr.ss_family == AF_UNIX ? sizeof(sockaddr_un) : inet_len(s->addr.ss_family);
  }
  m->msg_iov = reinterpret_cast<iovec*>(s->bufs);
  m->msg_iovlen = s->nbufs;
}

void complete_head(uv_udp_t* h, int32_t status) {
  UdpState* st = ustate(h);
  SendState* s = send_state(send_of(st->write_queue.next));
  s->queue.remove();
  s->status = status;
  st->write_completed.insert_tail(&s->queue);
}

void on_send(Op* op, int32_t res, uint32_t flags);

void start_send_op(uv_udp_t* h) {
  UdpState* st = ustate(h);
  if (st->send_op != nullptr || st->write_queue.empty()) return;
  SendState* s = send_state(send_of(st->write_queue.next));
  Op* op = handle_op(as_handle(h), OpCode::SendMsg, &on_send);
  // The msghdr is the op's; the address and the iovecs it points at are the
  // request's, which lives until its send_cb, after this op's completion.
  auto* m = reinterpret_cast<msghdr*>(op->own_bytes(sizeof(msghdr)));
  fill_msg(m, s);
  op->args.fd = st->fd;
  op->args.addr = m;
  st->send_op = op;
  driver_of(h)->prepare(op);
}

bool retry_later(int err) { return err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS || err == EINTR; }

// libuv's uv__udp_sendmsg: send queued requests now, until the socket is full;
// then the head goes out through an op.
void flush_sends(uv_udp_t* h) {
  UdpState* st = ustate(h);
  while (!st->write_queue.empty() && st->send_op == nullptr) {
    SendState* s = send_state(send_of(st->write_queue.next));
    msghdr m;
    fill_msg(&m, s);
    ssize_t n;
    do n = ::sendmsg(st->fd, &m, MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0 && retry_later(errno)) {
      start_send_op(h);
      return;
    }
    complete_head(h, n < 0 ? -errno : int32_t(n));
  }
}

// libuv's uv__udp_run_completed.
void run_completed(uv_udp_t* h) {
  UdpState* st = ustate(h);
  st->flags |= kProcessing;
  while (!st->write_completed.empty()) {
    uv_udp_send_t* req = send_of(st->write_completed.next);
    SendState* s = send_state(req);
    s->queue.remove();
    req_end(h->loop);
    h->send_queue_size -= count_bufs(s);
    h->send_queue_count--;
    if (s->bufs != s->small) std::free(s->bufs);
    s->bufs = nullptr;
    if (req->cb != nullptr) req->cb(req, s->status >= 0 ? 0 : s->status);
  }
  if (st->write_queue.empty() && !(st->flags & kReading)) handle_stop(as_handle(h));
  st->flags &= ~kProcessing;
}

void on_send(Op* op, int32_t res, uint32_t flags) {
  uv_udp_t* h = udp_of(op);
  UdpState* st = ustate(h);
  if (st->send_op == op) st->send_op = nullptr;
  handle_op_done(op, flags);
  if (closing(h) || st->write_queue.empty()) return;  // udp_destroy reports what is left
  if (res >= 0 || !retry_later(-res)) complete_head(h, res);
  flush_sends(h);
  run_completed(h);
}

void run_pending(uv_loop_t*, PendingWork* w) {
  auto* st = reinterpret_cast<UdpState*>(reinterpret_cast<char*>(w) - offsetof(UdpState, pending));
  uv_udp_t* h = udp_of_state(st);
  if (closing(h)) return;
  if (st->send_op == nullptr) flush_sends(h);
  run_completed(h);
  if (!closing(h)) deliver_held(h);
}

// libuv's uv__udp_check_before_send: the address length, or a UV_E* code.
int check_before_send(uv_udp_t* h, const sockaddr* addr) {
  if (h == nullptr || h->type != UV_UDP) return UV_EINVAL;
  const bool connected = ustate(h)->flags & kConnected;
  if (addr != nullptr && connected) return UV_EISCONN;
  if (addr == nullptr && !connected) return UV_EDESTADDRREQ;
  if (addr == nullptr) return 0;
  if (addr->sa_family == AF_UNIX) return sizeof(sockaddr_un);
  const socklen_t len = inet_len(addr->sa_family);
  return len == 0 ? UV_EINVAL : int(len);
}

int getname(const uv_udp_t* h, bool peer, sockaddr* name, int* namelen) {
  uv_os_fd_t fd;
  if (int r = uv_fileno(reinterpret_cast<const uv_handle_t*>(h), &fd); r != 0) return r;
  if (name == nullptr || namelen == nullptr || *namelen < 0) return UV_EINVAL;
  socklen_t len = socklen_t(*namelen);
  const int r = peer ? ::getpeername(fd, name, &len) : ::getsockname(fd, name, &len);
  if (r != 0) return -errno;
  *namelen = int(len);
  return 0;
}

// libuv's uv__setsockopt: IPv4 or IPv6 level by how the handle was bound.
int set_ip_option(uv_udp_t* h, int option4, int option6, const void* val, socklen_t size) {
  const int fd = ustate(h)->fd;
  const int r = (ustate(h)->flags & kIpv6) ? ::setsockopt(fd, IPPROTO_IPV6, option6, val, size)
                                          : ::setsockopt(fd, IPPROTO_IP, option4, val, size);
  return r != 0 ? -errno : 0;
}

// libuv's uv__setsockopt_maybe_char (an int on Linux), range 0..255.
int set_ip_option_byte(uv_udp_t* h, int option4, int option6, int val) {
  if (val < 0 || val > 255) return UV_EINVAL;
  return set_ip_option(h, option4, option6, &val, sizeof val);
}

int set_membership4(uv_udp_t* h, const sockaddr_in* group, const char* iface, uv_membership membership) {
  ip_mreq mreq{};
  if (iface != nullptr) {
    if (int err = uv_inet_pton(AF_INET, iface, &mreq.imr_interface.s_addr); err != 0) return err;
  } else {
    mreq.imr_interface.s_addr = htonl(INADDR_ANY);
  }
  mreq.imr_multiaddr.s_addr = group->sin_addr.s_addr;
  int optname;
  switch (membership) {
    case UV_JOIN_GROUP: optname = IP_ADD_MEMBERSHIP; break;
    case UV_LEAVE_GROUP: optname = IP_DROP_MEMBERSHIP; break;
    default: return UV_EINVAL;
  }
  if (::setsockopt(ustate(h)->fd, IPPROTO_IP, optname, &mreq, sizeof mreq) != 0) return -errno;
  return 0;
}

int set_membership6(uv_udp_t* h, const sockaddr_in6* group, const char* iface, uv_membership membership) {
  ipv6_mreq mreq{};
  if (iface != nullptr) {
    sockaddr_in6 a;
    if (uv_ip6_addr(iface, 0, &a) != 0) return UV_EINVAL;
    mreq.ipv6mr_interface = a.sin6_scope_id;
  }
  mreq.ipv6mr_multiaddr = group->sin6_addr;
  int optname;
  switch (membership) {
    case UV_JOIN_GROUP: optname = IPV6_ADD_MEMBERSHIP; break;
    case UV_LEAVE_GROUP: optname = IPV6_DROP_MEMBERSHIP; break;
    default: return UV_EINVAL;
  }
  if (::setsockopt(ustate(h)->fd, IPPROTO_IPV6, optname, &mreq, sizeof mreq) != 0) return -errno;
  return 0;
}

int set_source_membership4(uv_udp_t* h, const sockaddr_in* group, const char* iface, const sockaddr_in* source,
                           uv_membership membership) {
  if (int err = maybe_deferred_bind(h, AF_INET, UV_UDP_REUSEADDR); err != 0) return err;
  ip_mreq_source mreq{};
  if (iface != nullptr) {
    if (int err = uv_inet_pton(AF_INET, iface, &mreq.imr_interface.s_addr); err != 0) return err;
  } else {
    mreq.imr_interface.s_addr = htonl(INADDR_ANY);
  }
  mreq.imr_multiaddr.s_addr = group->sin_addr.s_addr;
  mreq.imr_sourceaddr.s_addr = source->sin_addr.s_addr;
  int optname;
  if (membership == UV_JOIN_GROUP) optname = IP_ADD_SOURCE_MEMBERSHIP;
  else if (membership == UV_LEAVE_GROUP) optname = IP_DROP_SOURCE_MEMBERSHIP;
  else return UV_EINVAL;
  if (::setsockopt(ustate(h)->fd, IPPROTO_IP, optname, &mreq, sizeof mreq) != 0) return -errno;
  return 0;
}

int set_source_membership6(uv_udp_t* h, const sockaddr_in6* group, const char* iface, const sockaddr_in6* source,
                           uv_membership membership) {
  if (int err = maybe_deferred_bind(h, AF_INET6, UV_UDP_REUSEADDR); err != 0) return err;
  group_source_req mreq{};
  if (iface != nullptr) {
    sockaddr_in6 a;
    if (int err = uv_ip6_addr(iface, 0, &a); err != 0) return err;
    mreq.gsr_interface = a.sin6_scope_id;
  }
  std::memcpy(&mreq.gsr_group, group, sizeof *group);
  std::memcpy(&mreq.gsr_source, source, sizeof *source);
  int optname;
  if (membership == UV_JOIN_GROUP) optname = MCAST_JOIN_SOURCE_GROUP;
  else if (membership == UV_LEAVE_GROUP) optname = MCAST_LEAVE_SOURCE_GROUP;
  else return UV_EINVAL;
  if (::setsockopt(ustate(h)->fd, IPPROTO_IPV6, optname, &mreq, sizeof mreq) != 0) return -errno;
  return 0;
}

}  // namespace

namespace veloq::uvc {

void udp_close(uv_udp_t* h) {
  UdpState* st = ustate(h);
  st->flags &= ~kReading;
  handle_stop(as_handle(h));
  Driver* d = driver_of(h);
  if (st->flags & kHeld) {
    release_recv_op(h);
  } else if (st->recv_op != nullptr && !st->recv_op->cancel_requested) {
    d->cancel(st->recv_op);
  }
  if (st->send_op != nullptr && !st->send_op->cancel_requested) d->cancel(st->send_op);
}

// libuv's uv__udp_finish_close, once the handle's ops are done: requests not
// yet sent end with UV_ECANCELED (after those already done, with their
// status), the fd closes, then close_cb may run.
void udp_destroy(uv_udp_t* h) {
  UdpState* st = ustate(h);
  if (pending_queued(st)) st->pending.queue.remove();
  st->pending.queue.init();
  while (!st->write_queue.empty()) complete_head(h, UV_ECANCELED);
  run_completed(h);
  if (st->fd > STDERR_FILENO) ::close(st->fd);
  st->fd = -1;
  st->recv_cb = nullptr;
  st->alloc_cb = nullptr;
}

int udp_fileno(const uv_udp_t* h) { return ustate(h)->fd; }

}  // namespace veloq::uvc

extern "C" {

int uv_udp_init_ex(uv_loop_t* loop, uv_udp_t* handle, unsigned int flags) {
  if (loop == nullptr || handle == nullptr) return UV_EINVAL;
  const int domain = int(flags & 0xFF);
  if (domain != AF_INET && domain != AF_INET6 && domain != AF_UNSPEC) return UV_EINVAL;
  if ((flags & ~0xFFu) & ~unsigned(UV_UDP_RECVMMSG)) return UV_EINVAL;
  int fd = -1;
  if (domain != AF_UNSPEC) {
    fd = ::socket(domain, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -errno;  // as libuv: the handle is left uninitialised
  }
  handle_init(loop, as_handle(handle), UV_UDP);
  handle->send_queue_size = 0;
  handle->send_queue_count = 0;
  UdpState* st = ustate(handle);
  std::memset(st, 0, sizeof *st);
  st->fd = fd;
  st->write_queue.init();
  st->write_completed.init();
  st->pending.queue.init();
  st->pending.run = &run_pending;
  if (flags & UV_UDP_RECVMMSG) st->flags |= kRecvmmsg;
  return 0;
}

int uv_udp_init(uv_loop_t* loop, uv_udp_t* handle) { return uv_udp_init_ex(loop, handle, AF_UNSPEC); }

size_t uv_udp_get_send_queue_size(const uv_udp_t* handle) { return handle->send_queue_size; }
size_t uv_udp_get_send_queue_count(const uv_udp_t* handle) { return handle->send_queue_count; }

// Linux libuv: 1 for a handle made with UV_UDP_RECVMMSG (recvmmsg exists).
int uv_udp_using_recvmmsg(const uv_udp_t* handle) {
  return handle != nullptr && (ustate(handle)->flags & kRecvmmsg) ? 1 : 0;
}

int uv_udp_open(uv_udp_t* handle, uv_os_sock_t sock) {
  if (handle == nullptr) return UV_EINVAL;
  UdpState* st = ustate(handle);
  if (st->fd != -1) return UV_EBUSY;
  if (loop_state(handle->loop)->fd_watchers.count(sock) != 0) return UV_EEXIST;
  if (int err = set_nonblock(sock); err != 0) return err;
  if (int err = set_reuse(sock); err != 0) return err;
  int domain = 0;
  socklen_t len = sizeof domain;
  if (::getsockopt(sock, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain != AF_INET && domain != AF_INET6) {
    st->flags |= kWideName;
  }
  st->fd = sock;
  // libuv's uv__udp_is_connected: a peer name means connected.
  sockaddr_storage peer;
  socklen_t plen = sizeof peer;
  if (::getpeername(sock, reinterpret_cast<sockaddr*>(&peer), &plen) == 0 && plen > 0) st->flags |= kConnected;
  return 0;
}

int uv_udp_bind(uv_udp_t* handle, const struct sockaddr* addr, unsigned int flags) {
  if (handle == nullptr || handle->type != UV_UDP || addr == nullptr) return UV_EINVAL;
  const socklen_t len = inet_len(addr->sa_family);
  if (len == 0) return UV_EINVAL;
  return do_bind(handle, addr, len, flags);
}

int uv_udp_connect(uv_udp_t* handle, const struct sockaddr* addr) {
  if (handle == nullptr || handle->type != UV_UDP) return UV_EINVAL;
  UdpState* st = ustate(handle);
  if (addr == nullptr) {  // disconnect (libuv's uv__udp_disconnect)
    if (!(st->flags & kConnected)) return UV_ENOTCONN;
    sockaddr unspec{};
    unspec.sa_family = AF_UNSPEC;
    int r;
    do r = ::connect(st->fd, &unspec, sizeof unspec);
    while (r != 0 && errno == EINTR);
    if (r != 0 && errno != EAFNOSUPPORT) return -errno;
    st->flags &= ~kConnected;
    return 0;
  }
  const socklen_t len = inet_len(addr->sa_family);
  if (len == 0) return UV_EINVAL;
  if (st->flags & kConnected) return UV_EISCONN;
  if (int err = maybe_deferred_bind(handle, addr->sa_family, 0); err != 0) return err;
  int r;
  do r = ::connect(st->fd, addr, len);
  while (r != 0 && errno == EINTR);
  if (r != 0) return -errno;
  st->flags |= kConnected;
  return 0;
}

int uv_udp_getsockname(const uv_udp_t* handle, struct sockaddr* name, int* namelen) {
  return getname(handle, false, name, namelen);
}

int uv_udp_getpeername(const uv_udp_t* handle, struct sockaddr* name, int* namelen) {
  return getname(handle, true, name, namelen);
}

int uv_udp_send(uv_udp_send_t* req, uv_udp_t* handle, const uv_buf_t bufs[], unsigned int nbufs,
                const struct sockaddr* addr, uv_udp_send_cb send_cb) {
  const int addrlen = check_before_send(handle, addr);
  if (addrlen < 0) return addrlen;
  if (req == nullptr || nbufs == 0 || bufs == nullptr) return UV_EINVAL;  // libuv asserts
  if (closing(handle)) return UV_EBADF;
  if (addr != nullptr) {
    if (int err = maybe_deferred_bind(handle, addr->sa_family, 0); err != 0) return err;
  }
  UdpState* st = ustate(handle);
  // send_queue_count > 0 with an empty write_queue means finished requests
  // await their send_cb: do not jump ahead of them (as libuv).
  const bool empty_queue = handle->send_queue_count == 0;
  SendState* s = send_state(req);
  s->bufs = s->small;
  if (nbufs > 4) {
    s->bufs = static_cast<uv_buf_t*>(std::malloc(nbufs * sizeof(uv_buf_t)));
    if (s->bufs == nullptr) return UV_ENOMEM;
  }
  std::memcpy(s->bufs, bufs, nbufs * sizeof(uv_buf_t));
  s->nbufs = nbufs;
  s->status = 0;
  std::memset(&s->addr, 0, sizeof s->addr);
  if (addr == nullptr) s->addr.ss_family = AF_UNSPEC;
  else std::memcpy(&s->addr, addr, size_t(addrlen));
  req->type = UV_UDP_SEND;
  req->handle = handle;
  req->cb = send_cb;
  req_start(handle->loop);
  handle->send_queue_size += count_bufs(s);
  handle->send_queue_count++;
  st->write_queue.insert_tail(&s->queue);
  handle_start(as_handle(handle));
  if (empty_queue && !(st->flags & kProcessing)) {
    // As libuv: try now; send_cb runs in the next pending phase.
    flush_sends(handle);
    if (!st->write_completed.empty()) schedule(handle);
  } else if (st->send_op == nullptr && !pending_queued(st)) {
    start_send_op(handle);  // as libuv's POLLOUT: from the next poll phase
  }
  return 0;
}

int uv_udp_try_send(uv_udp_t* handle, const uv_buf_t bufs[], unsigned int nbufs, const struct sockaddr* addr) {
  const int addrlen = check_before_send(handle, addr);
  if (addrlen < 0) return addrlen;
  if (nbufs == 0 || bufs == nullptr) return UV_EINVAL;  // libuv asserts
  if (handle->send_queue_count != 0) return UV_EAGAIN;  // already sending
  if (closing(handle)) return UV_EBADF;
  if (addr != nullptr) {
    if (int err = maybe_deferred_bind(handle, addr->sa_family, 0); err != 0) return err;
  }
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(addr);
  m.msg_namelen = socklen_t(addrlen);
  m.msg_iov = reinterpret_cast<iovec*>(const_cast<uv_buf_t*>(bufs));
  m.msg_iovlen = nbufs;
  ssize_t n;
  do n = ::sendmsg(ustate(handle)->fd, &m, MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) ? UV_EAGAIN : -errno;
  return int(n);
}

int uv_udp_recv_start(uv_udp_t* handle, uv_alloc_cb alloc_cb, uv_udp_recv_cb recv_cb) {
  if (handle == nullptr || handle->type != UV_UDP || alloc_cb == nullptr || recv_cb == nullptr) return UV_EINVAL;
  if (closing(handle)) return UV_EINVAL;
  UdpState* st = ustate(handle);
  if (st->flags & kReading) return UV_EALREADY;
  if (int err = maybe_deferred_bind(handle, AF_INET, 0); err != 0) return err;
  st->alloc_cb = alloc_cb;
  st->recv_cb = recv_cb;
  st->flags |= kReading;
  handle_start(as_handle(handle));
  if (st->flags & kHeld) {
    schedule(handle);  // the held datagram first, from the next pending phase
  } else {
    arm_recv(handle);
  }
  return 0;
}

int uv_udp_recv_stop(uv_udp_t* handle) {
  if (handle == nullptr || handle->type != UV_UDP) return UV_EINVAL;
  UdpState* st = ustate(handle);
  st->flags &= ~kReading;
  if (st->write_queue.empty()) handle_stop(as_handle(handle));
  st->alloc_cb = nullptr;
  st->recv_cb = nullptr;
  // A datagram the cancelled op still brings is held for the next recv_start.
  if (!(st->flags & kHeld) && st->recv_op != nullptr && !st->recv_op->cancel_requested) {
    driver_of(handle)->cancel(st->recv_op);
  }
  return 0;
}

int uv_udp_set_membership(uv_udp_t* handle, const char* multicast_addr, const char* interface_addr,
                          uv_membership membership) {
  if (handle == nullptr || multicast_addr == nullptr) return UV_EINVAL;
  sockaddr_in a4;
  sockaddr_in6 a6;
  if (uv_ip4_addr(multicast_addr, 0, &a4) == 0) {
    if (int err = maybe_deferred_bind(handle, AF_INET, UV_UDP_REUSEADDR); err != 0) return err;
    return set_membership4(handle, &a4, interface_addr, membership);
  }
  if (uv_ip6_addr(multicast_addr, 0, &a6) == 0) {
    if (int err = maybe_deferred_bind(handle, AF_INET6, UV_UDP_REUSEADDR); err != 0) return err;
    return set_membership6(handle, &a6, interface_addr, membership);
  }
  return UV_EINVAL;
}

int uv_udp_set_source_membership(uv_udp_t* handle, const char* multicast_addr, const char* interface_addr,
                                 const char* source_addr, uv_membership membership) {
  if (handle == nullptr || multicast_addr == nullptr || source_addr == nullptr) return UV_EINVAL;
  sockaddr_in g4, s4;
  if (uv_ip4_addr(multicast_addr, 0, &g4) != 0) {
    sockaddr_in6 g6, s6;
    if (int err = uv_ip6_addr(multicast_addr, 0, &g6); err != 0) return err;
    if (int err = uv_ip6_addr(source_addr, 0, &s6); err != 0) return err;
    return set_source_membership6(handle, &g6, interface_addr, &s6, membership);
  }
  if (int err = uv_ip4_addr(source_addr, 0, &s4); err != 0) return err;
  return set_source_membership4(handle, &g4, interface_addr, &s4, membership);
}

int uv_udp_set_broadcast(uv_udp_t* handle, int on) {
  if (::setsockopt(ustate(handle)->fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on) != 0) return -errno;
  return 0;
}

int uv_udp_set_ttl(uv_udp_t* handle, int ttl) {
  if (ttl < 1 || ttl > 255) return UV_EINVAL;
  return set_ip_option_byte(handle, IP_TTL, IPV6_UNICAST_HOPS, ttl);
}

int uv_udp_set_multicast_ttl(uv_udp_t* handle, int ttl) {
  return set_ip_option_byte(handle, IP_MULTICAST_TTL, IPV6_MULTICAST_HOPS, ttl);
}

int uv_udp_set_multicast_loop(uv_udp_t* handle, int on) {
  return set_ip_option_byte(handle, IP_MULTICAST_LOOP, IPV6_MULTICAST_LOOP, on);
}

int uv_udp_set_multicast_interface(uv_udp_t* handle, const char* interface_addr) {
  sockaddr_storage ss{};
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (interface_addr == nullptr) {
    if (ustate(handle)->flags & kIpv6) {
      ss.ss_family = AF_INET6;
    } else {
      ss.ss_family = AF_INET;
      a4->sin_addr.s_addr = htonl(INADDR_ANY);
    }
  } else if (uv_ip4_addr(interface_addr, 0, a4) != 0 && uv_ip6_addr(interface_addr, 0, a6) != 0) {
    return UV_EINVAL;
  }
  const int fd = ustate(handle)->fd;
  if (ss.ss_family == AF_INET) {
    if (::setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a4->sin_addr, sizeof a4->sin_addr) != 0) return -errno;
  } else {
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &a6->sin6_scope_id, sizeof a6->sin6_scope_id) != 0) {
      return -errno;
    }
  }
  return 0;
}

}  // extern "C"
