#include "core/driver/uring/uring_driver.hpp"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <string_view>

#include "core/op/sync_exec.hpp"

namespace veloq {

namespace {

// user_data of SQEs whose completions carry nothing for anyone (cancels).
constexpr uint64_t kIgnoreTag = 0;
// Low bit of a CQE's user_data: a failed MSG_RING wake (Ops are aligned).
constexpr uint64_t kMsgRingFailBit = 1;
// Next bit: the POLL_ADD that waits for readiness on behalf of an op whose
// own opcode the ring lacks (see start_readiness).
constexpr uint64_t kReadyBit = 2;
static_assert(alignof(Op) >= 4 && alignof(UringDriver) >= 2, "user_data tag bits");
// Kernel opcode of IORING_OP_FTRUNCATE (6.9+); liburing 2.3 predates it.
constexpr uint8_t kOpFtruncate = 55;

// Kernel opcode for an OpCode; -1 when the ring has none.
int kernel_opcode(OpCode c) {
  switch (c) {
    case OpCode::Nop: return IORING_OP_NOP;
    case OpCode::Read: return IORING_OP_READ;
    case OpCode::Write: return IORING_OP_WRITE;
    case OpCode::Readv: return IORING_OP_READV;
    case OpCode::Writev: return IORING_OP_WRITEV;
    case OpCode::Recv: return IORING_OP_RECV;
    case OpCode::Send: return IORING_OP_SEND;
    case OpCode::RecvMsg: return IORING_OP_RECVMSG;
    case OpCode::SendMsg: return IORING_OP_SENDMSG;
    case OpCode::Accept: return IORING_OP_ACCEPT;
    case OpCode::Connect: return IORING_OP_CONNECT;
    case OpCode::Shutdown: return IORING_OP_SHUTDOWN;
    case OpCode::Close: return IORING_OP_CLOSE;
    case OpCode::OpenAt: return IORING_OP_OPENAT;
    case OpCode::Statx: return IORING_OP_STATX;
    case OpCode::Fsync: return IORING_OP_FSYNC;
    case OpCode::SyncFileRange: return IORING_OP_SYNC_FILE_RANGE;
    case OpCode::Fallocate: return IORING_OP_FALLOCATE;
    case OpCode::Ftruncate: return kOpFtruncate;
    case OpCode::UnlinkAt: return IORING_OP_UNLINKAT;
    case OpCode::RenameAt: return IORING_OP_RENAMEAT;
    case OpCode::MkdirAt: return IORING_OP_MKDIRAT;
    case OpCode::LinkAt: return IORING_OP_LINKAT;
    case OpCode::SymlinkAt: return IORING_OP_SYMLINKAT;
    case OpCode::PollAdd: return IORING_OP_POLL_ADD;
    case OpCode::Timeout: return IORING_OP_TIMEOUT;
    case OpCode::Getdents:
    case OpCode::Custom:
    case OpCode::kCount: return -1;
  }
  return -1;
}

}  // namespace

std::unique_ptr<Driver> make_uring_driver(const DriverOptions& opts, int* err, std::string* why) {
  return UringDriver::create(opts, err, why);
}

std::unique_ptr<Driver> UringDriver::create(const DriverOptions& opts, int* err,
                                            std::string* why) {
  std::unique_ptr<UringDriver> d(new UringDriver());
  int e = d->init(opts);
  if (e != 0) {
    if (err) *err = e;
    if (why) *why = d->missing_.empty() ? std::string("io_uring_setup:") + std::strerror(e)
                                        : "io_uring_lacks:" + d->missing_;
    return nullptr;
  }
  return d;
}

int UringDriver::init(const DriverOptions& opts) {
  // Try the best set of setup flags first, then degrade. R_DISABLED makes the
  // single issuer the thread that first runs the ring, not the creator.
  struct Attempt {
    unsigned flags;
    bool usable;
  };
  // A driver that may change threads takes none of the flags that tie the
  // ring to one task (see DriverOptions::thread_bound). Without COOP_TASKRUN
  // the kernel signals the submitting thread to post its completions even
  // while it sleeps (say in pthread_join on the new driving thread).
  const bool si = opts.thread_bound && !opts.disables("single_issuer");
  const bool dt = si && !opts.disables("defer_taskrun");
  const bool ct = opts.thread_bound && !opts.disables("coop_taskrun");
  const Attempt attempts[] = {
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_R_DISABLED |
           IORING_SETUP_SUBMIT_ALL,
       si && dt},
      {IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED | IORING_SETUP_SUBMIT_ALL |
           (ct ? IORING_SETUP_COOP_TASKRUN : 0u),
       si},
      {(ct ? IORING_SETUP_COOP_TASKRUN : 0u) | IORING_SETUP_SUBMIT_ALL, true},
      {0, true},
  };
  int last = ENOSYS;
  for (const Attempt& a : attempts) {
    if (!a.usable) continue;
    io_uring_params p{};
    p.flags = a.flags;
    const unsigned sq = opts.sq_entries == 0 ? 256 : opts.sq_entries;
    if (opts.cq_entries != 0) {
      // The kernel refuses a CQ smaller than the SQ (EINVAL): clamp up.
      p.flags |= IORING_SETUP_CQSIZE;
      p.cq_entries = std::max(opts.cq_entries, sq);
    }
    int r = io_uring_queue_init_params(sq, &ring_, &p);
    if (r == 0) {
      ring_ok_ = true;
      enabled_ = (a.flags & IORING_SETUP_R_DISABLED) == 0;
      feat_.single_issuer = a.flags & IORING_SETUP_SINGLE_ISSUER;
      feat_.defer_taskrun = a.flags & IORING_SETUP_DEFER_TASKRUN;
      feat_.coop_taskrun = a.flags & IORING_SETUP_COOP_TASKRUN;
      feat_.ext_arg = (p.features & IORING_FEAT_EXT_ARG) && !opts.disables("ext_arg");
      // liburing picks the wait method from ring_.features: without EXT_ARG
      // it queues a TIMEOUT SQE (LIBURING_UDATA_TIMEOUT, skipped by reap()).
      if (!feat_.ext_arg) ring_.features &= ~unsigned(IORING_FEAT_EXT_ARG);
      feat_.nodrop = p.features & IORING_FEAT_NODROP;
      probe(opts);
      break;
    }
    last = -r;
    // Setup refused outright (no io_uring, seccomp, sysctl): don't retry.
    if (last == ENOSYS || last == EPERM || last == EACCES || last == ENOMEM) return last;
  }
  if (!ring_ok_) return last;
  // Ops the driver cannot live without (see probe): make_driver falls back
  // to epoll, as for a kernel without io_uring.
  if (!missing_.empty()) return EOPNOTSUPP;

  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) return errno;
  wake_op_.code = OpCode::Read;
  wake_op_.args.fd = event_fd_;
  wake_op_.args.addr = &wake_buf_;
  wake_op_.args.len = sizeof wake_buf_;
  wake_op_.args.off = ~uint64_t{0};
  wake_op_.owner = this;
  wake_op_.on_complete = &UringDriver::on_wake;
  return 0;
}

