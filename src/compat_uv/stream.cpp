// Streams (libuv 1.44 src/unix/stream.c) on the driver: reads, writes,
// listen/accept, shutdown, close, for TCP, pipes and TTYs alike. TCP
// specifics are in tcp.cpp, pipe ones in pipe.cpp, TTY ones in tty.cpp.
//
// Reads. libuv waits for readability, then calls alloc_cb and read(2) into
// the user's buffer. Veloq receives first and copies into the buffer alloc_cb
// returns (the only copy), so alloc_cb still runs only when data is there:
//  - io_uring with multishot recv + buffer rings: one loop-wide provided
//    buffer group, one multishot Recv per reading stream;
//  - otherwise (epoll, old kernels): a single-shot Recv into a 64 KiB bounce
//    buffer owned by the op, re-armed after each delivery;
//  - an fd that is not a socket (pipe(2), FIFO, tty: kNotSocket) has no
//    recv: a single-shot Read into the bounce buffer; an ipc pipe reads with
//    RecvMsg and a control buffer (the fds a peer's uv_write2 sent).
// A backend that answers EAGAIN (io_uring on a non-blocking tty) gets a
// PollAdd, then the read again; so does a blocking fd before each read.
// Data the user does not take (read stopped inside read_cb, or alloc_cb gave
// an empty buffer) is copied aside ("held") and delivered first when reading
// resumes, so nothing is lost or reordered and ring buffers go back at once.
//
// Writes go straight from the caller's memory. As libuv, a write on an idle
// stream is tried inline (nonblocking send/sendmsg) and its write_cb deferred
// to the next pending phase; whatever the socket does not take goes out
// through one Send (one buffer) or SendMsg op at a time (Writev on a
// non-socket; requests complete in order, partial writes continue where they
// stopped) and its write_cb runs in the poll phase. When such an op
// completes, the socket had room: the queued requests are then written
// inline while they go out whole, as libuv's uv__write does on POLLOUT, so
// a stream with a deep queue does not stay at one op per request. uv_write2's handle rides on the first sendmsg of its
// request as SCM_RIGHTS, always made inline (after a POLLOUT wait if need
// be), never by an op: see start_write_op. MSG_NOSIGNAL: a write to a reset socket peer
// reports UV_EPIPE instead of raising SIGPIPE (libuv uses write(2) and
// leaves SIGPIPE to the program; a pipe(2) without reader raises it, as
// there).
//
// Close cancels the stream's ops; queued and in-flight writes fail with
// UV_ECANCELED only after the last completion (io.cpp), then the fd closes
// and close_cb runs (stream_destroy, from the closing phase).
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <span>

#include "compat_uv/stream.hpp"
#include "core/driver/uring/uring_driver.hpp"
#include "veloq/uv_ext.h"

using namespace veloq;
using namespace veloq::uvc;

namespace {

constexpr size_t kReadSize = 64 * 1024;   // what libuv asks alloc_cb for
constexpr uint16_t kBufGroup = 1;         // the loop's provided-buffer group
constexpr unsigned kBufCount = 32;        // x 64 KiB = 2 MiB per loop, bounded
constexpr size_t kMaxRecvFds = 64;        // libuv's UV__CMSG_FD_COUNT
constexpr size_t kRecvControl = CMSG_SPACE(kMaxRecvFds * sizeof(int));

bool stream_type(const uv_stream_t* s) {
  return s->type == UV_TCP || s->type == UV_NAMED_PIPE || s->type == UV_TTY;
}

bool closing(uv_stream_t* s) { return is_closing(as_handle(s)); }
bool reading(uv_stream_t* s) { return (sstate(s)->flags & kReading) && !closing(s); }

WriteState* wstate(uv_write_t* req) { return reinterpret_cast<WriteState*>(req->veloq_write.storage); }
uv_write_t* write_of(Queue* q) {
  return reinterpret_cast<uv_write_t*>(reinterpret_cast<char*>(q) - offsetof(uv_write_t, veloq_write.storage) -
                                       offsetof(WriteState, queue));
}

// The loop's uring driver if multishot recv with buffer rings can be used;
// sets the buffer group up on first use.
UringDriver* ring_for_reads(uv_loop_t* loop) {
  Driver* d = loop_state(loop)->driver.get();
  if (d->backend() != Backend::Uring || !d->features().multishot_recv || !d->features().buf_ring) return nullptr;
  auto* u = static_cast<UringDriver*>(d);
  if (u->buf_group_data(kBufGroup, 0) != nullptr) return u;
  return u->setup_buf_group(kBufGroup, kBufCount, kReadSize) == 0 ? u : nullptr;
}

void cancel_op(uv_stream_t* s, Op* op) {
  if (op != nullptr && !op->cancel_requested) loop_state(s->loop)->driver->cancel(op);
}

// ---------------------------------------------------------------------------
// Reading

void on_read(Op* op, int32_t res, uint32_t flags);
void on_read_ready(Op* op, int32_t res, uint32_t flags);

// Wait until the fd is readable, then arm_read (kReadReady lets a read go
// on a blocking fd).
void arm_read_wait(uv_stream_t* s) {
  StreamState* st = sstate(s);
  Op* op = handle_op(as_handle(s), OpCode::PollAdd, &on_read_ready);
  op->args.fd = st->fd;
  op->args.mask = POLLIN;
  st->in_op = op;
  loop_state(s->loop)->driver->prepare(op);
}

void arm_read(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (!reading(s) || st->in_op != nullptr || st->held != nullptr) return;
  if ((st->flags & kNotSocket) && (st->flags & kBlockingFd) && !(st->flags & kReadReady)) {
    arm_read_wait(s);  // a Read on a blocking fd could park a kernel worker
    return;
  }
  st->flags &= ~kReadReady;
  Op* op;
  if (st->flags & kNotSocket) {
    op = handle_op(as_handle(s), OpCode::Read, &on_read);
    op->buf = FixedBuf::allocate(kReadSize);
    op->args.addr = op->buf.data();
    op->args.len = kReadSize;
    op->args.off = ~uint64_t{0};  // no position on a pipe or tty
  } else if (stream_is_ipc(s)) {
    // libuv's uv__read for ipc: recvmsg with room for 64 fds.
    op = handle_op(as_handle(s), OpCode::RecvMsg, &on_read);
    op->buf = FixedBuf::allocate(kReadSize);
    auto* msg = reinterpret_cast<msghdr*>(op->own_bytes(sizeof(msghdr)));
    auto* iov = reinterpret_cast<iovec*>(op->own_bytes(sizeof(iovec)));
    void* control = op->own_bytes(kRecvControl);
    std::memset(msg, 0, sizeof *msg);
    std::memset(control, 0, kRecvControl);
    iov->iov_base = op->buf.data();
    iov->iov_len = kReadSize;
    msg->msg_iov = iov;
    msg->msg_iovlen = 1;
    msg->msg_control = control;
    msg->msg_controllen = kRecvControl;
    op->args.addr = msg;
    op->args.flags = MSG_CMSG_CLOEXEC;
  } else {
    op = handle_op(as_handle(s), OpCode::Recv, &on_read);
    UringDriver* ring = (st->flags & kNoRingOnce) ? nullptr : ring_for_reads(s->loop);
    st->flags &= ~kNoRingOnce;
    if (ring != nullptr) {
      op->multishot = true;
      op->args.mask = kBufGroup;
    } else {
      op->buf = FixedBuf::allocate(kReadSize);
      op->args.addr = op->buf.data();
      op->args.len = kReadSize;
    }
  }
  op->args.fd = st->fd;
  st->in_op = op;
  loop_state(s->loop)->driver->prepare(op);
}

// The fds an ipc read brought (libuv's uv__stream_recv_cmsg): queued on the
// pipe for uv_accept, or closed when nobody can take them any more.
void take_fds(uv_stream_t* s, const msghdr* msg, bool keep) {
  for (const cmsghdr* c = CMSG_FIRSTHDR(msg); c != nullptr; c = CMSG_NXTHDR(const_cast<msghdr*>(msg), const_cast<cmsghdr*>(c))) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < count; i++) {
      int fd;
      std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
      if (keep) pipe_queue_fd(reinterpret_cast<uv_pipe_t*>(s), fd);
      else ::close(fd);
    }
  }
}

