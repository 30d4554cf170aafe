// The epoll driver under a Worker, driven by coroutines through IoOp:
// echo over sockets, accept/connect, file ops on the blocking pool, task
// abort cancelling a waiting recv, timeouts, many ops in flight.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/time_types.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;
using Clock = std::chrono::steady_clock;

namespace {

WorkerOptions epoll_opts(Backend b = Backend::Epoll) {
  WorkerOptions o;
  o.driver.backend = b;
  return o;
}
// Results must match the ring's: the same coroutine runs on both backends.
constexpr Backend kBoth[] = {Backend::Epoll, Backend::Uring};

Task<int32_t> send_str(int fd, std::string s) {
  IoOp op(OpCode::Send);
  op->buf = FixedBuf::copy_of(s);
  op->args.fd = fd;
  op->args.addr = op->buf.data();
  op->args.len = s.size();
  co_return co_await op;
}

Task<std::string> recv_str(int fd, size_t max) {
  IoOp op(OpCode::Recv);
  op->buf = FixedBuf::allocate(max);
  op->args.fd = fd;
  op->args.addr = op->buf.data();
  op->args.len = max;
  int32_t r = co_await op;
  if (r < 0) co_return "error:" + std::to_string(-r);
  co_return std::string(reinterpret_cast<const char*>(op->buf.data()), size_t(r));
}

Task<int> echo_once(int fd) {
  std::string s = co_await recv_str(fd, 64);
  co_return co_await send_str(fd, s);
}

Task<std::string> socketpair_echo(int a, int b) {
  auto server = spawn_local(echo_once(b));
  co_await send_str(a, "marco");
  std::string back = co_await recv_str(a, 64);
  auto sent = co_await server;
  if (!sent || *sent != 5) co_return "server failed";
  co_return back;
}

Task<int> accept_one(int lfd) {
  IoOp op(OpCode::Accept);
  op->args.fd = lfd;
  op->args.flags = SOCK_NONBLOCK | SOCK_CLOEXEC;
  co_return co_await op;
}

Task<int> connect_to(int fd, sockaddr_in addr) {
  IoOp op(OpCode::Connect);
  auto* sa = reinterpret_cast<sockaddr_in*>(op->own_bytes(sizeof addr));
  *sa = addr;
  op->args.fd = fd;
  op->args.addr = sa;
  op->args.len = sizeof addr;
  co_return co_await op;
}

Task<std::string> tcp_roundtrip(int lfd, sockaddr_in addr) {
  auto acc = spawn_local(accept_one(lfd));
  int c = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int r = co_await connect_to(c, addr);
  if (r != 0) co_return "connect:" + std::to_string(r);
  auto s = co_await acc;
  if (!s || *s < 0) co_return "accept failed";
  co_await send_str(c, "over tcp");
  std::string got = co_await recv_str(*s, 64);
  ::close(*s);
  ::close(c);
  co_return got;
}

struct FileResults {
  int open = -1, write = -1, fsync = -1, statx = -1, read = -1, close = -1, unlink = -1;
  uint64_t size = 0;
  std::string data;
};

Task<FileResults> file_ops(std::string path) {
  FileResults fr;
  {
    IoOp op(OpCode::OpenAt);
    op->args.fd2 = AT_FDCWD;
    op->own_path(path.c_str());
    op->args.flags = O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC;
    op->args.mode = 0600;
    fr.open = co_await op;
  }
  int fd = fr.open;
  {
    IoOp op(OpCode::Write);
    op->buf = FixedBuf::copy_of(std::string_view("pool-backed file io"));
    op->args.fd = fd;
    op->args.addr = op->buf.data();
    op->args.len = op->buf.len();
    op->args.off = 0;
    fr.write = co_await op;
  }
  {
    IoOp op(OpCode::Fsync);
    op->args.fd = fd;
    fr.fsync = co_await op;
  }
  {
    IoOp op(OpCode::Statx);
    auto* stx = reinterpret_cast<struct statx*>(op->own_bytes(sizeof(struct statx)));
    op->args.fd2 = AT_FDCWD;
    op->own_path(path.c_str());
    op->args.addr2 = stx;
    op->args.mask = STATX_SIZE;
    fr.statx = co_await op;
    fr.size = stx->stx_size;
  }
  {
    IoOp op(OpCode::Read);
    op->buf = FixedBuf::allocate(64);
    op->args.fd = fd;
    op->args.addr = op->buf.data();
    op->args.len = 64;
    op->args.off = 5;
    fr.read = co_await op;
    if (fr.read > 0) fr.data.assign(reinterpret_cast<const char*>(op->buf.data()), size_t(fr.read));
  }
  {
    IoOp op(OpCode::Close);
    op->args.fd = fd;
    fr.close = co_await op;
  }
  {
    IoOp op(OpCode::UnlinkAt);
    op->args.fd2 = AT_FDCWD;
    op->own_path(path.c_str());
    fr.unlink = co_await op;
  }
  co_return fr;
}

Task<int> nop_once() {
  IoOp op(OpCode::Nop);
  co_return co_await op;
}

Task<int> abort_waiting_recv(int fd) {
  auto h = spawn_local(recv_str(fd, 16));
  co_await nop_once();  // let the recv start and park on the fd
  h.abort();
  auto r = co_await h;
  co_return r.has_value() ? 0 : r.error().value();
}

Task<int64_t> sleep_ns(int64_t ns) {
  __kernel_timespec ts{ns / 1'000'000'000, ns % 1'000'000'000};
  IoOp op(OpCode::Timeout);
  auto* t = reinterpret_cast<__kernel_timespec*>(op->own_bytes(sizeof ts));
  *t = ts;
  op->args.addr = t;
  auto t0 = Clock::now();
  int r = co_await op;
  if (r != -ETIME) co_return -1;
  co_return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

Task<int> many_timeouts(int n) {
  // Long enough that none can fire before the count below, even on a loaded
  // machine under ASan (5 ms did, once: the count then read 310).
  constexpr int64_t kBase = 300'000'000;
  std::vector<JoinHandle<int64_t>> hs;
  for (int i = 0; i < n; ++i) hs.push_back(spawn_local(sleep_ns(kBase + (i % 10) * 100'000)));
  co_await nop_once();
  int inflight = int(Worker::current()->driver().in_flight());
  int ok = 0;
  for (auto& h : hs) {
    auto r = co_await h;
    if (r && *r >= kBase) ++ok;
  }
  co_return ok == n ? inflight : -ok;
}

}  // namespace

Test(driver_epoll_worker, socketpair_echo) {
  for (Backend b : kBoth) {
    Worker w(epoll_opts(b));
    if (b == Backend::Epoll) cr_assert_eq(w.backend(), Backend::Epoll);
    int sv[2];
    cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    std::string back = w.block_on(socketpair_echo(sv[0], sv[1]));
    cr_assert_eq(back, "marco");
    cr_assert_eq(w.ops().live(), 0u);
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

Test(driver_epoll_worker, tcp_accept_connect) {
  Worker w(epoll_opts());
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  cr_assert_eq(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t n = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &n);
  cr_assert_eq(::listen(lfd, 8), 0);
  std::string got = w.block_on(tcp_roundtrip(lfd, addr));
  cr_assert_eq(got, "over tcp");
  ::close(lfd);
}

Test(driver_epoll_worker, file_ops_on_blocking_pool) {
  for (Backend b : kBoth) {
    Worker w(epoll_opts(b));
    std::string path = "/tmp/veloq_epoll_file_" + std::to_string(::getpid());
    FileResults fr = w.block_on(file_ops(path));
    cr_assert_geq(fr.open, 0);
    cr_assert_eq(fr.write, 19);
    cr_assert_eq(fr.fsync, 0);
    cr_assert_eq(fr.statx, 0);
    cr_assert_eq(fr.size, 19u);
    cr_assert_eq(fr.read, 14);
    cr_assert_eq(fr.data, "backed file io");
    cr_assert_eq(fr.close, 0);
    cr_assert_eq(fr.unlink, 0);
    if (w.backend() == Backend::Epoll) {
      cr_assert_geq(w.driver().stats().offloaded, 7u, "file ops did not go to the pool");
    }
  }
}

Test(driver_epoll_worker, abort_cancels_waiting_recv) {
  for (Backend b : kBoth) {
    Worker w(epoll_opts(b));
    int sv[2];
    cr_assert_eq(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
    int e = w.block_on(abort_waiting_recv(sv[0]));
    cr_assert_eq(e, ECANCELED);
    for (int i = 0; i < 5 && w.driver().in_flight() > 0; ++i) w.run_turn(false);
    cr_assert_eq(w.driver().in_flight(), 0u);
    cr_assert_eq(w.ops().live(), 0u, "cancelled op slot leaked");
    // Nothing was consumed by the cancelled recv.
    cr_assert_eq(::send(sv[1], "z", 1, 0), 1);
    char c;
    cr_assert_eq(::recv(sv[0], &c, 1, 0), 1);
    ::close(sv[0]);
    ::close(sv[1]);
  }
}

Test(driver_epoll_worker, timeout_not_early) {
  Worker w(epoll_opts());
  int64_t took = w.block_on(sleep_ns(15'000'000));
  cr_assert_geq(took, 15'000'000, "timeout fired after %lld ns", (long long)took);
}

Test(driver_epoll_worker, thousand_timeouts_in_flight) {
  Worker w(epoll_opts());
  int r = w.block_on(many_timeouts(1000));
  cr_assert_geq(r, 1000, "in flight %d (negative: only -r timeouts were correct)", r);
  cr_assert_eq(w.ops().live(), 0u);
}