void UringDriver::probe(const DriverOptions& opts) {
  io_uring_probe* pr = io_uring_get_probe_ring(&ring_);
  auto has = [&](int k) { return pr != nullptr && io_uring_opcode_supported(pr, k); };
  for (size_t i = 0; i < size_t(OpCode::kCount); ++i) {
    int k = kernel_opcode(OpCode(i));
    feat_.opcode[i] = k >= 0 && has(k) && !opts.disables(opcode_name(OpCode(i)));
  }
  // The minimum this driver needs, whatever else is missing: POLL_ADD (ops
  // whose opcode is absent wait for readiness with it), ASYNC_CANCEL (every
  // cancel), READ (the wake-up read on the eventfd) and TIMEOUT (waits with
  // a timeout when EXT_ARG is absent). A kernel with the probe (5.6+) has
  // them all. "all" in VELOQ_URING_DISABLE keeps poll_add and timeout, as
  // the oldest kernel this driver serves has them; naming poll_add itself
  // (or no probe at all) makes make_driver fall back to epoll. Naming read
  // or timeout only moves Read/Timeout ops off the ring: the driver's own
  // wake-up read and liburing's wait timeout use the kernel's opcodes.
  feat_.opcode[size_t(OpCode::PollAdd)] = has(IORING_OP_POLL_ADD) && !opts.names("poll_add");
  feat_.opcode[size_t(OpCode::Timeout)] = has(IORING_OP_TIMEOUT) && !opts.names("timeout");
  const std::pair<const char*, bool> required[] = {
      {"poll_add", feat_.opcode[size_t(OpCode::PollAdd)]},
      {"async_cancel", has(IORING_OP_ASYNC_CANCEL)},
      {"read", has(IORING_OP_READ)},
      {"timeout", has(IORING_OP_TIMEOUT)},
  };
  for (auto [name, ok] : required) {
    if (ok) continue;
    if (!missing_.empty()) missing_ += ',';
    missing_ += name;
  }
  feat_.msg_ring = has(IORING_OP_MSG_RING) && !opts.disables("msg_ring");
  feat_.send_zc = has(IORING_OP_SEND_ZC) && !opts.disables("send_zc");
  // Multishot accept/recv and buffer rings arrived with 5.19/6.0, together
  // with SEND_ZC's 6.0 generation; the probe has no flag for them.
  feat_.multishot_accept = feat_.send_zc && !opts.disables("multishot_accept");
  feat_.multishot_recv = feat_.send_zc && !opts.disables("multishot_recv");
  feat_.buf_ring = probe_buf_ring() && !opts.disables("buf_ring");
  feat_.multishot_recv = feat_.multishot_recv && feat_.buf_ring;
  // Their single-shot opcode is a precondition (readiness serves single-shot).
  feat_.multishot_accept = feat_.multishot_accept && feat_.opcode[size_t(OpCode::Accept)];
  feat_.multishot_recv = feat_.multishot_recv && feat_.opcode[size_t(OpCode::Recv)];
  feat_.registered_files = !opts.disables("registered_files");
  feat_.registered_buffers = !opts.disables("registered_buffers");
  if (pr) io_uring_free_probe(pr);
}

