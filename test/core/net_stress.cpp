// Resource stress: fd exhaustion (EMFILE) and recovery, ~10,000 concurrent
// loopback connections on one worker, and a cancel storm of aborted
// accepts/connects/reads/writes that must leave no fd and no op behind.
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "core/net/tcp.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "support/net_helpers.hpp"

using namespace veloq;
using namespace veloq::net;

namespace {

int raw_connect(const SocketAddr& addr) {
  int fd = ::socket(addr.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  cr_assert_geq(fd, 0);
  cr_assert_eq(::connect(fd, addr.as_sockaddr(), addr.len()), 0, "connect: %s", strerror(errno));
  return fd;
}

Task<void> fd_exhaustion() {
  auto l = TcpListener::bind(SocketAddr::ipv4_loopback(0), {.backlog = 64});
  cr_assert(l.has_value());
  SocketAddr addr = *l->local_addr();
  // Two connections wait in the listen queue (the handshake needs no accept).
  int c1 = raw_connect(addr);
  int c2 = raw_connect(addr);
  // Lower the soft limit just above the highest fd, then use up every slot.
  rlimit rl{};
  cr_assert_eq(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  rl.rlim_cur = rlim_t(test::highest_open_fd() + 8);
  cr_assert_eq(::setrlimit(RLIMIT_NOFILE, &rl), 0);
  std::vector<int> burned;
  for (;;) {
    int f = ::dup(l->fd());
    if (f < 0) {
      cr_assert_eq(errno, EMFILE);
      break;
    }
    burned.push_back(f);
  }
  auto a1 = co_await l->accept();
  cr_assert_not(a1.has_value(), "accept succeeded with no fd left");
  cr_assert_eq(a1.error().value(), EMFILE, "got %s", a1.error().message().c_str());
  auto c3 = co_await TcpStream::connect(addr);
  cr_assert(!c3 && c3.error().value() == EMFILE);
  auto u = TcpListener::bind(SocketAddr::ipv4_loopback(0));
  cr_assert(!u && u.error().value() == EMFILE);

  // One slot free: the listener serves again (the queued connection c1).
  ::close(burned.back());
  burned.pop_back();
  auto a2 = co_await l->accept();
  cr_assert(a2.has_value(), "accept after freeing a slot: %s", a2 ? "" : a2.error().message().c_str());
  auto a3 = co_await l->accept();
  cr_assert(!a3 && a3.error().value() == EMFILE);
  ::close(burned.back());
  burned.pop_back();
  auto a4 = co_await l->accept();
  cr_assert(a4.has_value());

  // Both accepted streams carry data to the right clients.
  auto [w2, b2] = co_await a2->stream.write_all(FixedBuf::copy_of("one"));
  auto [w4, b4] = co_await a4->stream.write_all(FixedBuf::copy_of("two"));
  cr_assert(w2 && w4);
  char buf[8] = {};
  cr_assert_eq(::recv(c1, buf, sizeof buf, 0), 3);
  cr_assert_str_eq(buf, "one");
  std::memset(buf, 0, sizeof buf);
  cr_assert_eq(::recv(c2, buf, sizeof buf, 0), 3);
  cr_assert_str_eq(buf, "two");
  for (int f : burned) ::close(f);
  ::close(c1);
  ::close(c2);
}

struct Concurrency {
  size_t target = 0;
  size_t connected = 0;
  size_t failed = 0;
  size_t echoed = 0;
  size_t bad_echo = 0;
  int first_error = 0;
  test::Gate all_connected;
};

Task<void> echo_client(SocketAddr addr, Concurrency* st, uint32_t id) {
  auto c = co_await TcpStream::connect(addr);
  if (!c) {
    if (st->first_error == 0) st->first_error = c.error().value();
    ++st->failed;
    co_return;
  }
  ++st->connected;
  co_await st->all_connected.wait();  // every connection is open at once
  auto [w, wb] = co_await c->write_all(test::pattern_buf(64, 0, id));
  if (!w) {
    ++st->bad_echo;
    co_return;
  }
  size_t got = 0;
  FixedBuf buf = FixedBuf::allocate(64);
  bool ok = true;
  while (got < 64) {
    auto [n, back] = co_await c->read(std::move(buf));
    if (!n || *n == 0) {
      ok = false;
      break;
    }
    ok = ok && test::check_pattern(back.filled(), got, id);
    got += *n;
    buf = std::move(back);
  }
  if (ok) {
    ++st->echoed;
  } else {
    ++st->bad_echo;
  }
}

// Server side: accept `n` connections, echo on each, and once all of them
// are open at once tell the client process (one byte on `go_fd`).
struct ServerSide {
  size_t accepted = 0;
  size_t finished = 0;
};

Task<void> echo_and_count(net::StreamSocket s, ServerSide* st) {
  (void)co_await test::echo_stream(std::move(s), 4096);
  ++st->finished;
}

Task<void> acceptor(TcpListener* l, ServerSide* st) {
  for (;;) {
    auto a = co_await l->accept();
    if (!a) break;
    ++st->accepted;
    (void)spawn_local(echo_and_count(std::move(a->stream), st), "echo");
  }
}

Task<void> serve_many(TcpListener* l, size_t n, int go_fd) {
  ServerSide st;
  auto server = spawn_local(acceptor(l, &st), "acceptor");
  // Connects complete from the listen queue; wait until all are accepted.
  for (int i = 0; i < 2'000'000 && st.accepted < n; ++i) co_await test::ring_turn();
  cr_assert_eq(st.accepted, n);
  size_t fds_open = test::count_open_fds();
  std::fprintf(stderr, "server: all %zu connections accepted and open (%zu fds open)\n", n,
               fds_open);
  cr_assert_geq(fds_open, n, "every accepted connection is open");
  char go = 1;
  cr_assert_eq(::write(go_fd, &go, 1), 1);
  // Each echo ends when its client closes after checking the echo.
  for (int i = 0; i < 2'000'000 && st.finished < n; ++i) co_await test::ring_turn();
  cr_assert_eq(st.finished, n);
  server.abort();
}

Task<int> wait_byte(int fd) {
  IoOp op(OpCode::Read);
  op->buf = FixedBuf::allocate(1);
  op->args.fd = fd;
  op->args.addr = op->buf.data();
  op->args.len = 1;
  op->args.off = ~uint64_t{0};
  co_return co_await op;
}

// Client side (forked child): open `n` connections, keep them all open until
// the server has seen every one, then echo on each and check the bytes.
// Returns a process exit code (asserts do not belong in the child).
Task<int> connect_many(SocketAddr addr, size_t n, int go_fd) {
  Concurrency st;
  st.target = n;
  std::vector<JoinHandle<void>> clients;
  clients.reserve(n);
  // Connect in waves so the listen queue (somaxconn) never overflows into
  // SYN retransmits; every connection stays open until the gate opens.
  constexpr size_t kWave = 500;
  for (size_t i = 0; i < n;) {
    size_t end = std::min(n, i + kWave);
    for (; i < end; ++i) clients.push_back(spawn_local(echo_client(addr, &st, uint32_t(i)), "client"));
    while (st.connected + st.failed < i) co_await test::ring_turn();
  }
  if (st.failed != 0 || st.connected != n) {
    std::fprintf(stderr, "client: %zu connects failed, first: %s\n", st.failed,
                 strerror(st.first_error));
    co_return 2;
  }
  if (co_await wait_byte(go_fd) != 1) co_return 3;
  st.all_connected.open();
  for (auto& h : clients) (void)co_await h;
  if (st.bad_echo != 0 || st.echoed != n) {
    std::fprintf(stderr, "client: %zu echoed, %zu bad\n", st.echoed, st.bad_echo);
    co_return 4;
  }
  co_return 0;
}

struct Storm {
  size_t accepted = 0;
  size_t connected = 0;
};

Task<void> storm_accept(TcpListener* l, Storm* st) {
  auto a = co_await l->accept();
  if (!a) co_return;
  ++st->accepted;
  // Blocks until aborted (the client never writes) or the client goes away.
  auto [n, b] = co_await a->stream.read(FixedBuf::allocate(64));
}

Task<void> storm_client(SocketAddr addr, Storm* st) {
  auto c = co_await TcpStream::connect(addr);
  if (!c) co_return;
  ++st->connected;
  auto [n, b] = co_await c->read(FixedBuf::allocate(64));
}

// Sends more than the socket buffers hold to a peer that never reads much:
// aborted with a SEND in flight, whose buffer the op must keep alive.
Task<void> storm_writer(SocketAddr addr, Storm* st) {
  auto c = co_await TcpStream::connect(addr);
  if (!c) co_return;
  ++st->connected;
  auto [w, b] = co_await c->write_all(test::pattern_buf(512 * 1024, 0, 3));
}

Task<void> cancel_storm(uint32_t seed) {
  auto l = TcpListener::bind(SocketAddr::ipv4_loopback(0), {.backlog = 4096});
  cr_assert(l.has_value());
  SocketAddr addr = *l->local_addr();
  Worker& w = *Worker::current();
  const size_t base_fds = test::count_open_fds();
  const size_t base_live = w.ops().live();
  std::mt19937 rng(seed);
  Storm st;
  std::vector<JoinHandle<void>> live;
  size_t spawned = 0, aborted = 0;
  for (int round = 0; round < 60; ++round) {
    int accepts = int(rng() % 60), connects = int(rng() % 60);
    for (int i = 0; i < accepts; ++i) live.push_back(spawn_local(storm_accept(&*l, &st)));
    for (int i = 0; i < connects; ++i) {
      live.push_back(i % 4 == 3 ? spawn_local(storm_writer(addr, &st))
                                : spawn_local(storm_client(addr, &st)));
    }
    spawned += size_t(accepts + connects);
    // Let a random amount of progress happen, then abort a random subset:
    // some tasks are mid-accept/connect, some mid-read, some finished.
    for (int t = int(rng() % 4); t > 0; --t) co_await test::ring_turn();
    std::vector<JoinHandle<void>> keep;
    for (auto& h : live) {
      if (rng() % 100 < 55) {
        if (!h.finished()) ++aborted;
        h.abort();
      } else {
        keep.push_back(std::move(h));
      }
    }
    live = std::move(keep);
  }
  for (auto& h : live) {
    if (!h.finished()) ++aborted;
    h.abort();
  }
  live.clear();
  // Cancellation completions arrive asynchronously: drive the worker until
  // every op is gone, bounded.
  size_t fds = 0, ops = 0;
  for (int i = 0; i < 20000; ++i) {
    co_await test::ring_turn();
    fds = test::count_open_fds();
    ops = w.ops().live();
    if (fds == base_fds && ops == base_live) break;
  }
  std::fprintf(stderr,
               "cancel storm seed=%u: %zu tasks, %zu aborted while pending, %zu accepted, "
               "%zu connected; fds %zu->%zu, live ops %zu->%zu\n",
               seed, spawned, aborted, st.accepted, st.connected, base_fds, fds, base_live, ops);
  cr_assert_gt(aborted, 1000u, "the storm should abort thousands of pending tasks");
  cr_assert_gt(st.accepted, 0u);
  cr_assert_eq(fds, base_fds, "fd leak after cancel storm");
  cr_assert_eq(ops, base_live, "op leak after cancel storm");
}

}  // namespace

Test(net_stress, fd_exhaustion_emfile_and_recovery) {
  Worker w;
  w.block_on(fd_exhaustion());
}

// 10,000 connections open at once, all echoing. The server (this process)
// and the clients (a forked child) each hold one end of every connection, so
// each process needs ~10,000 fds: it fits the usual 20,000 hard limit, which
// an unprivileged test cannot raise.
Test(net_stress, ten_thousand_connections, .timeout = 120) {
  constexpr size_t kWanted = 10000;
  size_t limit = test::raise_nofile(kWanted + 1024);
  size_t n = kWanted;
  if (kWanted + 1024 > limit) {
    n = limit - 1024;
    std::fprintf(stderr, "RLIMIT_NOFILE hard limit %zu: scaled down to %zu connections\n", limit,
                 n);
  }
  cr_assert_gt(n, 1000u, "fd limit too low for a meaningful test");
  auto l = TcpListener::bind(SocketAddr::ipv4_loopback(0), {.backlog = 4096});
  cr_assert(l.has_value());
  SocketAddr addr = *l->local_addr();
  int go[2];
  cr_assert_eq(::pipe2(go, O_CLOEXEC), 0);
  auto t0 = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  cr_assert_geq(pid, 0);
  if (pid == 0) {
    ::close(go[1]);
    int code = 5;
    {
      Worker cw;
      code = cw.block_on(connect_many(addr, n, go[0]));
    }
    ::_exit(code);
  }
  ::close(go[0]);
  {
    Worker w;
    w.block_on(serve_many(&*l, n, go[1]));
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "%zu concurrent connections echoed in %.2f s (backend=%s)\n", n, secs,
                 backend_name(w.backend()));
  }
  int status = 0;
  cr_assert_eq(::waitpid(pid, &status, 0), pid);
  cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "client process failed: status %d",
            status);
  ::close(go[1]);
}

Test(net_stress, cancel_storm_leaves_no_fd_or_op, .timeout = 120) {
  test::raise_nofile(20000);
  // A failing run prints its seed; VELOQ_STORM_SEED=N replays it.
  const char* env = std::getenv("VELOQ_STORM_SEED");
  uint32_t seed = env ? uint32_t(std::strtoul(env, nullptr, 10)) : uint32_t(std::random_device{}());
  Worker w;
  w.block_on(cancel_storm(seed));
}
