// Stream state shared by stream.cpp (read/write/listen/shutdown) and tcp.cpp.
//
// Everything lives in the handle's and the requests' private storage; the
// only heap blocks are libuv's own (a uv_write_t with more than four
// buffers copies its array) and two rare cases named below.
#pragma once

#include <vector>

#include "compat_uv/internal.hpp"

namespace veloq::uvc {

enum StreamFlags : uint32_t {
  kReadable = 1u << 0,
  kWritable = 1u << 1,
  kReading = 1u << 2,
  kShutting = 1u << 3,  // uv_shutdown called, shutdown(2) not yet done
  kShut = 1u << 4,
  kBound = 1u << 5,
  kIpv6 = 1u << 6,
  kServer = 1u << 7,    // uv_listen succeeded: `fdq` is the union member in use
  kNodelay = 1u << 8,
  kKeepalive = 1u << 9,
  kReadEof = 1u << 10,
  kHeldEof = 1u << 11,  // EOF seen behind held data: reported after it
  kNoRingOnce = 1u << 12,  // the buffer ring ran dry: next recv is a plain one
  kNotSocket = 1u << 13,   // pipe(2), FIFO, tty: Read/Writev ops and read/writev(2), never recv/send
  kBlockingFd = 1u << 14,  // fd left blocking (tty master, uv_stream_set_blocking): poll before a read
  kReadReady = 1u << 15,   // a poll said readable: the next read op may go on a blocking fd
  // A write op failed with ECONNRESET while reading: the kernel reports a
  // reset once, so the read that follows sees EOF. libuv's read runs first
  // on the same wake-up and gets the reset; report that EOF as the reset.
  kResetSeen = 1u << 16,
  // veloq_uv_read_start_fixed: read_cb is a veloq_uv_fixed_read_cb, no alloc_cb;
  // received buffers are handed to the application (uv_ext.h).
  kFixedRead = 1u << 17,
};

struct StreamState {  // fits UV_STREAM_PRIVATE_FIELDS (128 bytes)
  uint32_t flags;
  int fd;
  int accepted_fd;     // accepted (server) or received (ipc pipe), not yet handed out by uv_accept
  int delayed_error;   // libuv's: bind EADDRINUSE reported by listen/connect
  uv_connection_cb connection_cb;
  uv_connect_t* connect_req;
  uv_shutdown_t* shutdown_req;
  Queue write_queue;   // WriteState: not fully written; the head may be in flight
  Queue write_done;    // WriteState: finished, write_cb not yet run
  PendingWork pending; // write_cbs of inline writes, held data, accept resume
  Op* in_op;           // the recv or accept op (live, or cancelled and draining)
  Op* write_op;        // the connect, send or shutdown op in flight
  // Reading stream: an op never handed to the driver that owns data received
  // but not yet delivered (read stopped, or alloc_cb gave no buffer), as
  // FixedBufs in op->bufs. Server: fds the kernel accepted while the user
  // held one (a multishot accept cancelled too late). Both rare, both lazy.
  union {
    Op* held;
    std::vector<int>* fdq;
  };
  uint32_t held_off;   // bytes of held->bufs[0] already delivered
  int32_t read_err;    // error seen behind held data: reported after it
};
static_assert(sizeof(StreamState) <= sizeof(((uv_stream_t*)nullptr)->veloq_stream));

struct WriteState {  // fits UV_WRITE_PRIVATE_FIELDS (104 bytes)
  Queue queue;
  uv_buf_t* bufs;    // small, or a heap copy when nbufs > 4 (as libuv)
  uint32_t nbufs;
  uint32_t index;    // first buffer not fully written; bufs[index] is advanced in place
  int error;
  uv_buf_t small[4];
};
static_assert(sizeof(WriteState) <= sizeof(((uv_write_t*)nullptr)->veloq_write));

inline StreamState* sstate(const uv_stream_t* s) {
  return reinterpret_cast<StreamState*>(const_cast<unsigned char*>(s->veloq_stream.storage));
}
inline uv_stream_t* stream_of(const Op* op) { return static_cast<uv_stream_t*>(op->owner); }
inline uv_handle_t* as_handle(uv_stream_t* s) { return reinterpret_cast<uv_handle_t*>(s); }

// uv__stream_init: the handle and its state, fd -1.
void stream_init(uv_loop_t* loop, uv_stream_t* s, uv_handle_type type);
// uv__stream_open: adopt `fd` (EBUSY if another is open), apply TCP options;
// a pipe or tty fd that is not a socket gets kNotSocket.
int stream_open(uv_stream_t* s, int fd, uint32_t flags);
// Start the write side when it may go (connect finished): queued writes, then shutdown.
void stream_write_resume(uv_stream_t* s);
// Run write_cbs of finished requests (libuv's uv__write_callbacks).
void stream_write_callbacks(uv_stream_t* s);
// Fail every queued write with `err` (libuv's uv__stream_flush_write_queue).
void stream_flush_writes(uv_stream_t* s, int err);
// Start accepting (uv_listen after listen(2)).
void stream_listen_start(uv_stream_t* s, uv_connection_cb cb);
void stream_schedule(uv_stream_t* s);  // run the stream's pending work next pending phase
// uv__tcp_listen (tcp.cpp).
int tcp_listen(uv_tcp_t* tcp, int backlog, uv_connection_cb cb);
// Pipes (pipe.cpp): uv__pipe_listen; ipc fd queue behind accepted_fd
// (libuv's queued_fds); the part of uv_close / destroy that is a pipe's.
inline bool stream_is_ipc(const uv_stream_t* s) {
  return s->type == UV_NAMED_PIPE && reinterpret_cast<const uv_pipe_t*>(s)->ipc;
}
int pipe_listen(uv_pipe_t* p, int backlog, uv_connection_cb cb);
void pipe_queue_fd(uv_pipe_t* p, int fd);  // a received fd: accepted_fd, else the queue
int pipe_next_fd(uv_pipe_t* p);            // the next queued fd, or -1
void pipe_destroy(uv_pipe_t* p);

inline void req_register(uv_loop_t* loop) { loop->active_reqs.count++; }
inline void req_unregister(uv_loop_t* loop) { loop->active_reqs.count--; }

}  // namespace veloq::uvc