// Real check for provided buffer rings (5.19+): register a one-entry ring
// under a group id nobody uses, then unregister it.
bool UringDriver::probe_buf_ring() {
  void* mem = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) return false;
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(mem);
  reg.ring_entries = 1;
  reg.bgid = 0xFFFF;
  bool ok = io_uring_register_buf_ring(&ring_, &reg, 0) == 0;
  if (ok) io_uring_unregister_buf_ring(&ring_, 0xFFFF);
  ::munmap(mem, 4096);
  return ok;
}

UringDriver::~UringDriver() {
  if (ring_ok_) io_uring_queue_exit(&ring_);
  if (event_fd_ >= 0) ::close(event_fd_);
  // The ring (and its buffer-ring registrations) is gone: free the memory.
  for (BufGroup& g : groups_) {
    ::munmap(g.ring, g.ring_bytes);
    std::free(g.data);
  }
}

const UringDriver::BufGroup* UringDriver::find_group(uint16_t bgid) const {
  for (const BufGroup& g : groups_) {
    if (g.bgid == bgid) return &g;
  }
  return nullptr;
}

int UringDriver::setup_buf_group(uint16_t bgid, unsigned count, size_t size) {
  if (!feat_.buf_ring) return -EOPNOTSUPP;
  if (count == 0 || count > 32768 || (count & (count - 1)) != 0 || size == 0 ||
      size > (1u << 20) || find_group(bgid) != nullptr) {
    return -EINVAL;
  }
  BufGroup g;
  g.bgid = bgid;
  g.count = count;
  g.size = size;
  g.ring_bytes = (count * sizeof(io_uring_buf) + 4095) & ~size_t{4095};
  void* mem = ::mmap(nullptr, g.ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                     -1, 0);
  if (mem == MAP_FAILED) return -errno;
  g.ring = static_cast<io_uring_buf_ring*>(mem);
  g.data = static_cast<std::byte*>(std::aligned_alloc(4096, (count * size + 4095) & ~size_t{4095}));
  if (g.data == nullptr) {
    ::munmap(mem, g.ring_bytes);
    return -ENOMEM;
  }
  io_uring_buf_reg reg{};
  reg.ring_addr = reinterpret_cast<uint64_t>(g.ring);
  reg.ring_entries = count;
  reg.bgid = bgid;
  int r = io_uring_register_buf_ring(&ring_, &reg, 0);
  if (r < 0) {
    ::munmap(mem, g.ring_bytes);
    std::free(g.data);
    return r;
  }
  io_uring_buf_ring_init(g.ring);
  const int mask = io_uring_buf_ring_mask(count);
  for (unsigned i = 0; i < count; ++i) {
    io_uring_buf_ring_add(g.ring, g.data + i * size, unsigned(size), uint16_t(i), mask, int(i));
  }
  io_uring_buf_ring_advance(g.ring, int(count));
  groups_.push_back(g);
  return 0;
}

std::byte* UringDriver::buf_group_data(uint16_t bgid, uint16_t bid) const {
  const BufGroup* g = find_group(bgid);
  if (g == nullptr || bid >= g->count) return nullptr;
  return g->data + size_t(bid) * g->size;
}

void UringDriver::recycle_buffer(uint16_t bgid, uint16_t bid) {
  const BufGroup* g = find_group(bgid);
  if (g == nullptr || bid >= g->count) return;
  io_uring_buf_ring_add(g->ring, g->data + size_t(bid) * g->size, unsigned(g->size), bid,
                        io_uring_buf_ring_mask(g->count), 0);
  io_uring_buf_ring_advance(g->ring, 1);
}

bool UringDriver::register_buffer_arena(void* base, size_t len) {
  if (!feat_.registered_buffers || arena_len_ != 0 || base == nullptr || len == 0) return false;
  iovec iov{base, len};
  // Refusal (ENOMEM under RLIMIT_MEMLOCK, EFAULT...) is not an error for the
  // caller: ops keep using plain READ/WRITE on the same memory.
  if (io_uring_register_buffers(&ring_, &iov, 1) < 0) return false;
  arena_ = static_cast<std::byte*>(base);
  arena_len_ = len;
  return true;
}

void UringDriver::prepare(Op* op) {
  ++in_flight_;
  op->state = OpState::Queued;
  if (backlog_head_ != nullptr || !start(op)) push_backlog(op);
}