// uv__read's delivery loop: alloc_cb, copy, read_cb while data remains and
// the user keeps reading. Returns the bytes consumed.
// Zero-copy reads (veloq_uv_read_start_fixed): what a handed-over buffer is.
enum FixedKind : uint32_t { kFixedRing = 1, kFixedHeap = 2 };

void call_fixed(uv_stream_t* s, ssize_t n, const veloq_uv_fixed_buf_t* b) {
  reinterpret_cast<veloq_uv_fixed_read_cb>(s->read_cb)(s, n, b);
}

// Hand `fb` (a heap FixedBuf holding `len` bytes) to the application.
void hand_heap(uv_stream_t* s, FixedBuf* fb, size_t len) {
  veloq_uv_fixed_buf_t b{reinterpret_cast<char*>(fb->data()), len, fb, 0, kFixedHeap};
  call_fixed(s, ssize_t(len), &b);
}

size_t deliver(uv_stream_t* s, const std::byte* data, size_t len) {
  if (sstate(s)->flags & kFixedRead) {  // held data: handed over as a copy
    FixedBuf* fb = new FixedBuf(FixedBuf::copy_of(std::span<const std::byte>(data, len)));
    hand_heap(s, fb, len);
    return len;
  }
  size_t done = 0;
  while (done < len && reading(s)) {
    uv_buf_t b = uv_buf_init(nullptr, 0);
    s->alloc_cb(as_handle(s), kReadSize, &b);
    if (b.base == nullptr || b.len == 0) {
      s->read_cb(s, UV_ENOBUFS, &b);  // the user can't take it now: as libuv
      break;
    }
    const size_t n = std::min(b.len, len - done);
    std::memcpy(b.base, data + done, n);
    done += n;
    s->read_cb(s, ssize_t(n), &b);
  }
  return done;
}

// EOF or a read error: reading stops (libuv's uv__stream_eof / read error path).
void end_read(uv_stream_t* s, int err) {
  StreamState* st = sstate(s);
  st->flags &= ~(kReading | kHeldEof);
  st->read_err = 0;
  if (err == UV_EOF) st->flags |= kReadEof;
  else st->flags &= ~(kReadable | kWritable);  // libuv's uv__read on an error: "User should call uv_close()"
  if (!(st->flags & kServer)) handle_stop(as_handle(s));
  cancel_op(s, st->in_op);
  uv_buf_t b = uv_buf_init(nullptr, 0);
  uv_read_cb cb = s->read_cb;
  if (cb != nullptr && (st->flags & kFixedRead)) call_fixed(s, err, nullptr);
  else if (cb != nullptr) cb(s, err, &b);
}

void release_held(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (st->held == nullptr) return;
  Op* h = st->held;
  st->held = nullptr;
  st->held_off = 0;
  handle_op_done(h, 0);
}

// Keep bytes the user did not take, behind any already held.
void hold(uv_stream_t* s, const std::byte* data, size_t len) {
  StreamState* st = sstate(s);
  if (st->held == nullptr) {
    // Storage only, never handed to the driver; counted in the handle's ops
    // so it is released (handle_op_done) on close like any other.
    st->held = handle_op(as_handle(s), OpCode::Nop, nullptr);
    st->held_off = 0;
  }
  st->held->bufs.push_back(FixedBuf::copy_of(std::span<const std::byte>(data, len)));
  if (reading(s)) stream_schedule(s);  // alloc_cb gave nothing: retry next turn, as libuv's level-triggered read
}