bool UringDriver::start(Op* op) {
  const OpCode c = op->code;
  if (size_t(c) >= size_t(OpCode::kCount)) {  // not an opcode: fail the op, not us
    op->state = OpState::InFlight;
    local_.emplace_back(op, -EINVAL);
    return true;
  }
  if (op->force_blocking || !feat_.opcode[size_t(c)]) return start_without_opcode(op);
  if (c == OpCode::Recv && op->multishot &&
      (!feat_.multishot_recv || find_group(uint16_t(op->args.mask)) == nullptr)) {
    // Multishot recv needs a provided buffer group; without one it cannot run.
    op->state = OpState::InFlight;
    local_.emplace_back(op, -EOPNOTSUPP);
    return true;
  }
  if (c == OpCode::SyncFileRange && op->args.len > UINT32_MAX) {
    // The SQE's len field is 32-bit; a larger range runs as the syscall.
    op->state = OpState::InFlight;
    offload(op);
    return true;
  }
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return false;
  OpArgs a = op->args;
  // The kernel caps one transfer at MAX_RW_COUNT anyway; clamping keeps a
  // huge length a short transfer instead of wrapping in the 32-bit SQE field.
  if (c == OpCode::Read || c == OpCode::Write || c == OpCode::Recv || c == OpCode::Send) {
    a.len = std::min<uint64_t>(a.len, 0x7ffff000);
  }
  switch (c) {
    case OpCode::Nop: io_uring_prep_nop(sqe); break;
    case OpCode::Read:
    case OpCode::Write: {
      auto* p = static_cast<std::byte*>(a.addr);
      const bool fixed = arena_len_ != 0 && p >= arena_ && a.len <= arena_len_ &&
                         size_t(p - arena_) <= arena_len_ - a.len;
      if (fixed) {
        ++fixed_io_;
        if (c == OpCode::Read) {
          io_uring_prep_read_fixed(sqe, a.fd, a.addr, unsigned(a.len), a.off, 0);
        } else {
          io_uring_prep_write_fixed(sqe, a.fd, a.addr, unsigned(a.len), a.off, 0);
        }
      } else if (c == OpCode::Read) {
        io_uring_prep_read(sqe, a.fd, a.addr, unsigned(a.len), a.off);
      } else {
        io_uring_prep_write(sqe, a.fd, a.addr, unsigned(a.len), a.off);
      }
      break;
    }
    case OpCode::Readv:
      io_uring_prep_readv(sqe, a.fd, static_cast<const iovec*>(a.addr), unsigned(a.len), a.off);
      break;
    case OpCode::Writev:
      io_uring_prep_writev(sqe, a.fd, static_cast<const iovec*>(a.addr), unsigned(a.len), a.off);
      break;
    case OpCode::Recv:
      if (op->multishot) {
        // Each CQE names the provided buffer it filled (kOpBufferSelected).
        io_uring_prep_recv_multishot(sqe, a.fd, nullptr, 0, int(a.flags));
        sqe->flags |= IOSQE_BUFFER_SELECT;
        sqe->buf_group = uint16_t(a.mask);
      } else {
        io_uring_prep_recv(sqe, a.fd, a.addr, a.len, int(a.flags));
      }
      break;
    case OpCode::Send:
      io_uring_prep_send(sqe, a.fd, a.addr, a.len, int(a.flags) | MSG_NOSIGNAL);
      break;
    case OpCode::RecvMsg:
      io_uring_prep_recvmsg(sqe, a.fd, static_cast<msghdr*>(a.addr), a.flags);
      break;
    case OpCode::SendMsg:
      io_uring_prep_sendmsg(sqe, a.fd, static_cast<const msghdr*>(a.addr), a.flags | MSG_NOSIGNAL);
      break;
    case OpCode::Accept:
      // Multishot when asked and available; otherwise a single-shot accept
      // whose one completion (no kOpMore) ends the op: callers re-arm.
      if (op->multishot && feat_.multishot_accept) {
        io_uring_prep_multishot_accept(sqe, a.fd, static_cast<sockaddr*>(a.addr),
                                       static_cast<socklen_t*>(a.addr2), int(a.flags));
      } else {
        io_uring_prep_accept(sqe, a.fd, static_cast<sockaddr*>(a.addr),
                             static_cast<socklen_t*>(a.addr2), int(a.flags));
      }
      break;
    case OpCode::Connect:
      io_uring_prep_connect(sqe, a.fd, static_cast<const sockaddr*>(a.addr), socklen_t(a.len));
      break;
    case OpCode::Shutdown: io_uring_prep_shutdown(sqe, a.fd, int(a.len)); break;
    case OpCode::Close: io_uring_prep_close(sqe, a.fd); break;
    case OpCode::OpenAt:
      io_uring_prep_openat(sqe, a.fd2, static_cast<const char*>(a.addr), int(a.flags), a.mode);
      break;
    case OpCode::Statx:
      io_uring_prep_statx(sqe, a.fd2, static_cast<const char*>(a.addr), int(a.flags), a.mask,
                          static_cast<struct statx*>(a.addr2));
      break;
    case OpCode::Fsync: io_uring_prep_fsync(sqe, a.fd, a.flags); break;
    case OpCode::SyncFileRange:
      io_uring_prep_rw(IORING_OP_SYNC_FILE_RANGE, sqe, a.fd, nullptr, unsigned(a.len), a.off);
      sqe->sync_range_flags = a.flags;
      break;
    case OpCode::Fallocate: io_uring_prep_fallocate(sqe, a.fd, int(a.mode), a.off, a.len); break;
    case OpCode::Ftruncate: io_uring_prep_rw(kOpFtruncate, sqe, a.fd, nullptr, 0, a.off); break;
    case OpCode::UnlinkAt:
      io_uring_prep_unlinkat(sqe, a.fd2, static_cast<const char*>(a.addr), int(a.flags));
      break;
    case OpCode::RenameAt:
      io_uring_prep_renameat(sqe, a.fd2, static_cast<const char*>(a.addr), a.fd,
                             static_cast<const char*>(a.addr2), a.flags);
      break;
    case OpCode::MkdirAt:
      io_uring_prep_mkdirat(sqe, a.fd2, static_cast<const char*>(a.addr), a.mode);
      break;
    case OpCode::LinkAt:
      io_uring_prep_linkat(sqe, a.fd2, static_cast<const char*>(a.addr), a.fd,
                           static_cast<const char*>(a.addr2), int(a.flags));
      break;
    case OpCode::SymlinkAt:
      io_uring_prep_symlinkat(sqe, static_cast<const char*>(a.addr), a.fd,
                              static_cast<const char*>(a.addr2));
      break;
    case OpCode::PollAdd: io_uring_prep_poll_add(sqe, a.fd, a.mask); break;
    case OpCode::Timeout:
      io_uring_prep_timeout(sqe, static_cast<__kernel_timespec*>(a.addr), 0, 0);
      break;
    case OpCode::Getdents:
    case OpCode::Custom:
    case OpCode::kCount:
      io_uring_prep_nop(sqe);  // unreachable: these are never ring ops
      break;
  }
  io_uring_sqe_set_data(sqe, op);
  op->state = OpState::InFlight;
  ++stats_.submitted;
  return true;
}

// An op the ring has no opcode for (or that must block). Sockets, pipes and
// ttys are served by readiness, as the epoll driver serves them: try the
// non-blocking syscall, and on EAGAIN wait for the fd with a POLL_ADD on the
// ring, then try again. Such an op is an ordinary ring op for cancel (the
// POLL_ADD is cancelled), so nothing blocks a pool thread waiting for a
// peer. Everything else (regular files, metadata, close...) always finishes
// on its own and runs on the blocking pool.
bool UringDriver::start_without_opcode(Op* op) {
  if (op->ready_wait) return arm_ready_poll(op);  // re-arm left in the backlog
  bool readiness = !op->force_blocking && op_waits_for_readiness(*op);
  if (!op->force_blocking && !readiness &&
      (op->code == OpCode::Read || op->code == OpCode::Write || op->code == OpCode::Readv ||
       op->code == OpCode::Writev)) {
    const int pollable = fd_is_pollable(op->args.fd);
    if (pollable < 0) {
      op->state = OpState::InFlight;
      local_.emplace_back(op, pollable);
      return true;
    }
    readiness = pollable != 0;
  }
  if (!readiness) {
    op->state = OpState::InFlight;
    offload(op);
    return true;
  }
  return start_readiness(op);
}

bool UringDriver::start_readiness(Op* op) {
  if (op->code == OpCode::Recv && op->multishot) {
    // Multishot recv needs the ring's provided buffers (see start()).
    op->state = OpState::InFlight;
    local_.emplace_back(op, -EOPNOTSUPP);
    return true;
  }
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return false;
  if (op->code == OpCode::Connect) {
    // connect() itself starts the handshake (the SQE was taken first, so a
    // started connect never goes back to the backlog to be tried again).
    // A blocking connect can only finish by blocking: the pool does that.
    int32_t r = -ENOTSUP;
    if (fd_nonblocking(op->args.fd)) r = execute_sync(*op);
    if (r != -EINPROGRESS) {
      io_uring_prep_nop(sqe);  // nobody waits for it
      io_uring_sqe_set_data64(sqe, kIgnoreTag);
      op->state = OpState::InFlight;
      if (r == -ENOTSUP) {
        offload(op);
      } else {
        local_.emplace_back(op, r);  // done at once (a unix socket, refused...)
      }
      return true;
    }
    // Writable once the handshake ended; SO_ERROR then tells how.
  }
  // Poll first, syscall on readiness: a POLL_ADD on a ready fd completes at
  // submit, and its CQE is reaped by the next poll(), as a ring op's would
  // be. So a handler that re-arms on a ready fd sees the result a loop turn
  // later, never in the same dispatch pass (libuv's one round per wake-up).
  prep_ready_poll(sqe, op);
  return true;
}