// Held data first, then a held EOF/error; then the socket again.
void deliver_held(uv_stream_t* s) {
  StreamState* st = sstate(s);
  while (st->held != nullptr && !st->held->bufs.empty() && reading(s)) {
    FixedBuf& b = st->held->bufs.front();
    const size_t left = b.len() - st->held_off;
    const size_t used = deliver(s, b.data() + st->held_off, left);
    if (st->held == nullptr) return;  // closed inside a callback
    if (used < left) {
      st->held_off += uint32_t(used);
      if (reading(s)) stream_schedule(s);
      return;
    }
    st->held->bufs.erase(st->held->bufs.begin());
    st->held_off = 0;
  }
  if (st->held == nullptr || !st->held->bufs.empty() || !reading(s)) return;
  release_held(s);
  if (st->flags & kHeldEof) {
    end_read(s, UV_EOF);
  } else if (st->read_err != 0) {
    end_read(s, st->read_err);
  } else {
    arm_read(s);
  }
}

void on_read(Op* op, int32_t res, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  const bool last = (flags & kOpMore) == 0;
  const OpCode code = op->code;  // the op is released before the end
  if (last && st->in_op == op) st->in_op = nullptr;
  const std::byte* data = nullptr;
  UringDriver* ring = nullptr;
  if (flags & kOpBufferSelected) {
    ring = static_cast<UringDriver*>(loop_state(s->loop)->driver.get());
    data = ring->buf_group_data(kBufGroup, op_buffer_id(flags));
  } else if (res > 0) {
    data = op->buf.data();
  }
  if (code == OpCode::RecvMsg && res > 0) take_fds(s, static_cast<const msghdr*>(op->args.addr), !closing(s));
  if (closing(s)) {
    if (ring != nullptr) ring->recycle_buffer(kBufGroup, op_buffer_id(flags));
    handle_op_done(op, flags);
    return;
  }
  if (res > 0) {
    size_t used = 0;
    if (st->held == nullptr && reading(s) && (st->flags & kFixedRead)) {
      // Zero-copy: the buffer itself goes to the application.
      if (ring != nullptr) {
        veloq_uv_fixed_buf_t b{reinterpret_cast<char*>(const_cast<std::byte*>(data)), size_t(res), ring,
                               op_buffer_id(flags), kFixedRing};
        loop_state(s->loop)->fixed_bufs_out++;
        ring = nullptr;  // recycled by veloq_uv_fixed_buf_release
        call_fixed(s, res, &b);
      } else {
        hand_heap(s, new FixedBuf(std::move(op->buf)), size_t(res));
      }
      used = size_t(res);
    } else if (st->held == nullptr && reading(s)) {
      used = deliver(s, data, size_t(res));
    }
    if (used < size_t(res) && !closing(s)) hold(s, data + used, size_t(res) - used);
    if (ring != nullptr) ring->recycle_buffer(kBufGroup, op_buffer_id(flags));
    handle_op_done(op, flags);
  } else {
    handle_op_done(op, flags);
    if (res == -ENOBUFS && code == OpCode::Recv) {
      st->flags |= kNoRingOnce;  // every ring buffer is out: one plain recv
    } else if (res == -EAGAIN) {
      // The backend did not wait (io_uring on a non-blocking tty): poll first.
      if (reading(s) && st->in_op == nullptr && st->held == nullptr) arm_read_wait(s);
      return;
    } else if (res == 0 || (res != -ECANCELED && res != -EAGAIN && res != -EINTR)) {
      const int err = res != 0 ? res : (st->flags & kResetSeen) ? UV_ECONNRESET : UV_EOF;
      if (st->held != nullptr) {
        if (err == UV_EOF) st->flags |= kHeldEof;
        else st->read_err = err;
      } else if (st->flags & kReading) {
        end_read(s, err);
      }
      return;
    }
  }
  if (!closing(s)) arm_read(s);
}

void on_read_ready(Op* op, int32_t res, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  if ((flags & kOpMore) == 0 && st->in_op == op) st->in_op = nullptr;
  handle_op_done(op, flags);
  if (closing(s)) return;
  if (res >= 0) {
    st->flags |= kReadReady;
  } else if (res != -ECANCELED) {
    if (st->flags & kReading) end_read(s, res);
    return;
  }
  arm_read(s);
}

// ---------------------------------------------------------------------------
// Writing

size_t bytes_left(const WriteState* w) {
  size_t n = 0;
  for (uint32_t i = w->index; i < w->nbufs; i++) n += w->bufs[i].len;
  return n;
}

// Account `n` written bytes to the request; true when it is complete.
bool advance(uv_stream_t* s, WriteState* w, size_t n) {
  while (w->index < w->nbufs) {
    uv_buf_t& b = w->bufs[w->index];
    const size_t k = std::min(n, b.len);
    b.base += k;
    b.len -= k;
    n -= k;
    s->write_queue_size -= k;
    if (b.len != 0) return false;
    w->index++;
  }
  return true;
}

// The iovecs of the request from where it stopped (at most `max`, which
// must not exceed the room in `iov`).
int fill_iov(const WriteState* w, iovec* iov, int max = IOV_MAX) {
  int n = 0;
  for (uint32_t i = w->index; i < w->nbufs && n < max; i++, n++) {
    iov[n].iov_base = w->bufs[i].base;
    iov[n].iov_len = w->bufs[i].len;
  }
  return n;
}

// Done (written or failed): to write_done, where stream_write_callbacks finds it.
void finish_write(uv_stream_t* s, WriteState* w, int err) {
  w->queue.remove();
  w->error = err;
  sstate(s)->write_done.insert_tail(&w->queue);
}

// The fd uv_write2 passes (libuv's uv__handle_fd: TCP, pipe and UDP
// handles), or UV_EBADF (none, or the handle is closing).
int send_fd_of(uv_stream_t* h) {
  if (is_closing(as_handle(h))) return UV_EBADF;
  if (h->type == UV_TCP || h->type == UV_NAMED_PIPE) return sstate(h)->fd >= 0 ? sstate(h)->fd : UV_EBADF;
  uv_os_fd_t fd;
  if (h->type == UV_UDP && uv_fileno(as_handle(h), &fd) == 0) return fd;
  return UV_EBADF;
}