void UringDriver::prep_ready_poll(io_uring_sqe* sqe, Op* op) {
  const uint32_t events = op_readiness_events(*op);
  io_uring_prep_poll_add(sqe, op->args.fd, events);
  io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(op) | kReadyBit);
  op->ready_wait = true;
  op->state = OpState::InFlight;
  ++stats_.submitted;
}

bool UringDriver::arm_ready_poll(Op* op) {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return false;
  prep_ready_poll(sqe, op);
  return true;
}

// The fd of a readiness-served op is ready (or the POLL_ADD failed or was
// cancelled). Try the syscall; on EAGAIN (someone else took the data, a
// spurious wake-up) wait again.
void UringDriver::on_ready(Op* op, int32_t res) {
  op->ready_wait = false;
  if (res >= 0 && op->cancel_requested) res = -ECANCELED;  // don't consume data now
  if (res >= 0) {
    res = try_without_blocking(*op);
    if (res == -EAGAIN) {
      op->ready_wait = true;
      if (backlog_head_ != nullptr || !arm_ready_poll(op)) {
        op->state = OpState::Queued;  // cancel() withdraws it from the backlog
        push_backlog(op);
      }
      return;
    }
  }
  finish(op, res, 0);
}

void UringDriver::offload(Op* op) {
  ++stats_.offloaded;
  if (offload_) {
    offload_(op);
  } else {
    local_.emplace_back(op, -EOPNOTSUPP);
  }
}

void UringDriver::push_backlog(Op* op) {
  ++stats_.backlogged;
  op->next = nullptr;
  if (backlog_tail_) {
    backlog_tail_->next = op;
  } else {
    backlog_head_ = op;
  }
  backlog_tail_ = op;
}

void UringDriver::flush_backlog() {
  while (!cancel_backlog_.empty()) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) return;
    io_uring_prep_cancel64(sqe, cancel_target(cancel_backlog_.back()), 0);
    io_uring_sqe_set_data64(sqe, kIgnoreTag);
    cancel_backlog_.pop_back();
  }
  while (backlog_head_ != nullptr) {
    Op* op = backlog_head_;
    if (!start(op)) return;
    backlog_head_ = op->next;
    if (backlog_head_ == nullptr) backlog_tail_ = nullptr;
    op->next = nullptr;
  }
}

void UringDriver::cancel(Op* op) {
  op->cancel_requested = true;
  if (op->state == OpState::Queued) {
    // Still in the backlog: the kernel never saw it.
    Op** link = &backlog_head_;
    Op* prev = nullptr;
    while (*link != nullptr && *link != op) {
      prev = *link;
      link = &(*link)->next;
    }
    if (*link == op) {
      *link = op->next;
      if (backlog_tail_ == op) backlog_tail_ = prev;
      op->next = nullptr;
      op->state = OpState::InFlight;
      op->ready_wait = false;
      local_.emplace_back(op, -ECANCELED);
    }
    return;
  }
  if (op->state != OpState::InFlight) return;
  // Not on the ring (blocking pool, result queued locally, or failed as an
  // invalid opcode), unless it waits for readiness on a POLL_ADD.
  if ((size_t(op->code) >= size_t(OpCode::kCount) || !feat_.opcode[size_t(op->code)] ||
       op->force_blocking) &&
      !op->ready_wait) {
    return;
  }
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) {
    cancel_backlog_.push_back(op);
    return;
  }
  io_uring_prep_cancel64(sqe, cancel_target(op), 0);
  io_uring_sqe_set_data64(sqe, kIgnoreTag);
}

// What to cancel for `op`: its own SQE, or the POLL_ADD it waits on.
uint64_t UringDriver::cancel_target(const Op* op) {
  return reinterpret_cast<uint64_t>(op) | (op->ready_wait ? kReadyBit : 0);
}

int UringDriver::enter_enabled() {
  if (enabled_) return 0;
  // Raw register call: Debian's liburing 2.3 declares io_uring_enable_rings
  // but its shared library does not export it. The calling thread becomes
  // the ring's single issuer.
  if (::syscall(__NR_io_uring_register, ring_.ring_fd, IORING_REGISTER_ENABLE_RINGS, nullptr, 0) <
      0) {
    return -errno;
  }
  enabled_ = true;
  return 0;
}

bool UringDriver::needs_submit() const {
  // SQEs not yet entered, ops waiting for SQ space, results queued locally,
  // or no wake read armed (so wake() would not make the ring fd readable).
  return !enabled_ || !wake_armed_ || io_uring_sq_ready(&ring_) > 0 || backlog_head_ != nullptr ||
         !cancel_backlog_.empty() || !local_.empty();
}

void UringDriver::arm_wake() {
  if (wake_armed_) return;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return;  // retried next poll
  io_uring_prep_read(sqe, event_fd_, &wake_buf_, sizeof wake_buf_, 0);
  io_uring_sqe_set_data(sqe, &wake_op_);
  wake_armed_ = true;
}

void UringDriver::on_wake(Op* op, int32_t, uint32_t) {
  static_cast<UringDriver*>(op->owner)->wake_armed_ = false;
}

int UringDriver::submit_sq() {
  for (int tries = 0;; ++tries) {
    int r = fake_busy_ > 0 ? (--fake_busy_, -EBUSY) : io_uring_submit(&ring_);
    // EBUSY: the kernel holds overflowed completions it cannot flush into a
    // full CQ and refuses new work. Make room by reaping, then retry. (With
    // IORING_FEAT_NODROP this is rare; bounded so a stuck ring can't spin.)
    if (r == -EBUSY && tries < 8) {
      // Completions dispatched here may have made tasks ready: poll() must
      // not then block as if nothing happened.
      reaped_in_submit_ += reap();
      continue;
    }
    if (r == -EINTR && tries < 8) continue;
    return r;
  }
}

int UringDriver::submit() {
  if (int e = enter_enabled(); e < 0) return e;
  flush_backlog();
  int r = submit_sq();
  if (r < 0) return r;
  flush_backlog();
  return r;
}

void UringDriver::wake() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(event_fd_, &one, sizeof one);
}

// MSG_RING wake-up: post one CQE (user_data kIgnoreTag, so the target's reap
// skips it) into the target ring, which ends its wait. Our own CQE is
// skipped on success; on failure (target ring not enabled yet: EBADFD; its
// CQ overflowing) it comes back tagged with the target's address | 1 and
// reap() falls back to the target's eventfd. Submitted at once: the wake
// must not wait for the end of our turn.
bool UringDriver::wake_other(Driver& target) {
  if (!feat_.msg_ring || !enabled_) return false;
  auto* t = dynamic_cast<UringDriver*>(&target);
  if (t == nullptr || t == this) return false;
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  if (sqe == nullptr) return false;
  io_uring_prep_msg_ring(sqe, t->ring_.ring_fd, 0, kIgnoreTag, 0);
  sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
  io_uring_sqe_set_data64(sqe, reinterpret_cast<uint64_t>(t) | kMsgRingFailBit);
  int r = submit_sq();
  return r >= 0;  // (-EEXIST: not our issuer thread; the SQE goes with the next submit)
}

void UringDriver::post_completion(Op* op, int32_t res) {
  {
    std::lock_guard lk(posted_mu_);
    posted_.emplace_back(op, res);
  }
  has_posted_.store(true, std::memory_order_release);
  wake();
}

void UringDriver::finish(Op* op, int32_t res, uint32_t flags) {
  if ((flags & kOpMore) == 0) {
    --in_flight_;
    // A cancel still waiting for an SQE must not outlive its op: the slot may
    // be reused by a new op at the same address (user_data) right after.
    if (!cancel_backlog_.empty()) std::erase(cancel_backlog_, op);
  }
  ++stats_.completed;
  op_dispatch(op, res, flags);
}

// A kernel that lists an opcode in its probe may still reject a particular
// use of it at run time (-EINVAL / -EOPNOTSUPP: e.g. an fs without the
// operation, or a file type the ring path does not handle). Re-run that one
// op on the blocking pool, once (force_blocking keeps it there). Not for ops
// that wait for readiness (a pool thread would block or get EAGAIN), timeouts,
// multishot, or ops being cancelled — their error is the answer.
bool UringDriver::retry_on_pool(Op* op, int32_t res, uint32_t flags) {
  if (res != -EINVAL && res != -EOPNOTSUPP) return false;
  if ((flags & kOpMore) != 0 || op->force_blocking || op->multishot || op->cancel_requested) {
    return false;
  }
  if (op->code == OpCode::Timeout || op->code == OpCode::Nop || op_waits_for_readiness(*op) ||
      !offload_) {
    return false;
  }
  op->force_blocking = true;
  offload(op);
  return true;
}

int UringDriver::dispatch_local() {
  int n = 0;
  if (has_posted_.load(std::memory_order_acquire)) {
    std::vector<std::pair<Op*, int32_t>> batch;
    {
      std::lock_guard lk(posted_mu_);
      batch.swap(posted_);
      has_posted_.store(false, std::memory_order_relaxed);
    }
    for (auto [op, res] : batch) {
      finish(op, res, 0);
      ++n;
    }
  }
  while (!local_.empty()) {
    std::vector<std::pair<Op*, int32_t>> batch;
    batch.swap(local_);
    for (auto [op, res] : batch) {
      finish(op, res, 0);
      ++n;
    }
  }
  return n;
}