// One SCM_RIGHTS message carrying `fd`, in `space` (CMSG_SPACE(int) bytes).
void put_fd(msghdr* msg, void* space, int fd) {
  std::memset(space, 0, CMSG_SPACE(sizeof(int)));
  msg->msg_control = space;
  msg->msg_controllen = CMSG_SPACE(sizeof(int));
  cmsghdr* c = CMSG_FIRSTHDR(msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
}

// libuv's uv__try_write: one nonblocking attempt; bytes written or -errno.
ssize_t write_now(uv_stream_t* s, iovec* iov, int cnt, uv_stream_t* send_handle) {
  StreamState* st = sstate(s);
  ssize_t n;
  if (send_handle != nullptr) {
    const int fd = send_fd_of(send_handle);
    if (fd < 0) return fd;
    union {
      char space[CMSG_SPACE(sizeof(int))];
      cmsghdr align;
    } control;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(cnt);
    put_fd(&msg, control.space, fd);
    do n = ::sendmsg(st->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
  } else if (st->flags & kNotSocket) {
    do n = ::writev(st->fd, iov, cnt);
    while (n < 0 && errno == EINTR);
  } else if (cnt == 1) {
    // send(2): no msghdr and iovec array for the kernel to copy in.
    do n = ::send(st->fd, iov[0].iov_base, iov[0].iov_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
  } else {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = size_t(cnt);
    do n = ::sendmsg(st->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
  }
  return n < 0 ? -errno : n;
}

bool would_block(ssize_t err) { return err == -EAGAIN || err == -EWOULDBLOCK || err == -ENOBUFS; }

void on_write(Op* op, int32_t res, uint32_t flags);
void on_write_ready(Op* op, int32_t res, uint32_t flags);
void arm_write_wait(uv_stream_t* s);

void start_write_op(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (st->write_op != nullptr) return;
  WriteState* w = nullptr;
  while (!st->write_queue.empty()) {
    uv_write_t* req = write_of(st->write_queue.next);
    w = wstate(req);
    if (req->send_handle == nullptr) break;
    // A request that passes a handle sends its first bytes inline, as
    // libuv's uv__write does on POLLOUT: the handle's fd is looked up (and
    // a closing handle fails the request with UV_EBADF) at the moment of
    // the sendmsg. A SendMsg op waiting in the kernel for room would carry
    // the fd *number*, which the user may close (uv_close of the handle)
    // and the process reuse meanwhile: the peer would get an unrelated
    // file. On an ipc pipe whose fd is not a socket this also fails
    // (ENOTSOCK) as the inline path of uv_write2 does, instead of going out
    // as a Writev that drops the handle.
    iovec iov[64];
    const int cnt = fill_iov(w, iov, 64);
    const ssize_t n = write_now(s, iov, cnt, req->send_handle);
    if (would_block(n)) {
      arm_write_wait(s);  // POLLOUT, then here again
      return;
    }
    if (n < 0) {
      finish_write(s, w, int(n));
      stream_schedule(s);
      w = nullptr;
      continue;
    }
    req->send_handle = nullptr;  // sent with the first bytes: never twice (libuv)
    if (!advance(s, w, size_t(n))) break;  // the rest goes out as a plain op
    finish_write(s, w, 0);
    stream_schedule(s);
    w = nullptr;
  }
  if (w == nullptr) return;
  const uint32_t cnt = std::min<uint32_t>(w->nbufs - w->index, IOV_MAX);
  Op* op;
  auto* iov = static_cast<iovec*>(nullptr);
  if (st->flags & kNotSocket) {
    op = handle_op(as_handle(s), OpCode::Writev, &on_write);
    iov = reinterpret_cast<iovec*>(op->own_bytes(sizeof(iovec) * cnt));
    op->args.addr = iov;
    op->args.len = uint64_t(fill_iov(w, iov));
    op->args.off = ~uint64_t{0};
  } else if (cnt == 1) {
    // One buffer: send(2), which the kernel sets up for less than sendmsg
    // (no msghdr to copy in).
    op = handle_op(as_handle(s), OpCode::Send, &on_write);
    op->args.addr = w->bufs[w->index].base;
    op->args.len = w->bufs[w->index].len;
  } else {
    op = handle_op(as_handle(s), OpCode::SendMsg, &on_write);
    auto* msg = reinterpret_cast<msghdr*>(op->own_bytes(sizeof(msghdr)));
    iov = reinterpret_cast<iovec*>(op->own_bytes(sizeof(iovec) * cnt));
    std::memset(msg, 0, sizeof *msg);
    msg->msg_iov = iov;
    msg->msg_iovlen = size_t(fill_iov(w, iov));
    op->args.addr = msg;
  }
  op->args.fd = st->fd;
  st->write_op = op;
  loop_state(s->loop)->driver->prepare(op);
}

// The backend did not wait for room (io_uring on a non-blocking tty): poll.
void arm_write_wait(uv_stream_t* s) {
  StreamState* st = sstate(s);
  Op* op = handle_op(as_handle(s), OpCode::PollAdd, &on_write_ready);
  op->args.fd = st->fd;
  op->args.mask = POLLOUT;
  st->write_op = op;
  loop_state(s->loop)->driver->prepare(op);
}

void on_shutdown(Op* op, int32_t res, uint32_t flags);

// libuv's uv__drain: once every write is out, the deferred shutdown(2).
void maybe_shutdown(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (!(st->flags & kShutting) || st->write_op != nullptr || !st->write_queue.empty() ||
      st->connect_req != nullptr || closing(s)) {
    return;
  }
  Op* op = handle_op(as_handle(s), OpCode::Shutdown, &on_shutdown);
  op->args.fd = st->fd;
  op->args.len = SHUT_WR;
  st->write_op = op;
  loop_state(s->loop)->driver->prepare(op);
}

// libuv's uv__write on POLLOUT: the socket just took a write, so write the
// queued requests inline, in order (at most 32), while each goes out whole.
// What does not (EAGAIN, a partial write, an error) is left to the next
// op, which waits for room in the kernel and reports errors.
void write_queued_now(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (st->flags & kNotSocket) return;  // a blocking pipe or tty would block here
  for (int count = 32; count > 0 && !st->write_queue.empty(); count--) {
    uv_write_t* req = write_of(st->write_queue.next);
    if (req->send_handle != nullptr) return;  // start_write_op sends those
    WriteState* w = wstate(req);
    iovec iov[64];
    const int cnt = fill_iov(w, iov, 64);
    const ssize_t n = write_now(s, iov, cnt, nullptr);
    if (n < 0 || !advance(s, w, size_t(n))) return;
    finish_write(s, w, 0);
  }
}

void on_write(Op* op, int32_t res, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  if (st->write_op == op) st->write_op = nullptr;
  handle_op_done(op, flags);
  if (st->write_queue.empty()) return;  // cannot happen: the head is this op's
  uv_write_t* req = write_of(st->write_queue.next);
  WriteState* w = wstate(req);
  if (res >= 0) {
    req->send_handle = nullptr;  // sent with the first bytes: never twice (libuv)
    if (advance(s, w, size_t(res))) finish_write(s, w, 0);
  } else if (res != -EAGAIN && res != -EINTR && res != -ENOBUFS && !closing(s)) {
    if (res == -ECONNRESET && (st->flags & kReading)) st->flags |= kResetSeen;
    finish_write(s, w, res);  // libuv keeps its bytes counted until the callback
  }
  if (closing(s)) return;  // stream_destroy reports what is left
  if (res > 0 && st->write_op == nullptr) write_queued_now(s);
  stream_write_callbacks(s);
  if (closing(s)) return;
  if (res == -EAGAIN && st->write_op == nullptr && !st->write_queue.empty()) {
    arm_write_wait(s);
    return;
  }
  stream_write_resume(s);
}

void on_write_ready(Op* op, int32_t res, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  if (st->write_op == op) st->write_op = nullptr;
  handle_op_done(op, flags);
  (void)res;  // an error shows on the write itself
  if (!closing(s)) stream_write_resume(s);
}

void on_shutdown(Op* op, int32_t res, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  if (st->write_op == op) st->write_op = nullptr;
  handle_op_done(op, flags);
  if (closing(s) || st->shutdown_req == nullptr) return;  // stream_destroy reports it
  uv_shutdown_t* req = st->shutdown_req;
  st->shutdown_req = nullptr;
  st->flags &= ~kShutting;
  if (res == 0) st->flags |= kShut;
  req_unregister(s->loop);
  if (req->cb != nullptr) req->cb(req, res);
}

// ---------------------------------------------------------------------------
// Accepting

void on_accept(Op* op, int32_t res, uint32_t flags);

// libuv's uv__emfile_trick: out of fds, give the spare one back, accept
// and close every pending connection (their clients see the connection end
// rather than hang in the backlog, and the listener does not report EMFILE
// on every turn), then take the spare again. Returns the accept error that
// ended it (-EAGAIN once the backlog is empty), or -EMFILE without a spare.
int emfile_trick(uv_loop_t* loop, int listen_fd) {
  LoopState* ls = loop_state(loop);
  if (ls->emfile_fd == -1) return -EMFILE;
  ::close(ls->emfile_fd);
  ls->emfile_fd = -1;
  int r;
  do {
    r = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (r >= 0) ::close(r);
  } while (r >= 0 || errno == EINTR);
  const int err = -errno;
  ls->emfile_fd = ::open("/", O_RDONLY | O_CLOEXEC);
  return err;
}

void on_accept_ready(Op* op, int32_t res, uint32_t flags);

// Wait until the listener is readable, then accept (after emfile_trick).
void arm_accept_wait(uv_stream_t* s) {
  StreamState* st = sstate(s);
  Op* op = handle_op(as_handle(s), OpCode::PollAdd, &on_accept_ready);
  op->args.fd = st->fd;
  op->args.mask = POLLIN;
  st->in_op = op;
  loop_state(s->loop)->driver->prepare(op);
}

void arm_accept(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (st->in_op != nullptr || st->accepted_fd != -1 || closing(s) || !(st->flags & kServer)) return;
  Op* op = handle_op(as_handle(s), OpCode::Accept, &on_accept);
  op->args.fd = st->fd;
  op->args.flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  op->multishot = loop_state(s->loop)->driver->features().multishot_accept;
  st->in_op = op;
  loop_state(s->loop)->driver->prepare(op);
}

void on_accept(Op* op, int32_t res, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  const bool last = (flags & kOpMore) == 0;
  if (last && st->in_op == op) st->in_op = nullptr;
  handle_op_done(op, flags);
  if (closing(s)) {
    if (res >= 0) ::close(res);
    return;
  }
  if (res >= 0) {
    if (st->accepted_fd != -1) {
      // A connection accepted after the user stopped taking them (the
      // multishot's cancel had not landed yet): keep it for the next turn.
      if (st->fdq == nullptr) st->fdq = new std::vector<int>();
      st->fdq->push_back(res);
      return;
    }
    st->accepted_fd = res;
    st->connection_cb(s, 0);
    // Not taken by uv_accept: stop accepting until it is (as libuv).
    if (!closing(s) && st->accepted_fd != -1) cancel_op(s, st->in_op);
  } else if (res != -ECANCELED && res != -EAGAIN && res != -EINTR && res != -ECONNABORTED) {
    const int err = (res == -EMFILE || res == -ENFILE) ? emfile_trick(s->loop, st->fd) : res;
    if (err == -EAGAIN || err == -EWOULDBLOCK) {
      // The spare fd took the backlog: no callback (as libuv). Accept again
      // only once a connection is there: with the table still full, accept
      // fails with EMFILE even on an empty backlog, and both drivers try
      // the accept before they wait.
      if (!closing(s) && st->in_op == nullptr) arm_accept_wait(s);
      return;
    }
    st->connection_cb(s, err);
    // Resume from the next pending phase, not at once: a persistent error
    // (EMFILE) must not spin inside one poll.
    if (!closing(s) && st->in_op == nullptr) stream_schedule(s);
    return;
  }
  if (!closing(s) && st->in_op == nullptr) arm_accept(s);
}

void on_accept_ready(Op* op, int32_t, uint32_t flags) {
  uv_stream_t* s = stream_of(op);
  StreamState* st = sstate(s);
  if (st->in_op == op) st->in_op = nullptr;
  handle_op_done(op, flags);
  if (!closing(s)) arm_accept(s);
}

void resume_accept(uv_stream_t* s) {
  StreamState* st = sstate(s);
  while (!closing(s) && st->accepted_fd == -1 && st->fdq != nullptr && !st->fdq->empty()) {
    st->accepted_fd = st->fdq->front();
    st->fdq->erase(st->fdq->begin());
    st->connection_cb(s, 0);
  }
  if (!closing(s)) arm_accept(s);
}

// ---------------------------------------------------------------------------

void run_pending(uv_loop_t*, PendingWork* w) {
  auto* st = reinterpret_cast<StreamState*>(reinterpret_cast<char*>(w) - offsetof(StreamState, pending));
  auto* s = reinterpret_cast<uv_stream_t*>(reinterpret_cast<char*>(st) - offsetof(uv_stream_t, veloq_stream.storage));
  if (closing(s)) return;
  if (st->flags & kServer) {
    resume_accept(s);
    return;
  }
  if (st->connect_req != nullptr && st->write_op == nullptr) {
    // A connect whose outcome was known at once (uv_tcp_connect's delayed
    // bind error, every uv_pipe_connect) is reported one turn later, as libuv.
    uv_connect_t* req = st->connect_req;
    const int err = st->delayed_error;
    st->delayed_error = 0;
    st->connect_req = nullptr;
    req_unregister(s->loop);
    if (req->cb != nullptr) req->cb(req, err);
    if (closing(s)) return;
    if (err != 0) {
      stream_flush_writes(s, UV_ECANCELED);
    } else {
      stream_write_resume(s);
    }
  }
  stream_write_callbacks(s);
  if (!closing(s)) deliver_held(s);
}

bool pending_queued(StreamState* st) { return st->pending.queue.next != &st->pending.queue; }

}  // namespace

namespace veloq::uvc {

void stream_schedule(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (!pending_queued(st)) pending_add(s->loop, &st->pending);
}

void stream_init(uv_loop_t* loop, uv_stream_t* s, uv_handle_type type) {
  handle_init(loop, as_handle(s), type);
  s->write_queue_size = 0;
  s->alloc_cb = nullptr;
  s->read_cb = nullptr;
  LoopState* ls = loop_state(loop);
  if (ls->emfile_fd == -1) {  // libuv's uv__stream_init: the spare fd for emfile_trick
    ls->emfile_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (ls->emfile_fd == -1) ls->emfile_fd = ::open("/", O_RDONLY | O_CLOEXEC);
  }
  StreamState* st = sstate(s);
  std::memset(st, 0, sizeof *st);
  st->fd = -1;
  st->accepted_fd = -1;
  st->write_queue.init();
  st->write_done.init();
  st->pending.queue.init();
  st->pending.run = &run_pending;
}

int stream_open(uv_stream_t* s, int fd, uint32_t flags) {
  StreamState* st = sstate(s);
  if (st->fd != -1 && st->fd != fd) return UV_EBUSY;
  st->flags |= flags;
  if (s->type != UV_TCP) {
    struct stat sb;
    if (::fstat(fd, &sb) == 0 && !S_ISSOCK(sb.st_mode)) st->flags |= kNotSocket;
  } else {
    int on = 1;
    if ((st->flags & kNodelay) && ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) return -errno;
    // libuv: "TODO Use delay the user passed in" -- 60 s, as there.
    int idle = 60;
    if ((st->flags & kKeepalive) && (::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) != 0 ||
                                     ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0)) {
      return -errno;
    }
  }
  st->fd = fd;
  return 0;
}

void stream_write_callbacks(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (st->write_done.empty()) return;
  Queue pass;
  st->write_done.move_to(&pass);
  while (!pass.empty()) {
    uv_write_t* req = write_of(pass.next);
    WriteState* w = wstate(req);
    w->queue.remove();
    req_unregister(s->loop);
    s->write_queue_size -= bytes_left(w);  // bytes of a failed request
    if (w->bufs != w->small) std::free(w->bufs);
    w->bufs = nullptr;
    if (req->cb != nullptr) req->cb(req, w->error);
  }
}

void stream_flush_writes(uv_stream_t* s, int err) {
  StreamState* st = sstate(s);
  while (!st->write_queue.empty()) finish_write(s, wstate(write_of(st->write_queue.next)), err);
  stream_write_callbacks(s);
}

void stream_write_resume(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (st->connect_req != nullptr || closing(s)) return;
  start_write_op(s);
  maybe_shutdown(s);
}

void stream_listen_start(uv_stream_t* s, uv_connection_cb cb) {
  StreamState* st = sstate(s);
  st->connection_cb = cb;
  if (!(st->flags & kServer)) {
    st->flags |= kServer;
    st->fdq = nullptr;
  }
  arm_accept(s);
  handle_start(as_handle(s));
}

void stream_close(uv_stream_t* s) {
  StreamState* st = sstate(s);
  st->flags &= ~(kReading | kReadable | kWritable);
  handle_stop(as_handle(s));
  cancel_op(s, st->in_op);
  cancel_op(s, st->write_op);
  if (st->accepted_fd != -1) ::close(st->accepted_fd);  // a connection or a received fd
  st->accepted_fd = -1;
  if (st->flags & kServer) {
    if (st->fdq != nullptr) {
      for (int fd : *st->fdq) ::close(fd);
      delete st->fdq;
      st->fdq = nullptr;
    }
  } else {
    release_held(s);
  }
}

// uv__stream_destroy, once the stream's ops are done: the requests it still
// has end with UV_ECANCELED (finished writes with their status), the fd
// closes, then close_cb may run.
void stream_destroy(uv_stream_t* s) {
  StreamState* st = sstate(s);
  if (pending_queued(st)) st->pending.queue.remove();
  st->pending.queue.init();
  if (st->connect_req != nullptr) {
    uv_connect_t* req = st->connect_req;
    st->connect_req = nullptr;
    req_unregister(s->loop);
    if (req->cb != nullptr) req->cb(req, UV_ECANCELED);
  }
  stream_flush_writes(s, UV_ECANCELED);
  if (st->shutdown_req != nullptr) {
    uv_shutdown_t* req = st->shutdown_req;
    st->shutdown_req = nullptr;
    req_unregister(s->loop);
    if (req->cb != nullptr) req->cb(req, UV_ECANCELED);
  }
  // libuv leaves stdio fds open.
  if (st->fd > STDERR_FILENO) ::close(st->fd);
  st->fd = -1;
  if (s->type == UV_NAMED_PIPE) pipe_destroy(reinterpret_cast<uv_pipe_t*>(s));
}

int stream_fileno(const uv_stream_t* s) { return sstate(s)->fd; }

}  // namespace veloq::uvc

extern "C" {

size_t uv_stream_get_write_queue_size(const uv_stream_t* stream) { return stream->write_queue_size; }

int uv_is_readable(const uv_stream_t* s) { return stream_type(s) && (sstate(s)->flags & kReadable) != 0; }
int uv_is_writable(const uv_stream_t* s) { return stream_type(s) && (sstate(s)->flags & kWritable) != 0; }

int uv_listen(uv_stream_t* stream, int backlog, uv_connection_cb cb) {
  if (closing(stream)) return UV_EINVAL;
  if (stream->type == UV_TCP) return tcp_listen(reinterpret_cast<uv_tcp_t*>(stream), backlog, cb);
  if (stream->type == UV_NAMED_PIPE) return pipe_listen(reinterpret_cast<uv_pipe_t*>(stream), backlog, cb);
  return UV_EINVAL;
}

// libuv's uv_accept: the server's accepted connection, or the next fd an ipc
// pipe received, becomes the client's (a pipe's or TCP handle's stream, a
// UDP handle through uv_udp_open).
int uv_accept(uv_stream_t* server, uv_stream_t* client) {
  StreamState* st = sstate(server);
  if (!stream_type(server) || st->accepted_fd == -1) return UV_EAGAIN;
  const int fd = st->accepted_fd;
  int err;
  switch (client->type) {
    case UV_TCP:
    case UV_NAMED_PIPE:
      err = stream_open(client, fd, kReadable | kWritable);
      if (err == 0) sstate(client)->flags |= kBound;
      break;
    case UV_UDP: err = uv_udp_open(reinterpret_cast<uv_udp_t*>(client), fd); break;
    default: return UV_EINVAL;
  }
  if (err != 0) ::close(fd);
  st->accepted_fd = -1;
  if (!(st->flags & kServer)) {
    st->accepted_fd = pipe_next_fd(reinterpret_cast<uv_pipe_t*>(server));  // ipc: the next received fd
  } else if (st->fdq != nullptr && !st->fdq->empty()) {
    stream_schedule(server);
  } else {
    arm_accept(server);
  }
  return err;
}

int uv_read_start(uv_stream_t* stream, uv_alloc_cb alloc_cb, uv_read_cb read_cb) {
  if (stream == nullptr || alloc_cb == nullptr || read_cb == nullptr) return UV_EINVAL;
  if (!stream_type(stream) || closing(stream)) return UV_EINVAL;
  StreamState* st = sstate(stream);
  if (st->flags & kReading) return UV_EALREADY;  // libuv 1.44's uv_read_start
  if (!(st->flags & kReadable)) return UV_ENOTCONN;
  st->flags |= kReading;
  st->flags &= ~(kReadEof | kFixedRead);
  stream->alloc_cb = alloc_cb;
  stream->read_cb = read_cb;
  handle_start(as_handle(stream));
  if (st->held != nullptr) {
    stream_schedule(stream);  // held data first, from the next pending phase
  } else {
    arm_read(stream);
  }
  return 0;
}

int uv_read_stop(uv_stream_t* stream) {
  StreamState* st = sstate(stream);
  if (!stream_type(stream) || !(st->flags & kReading)) return 0;
  st->flags &= ~kReading;
  handle_stop(as_handle(stream));
  // Data the cancelled recv still brings is held for the next uv_read_start.
  cancel_op(stream, st->in_op);
  stream->read_cb = nullptr;
  stream->alloc_cb = nullptr;
  st->flags &= ~kFixedRead;
  return 0;
}

int veloq_uv_read_start_fixed(uv_stream_t* stream, veloq_uv_fixed_read_cb read_cb) {
  if (stream == nullptr || read_cb == nullptr) return UV_EINVAL;
  if (!stream_type(stream) || closing(stream)) return UV_EINVAL;
  StreamState* st = sstate(stream);
  if (st->flags & kReading) return UV_EALREADY;
  if (!(st->flags & kReadable)) return UV_ENOTCONN;
  st->flags |= kReading | kFixedRead;
  st->flags &= ~kReadEof;
  stream->alloc_cb = nullptr;
  stream->read_cb = reinterpret_cast<uv_read_cb>(read_cb);
  handle_start(as_handle(stream));
  if (st->held != nullptr) {
    stream_schedule(stream);
  } else {
    arm_read(stream);
  }
  return 0;
}

void veloq_uv_fixed_buf_release(uv_loop_t* loop, const veloq_uv_fixed_buf_t* buf) {
  if (loop == nullptr || buf == nullptr) return;
  if (buf->veloq_kind == kFixedHeap) {
    delete static_cast<FixedBuf*>(buf->veloq_owner);
  } else if (buf->veloq_kind == kFixedRing) {
    LoopState* ls = loop_state(loop);
    if (ls == nullptr || ls->fixed_bufs_out == 0) return;
    ls->fixed_bufs_out--;
    // The ring it came from is still the loop's: a loop with buffers out
    // neither moves to a new ring nor closes.
    auto* ring = static_cast<UringDriver*>(buf->veloq_owner);
    if (ring == ls->driver.get()) ring->recycle_buffer(kBufGroup, uint16_t(buf->veloq_id));
  }
}

int uv_write2(uv_write_t* req, uv_stream_t* stream, const uv_buf_t bufs[], unsigned int nbufs,
              uv_stream_t* send_handle, uv_write_cb cb) {
  if (req == nullptr || stream == nullptr || !stream_type(stream)) return UV_EINVAL;
  if (nbufs == 0 || bufs == nullptr) return UV_EINVAL;  // libuv asserts
  StreamState* st = sstate(stream);
  if (st->fd < 0) return UV_EBADF;
  if (!(st->flags & kWritable)) return UV_EPIPE;
  if (send_handle != nullptr) {
    if (!stream_is_ipc(stream)) return UV_EINVAL;
    if (send_fd_of(send_handle) < 0) return UV_EBADF;
  }
  // libuv: write_queue_size > 0 with an empty queue means failed requests
  // await their callbacks; do not try inline then.
  const bool idle = stream->write_queue_size == 0 && st->write_op == nullptr;
  WriteState* w = wstate(req);
  w->bufs = w->small;
  if (nbufs > 4) {
    w->bufs = static_cast<uv_buf_t*>(std::malloc(nbufs * sizeof(uv_buf_t)));
    if (w->bufs == nullptr) return UV_ENOMEM;
  }
  std::memcpy(w->bufs, bufs, nbufs * sizeof(uv_buf_t));
  req->type = UV_WRITE;
  req->cb = cb;
  req->handle = stream;
  req->send_handle = send_handle;
  req_register(stream->loop);
  w->nbufs = nbufs;
  w->index = 0;
  w->error = 0;
  stream->write_queue_size += bytes_left(w);
  st->write_queue.insert_tail(&w->queue);
  if (st->connect_req != nullptr) return 0;  // goes out once connected
  if (idle) {
    // As libuv's uv__write: try now; the callback runs in the next pending phase.
    iovec iov[IOV_MAX < 64 ? IOV_MAX : 64];
    const int cnt = fill_iov(w, iov, int(sizeof iov / sizeof iov[0]));
    const ssize_t n = write_now(stream, iov, cnt, send_handle);
    if (n >= 0) {
      req->send_handle = nullptr;
      if (advance(stream, w, size_t(n))) {
        finish_write(stream, w, 0);
        stream_schedule(stream);
        return 0;
      }
    } else if (!would_block(n)) {
      finish_write(stream, w, int(n));
      stream_schedule(stream);
      return 0;
    }
  }
  start_write_op(stream);
  return 0;
}

int uv_write(uv_write_t* req, uv_stream_t* stream, const uv_buf_t bufs[], unsigned int nbufs, uv_write_cb cb) {
  return uv_write2(req, stream, bufs, nbufs, nullptr, cb);
}

// libuv 1.44's uv_try_write2: EAGAIN while connecting or writing, then the
// checks of a write, then one attempt.
int uv_try_write2(uv_stream_t* stream, const uv_buf_t bufs[], unsigned int nbufs, uv_stream_t* send_handle) {
  if (stream == nullptr || !stream_type(stream) || (nbufs > 0 && bufs == nullptr)) return UV_EINVAL;
  StreamState* st = sstate(stream);
  if (st->connect_req != nullptr || stream->write_queue_size != 0 || st->write_op != nullptr) return UV_EAGAIN;
  if (st->fd < 0) return UV_EBADF;
  if (!(st->flags & kWritable)) return UV_EPIPE;
  size_t total = 0;
  for (unsigned i = 0; i < nbufs; i++) total += bufs[i].len;
  // uv_buf_t is iovec-shaped on Unix, as libuv relies on too.
  const ssize_t n = write_now(stream, reinterpret_cast<iovec*>(const_cast<uv_buf_t*>(bufs)),
                              int(std::min<unsigned>(nbufs, IOV_MAX)), send_handle);
  if (n < 0) return would_block(n) ? UV_EAGAIN : int(n);
  if (n == 0 && total != 0) return UV_EAGAIN;
  return int(n);
}

int uv_try_write(uv_stream_t* stream, const uv_buf_t bufs[], unsigned int nbufs) {
  return uv_try_write2(stream, bufs, nbufs, nullptr);
}

int uv_shutdown(uv_shutdown_t* req, uv_stream_t* stream, uv_shutdown_cb cb) {
  if (req == nullptr || stream == nullptr || !stream_type(stream)) return UV_EINVAL;
  StreamState* st = sstate(stream);
  if (!(st->flags & kWritable) || (st->flags & (kShut | kShutting)) || closing(stream)) return UV_ENOTCONN;
  req->type = UV_SHUTDOWN;
  req->handle = stream;
  req->cb = cb;
  req_register(stream->loop);
  st->shutdown_req = req;
  st->flags |= kShutting;
  st->flags &= ~kWritable;
  stream_write_resume(stream);
  return 0;
}

// libuv: uv__nonblock(fd, !blocking), nothing else. Veloq also remembers it:
// a read on a blocking pipe or tty waits for readability first.
int uv_stream_set_blocking(uv_stream_t* handle, int blocking) {
  StreamState* st = sstate(handle);
  if (int err = set_nonblock(st->fd, !blocking); err != 0) return err;
  if (blocking) st->flags |= kBlockingFd;
  else st->flags &= ~kBlockingFd;
  return 0;
}

}  // extern "C"