int UringDriver::reap() {
  int n = 0;
  io_uring_cqe* cqes[128];
  for (;;) {
    if (IO_URING_READ_ONCE(*ring_.sq.kflags) & IORING_SQ_CQ_OVERFLOW) {
      // The CQ was full and the kernel kept completions aside (NODROP).
      // Ask it to flush them into the CQ; the loop drains them.
      ++stats_.cq_overflows;
      io_uring_get_events(&ring_);
    }
    unsigned got = io_uring_peek_batch_cqe(&ring_, cqes, 128);
    if (got == 0) break;
    struct Cqe {
      uint64_t data;
      int32_t res;
      uint32_t flags;
    } batch[128];
    for (unsigned i = 0; i < got; ++i) {
      batch[i] = {cqes[i]->user_data, cqes[i]->res, cqes[i]->flags};
    }
    // Free the CQ slots before dispatching: handlers may submit new work.
    io_uring_cq_advance(&ring_, got);
    for (unsigned i = 0; i < got; ++i) {
      const Cqe& c = batch[i];
      if (c.data == kIgnoreTag || c.data == LIBURING_UDATA_TIMEOUT) continue;
      if (c.data & (kMsgRingFailBit | kReadyBit)) {  // one test on the hot path
        if (c.data & kMsgRingFailBit) {  // our MSG_RING wake failed: use the eventfd
          reinterpret_cast<UringDriver*>(c.data & ~kMsgRingFailBit)->wake();
        } else {  // readiness for an op the ring has no opcode for
          on_ready(reinterpret_cast<Op*>(c.data & ~kReadyBit), c.res);
          ++n;
        }
        continue;
      }
      auto* op = reinterpret_cast<Op*>(c.data);
      if (op == &wake_op_) {
        op_dispatch(op, c.res, c.flags);
        continue;
      }
      int32_t res = c.res;
      if (fake_reject_ == int(op->code) && (c.flags & IORING_CQE_F_MORE) == 0) {
        fake_reject_ = -1;
        res = -EOPNOTSUPP;
      }
      if (retry_on_pool(op, res, c.flags)) continue;
      // A detached op's selected buffer has no reader: hand it back now.
      if ((c.flags & IORING_CQE_F_BUFFER) && op->detached) {
        recycle_buffer(uint16_t(op->args.mask), uint16_t(c.flags >> IORING_CQE_BUFFER_SHIFT));
      }
      // Raw CQE flags: kOpMore == IORING_CQE_F_MORE, buffer id for recv.
      finish(op, res, c.flags);
      ++n;
    }
  }
  return n;
}

int UringDriver::poll(int64_t timeout_ns) {
  if (int e = enter_enabled(); e < 0) return e;
  arm_wake();
  flush_backlog();
  // Never block with work still in the backlog or the wake read unarmed (a
  // full SQ): an op stuck in the backlog behind long-running reads would
  // wait forever, and wake()/post_completion() could not interrupt us. The
  // SQ is consumed at submit time, so submit-and-refill until all is out.
  while (backlog_head_ != nullptr || !cancel_backlog_.empty() || !wake_armed_) {
    int r = submit_sq();
    if (r == -EEXIST) return -EEXIST;
    if (r <= 0) break;
    arm_wake();
    flush_backlog();
  }
  int n = dispatch_local() + std::exchange(reaped_in_submit_, 0);
  if (n > 0 || !local_.empty()) timeout_ns = 0;
  int r = 0;
  if (timeout_ns == 0) {
    // A non-blocking poll with nothing to submit needs no io_uring_enter when
    // completions reach the CQ by themselves: without DEFER_TASKRUN and
    // COOP_TASKRUN the kernel runs completion task work on its own (it
    // signals the task), so peeking the CQ in reap() sees everything an
    // enter would. An overflow or pending task work (flagged in sq.kflags)
    // still takes the enter. This is what keeps an idle uv_run(NOWAIT) turn
    // syscall-free, as libuv's is when it watches no fd.
    const bool self_posting = !feat_.defer_taskrun && !feat_.coop_taskrun;
    const unsigned pending_flags = IORING_SQ_CQ_OVERFLOW | IORING_SQ_TASKRUN;
    if (self_posting && io_uring_sq_ready(&ring_) == 0 &&
        (IO_URING_READ_ONCE(*ring_.sq.kflags) & pending_flags) == 0) {
      r = 0;
    } else {
      r = io_uring_submit_and_get_events(&ring_);
    }
  } else {
    io_uring_cqe* cqe = nullptr;
    if (timeout_ns < 0) {
      r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, nullptr, nullptr);
    } else {
      __kernel_timespec ts{};
      ts.tv_sec = timeout_ns / 1'000'000'000;
      ts.tv_nsec = timeout_ns % 1'000'000'000;
      r = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, &ts, nullptr);
    }
  }
  // EEXIST: this thread is not the ring's single issuer (see header). The
  // kernel refused to submit or run completions; report it, lose nothing.
  if (r == -EEXIST) return n > 0 ? n : -EEXIST;
  n += reap();
  n += dispatch_local();
  flush_backlog();
  // Ops started from completion handlers (and EBUSY leftovers) go out now,
  // not a turn later.
  if (io_uring_sq_ready(&ring_) > 0) {
    r = submit_sq();
    if (r == -EEXIST && n == 0) return -EEXIST;
  }
  return n;
}

}  // namespace veloq
