// bench_util.hpp -- what the bench/core programs (Veloq's C++ API) share.
//
// Same flags, result line and exit codes as the uv programs (bench_util.h).
// The TCP workloads mirror bench/uv: the server (echo or byte sink) runs on
// its own thread with its own Worker, the client on the main thread's
// Worker, over 127.0.0.1. Coroutines are named functions only (g++ 12
// miscompiles coroutine lambdas).
#pragma once

#include <cstdio>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bench_util.h"
#include "core/runtime/worker.hpp"
#include "veloq/net.hpp"

namespace bench {

using namespace veloq;
using namespace veloq::net;

// The value of a Result, or exit 1 with what failed.
template <class T>
T check(const char* workload, Result<T> r, const char* what) {
  if (!r) bench_fail(workload, "%s: %s", what, r.error().message().c_str());
  if constexpr (!std::is_void_v<T>) return std::move(*r);
}

// TCP_NODELAY and the benchmark's congestion control (bench_tcp_tune);
// returns the congestion control the socket got.
inline const char* tune(const char* workload, TcpStream& s) {
  check(workload, s.set_nodelay(true), "nodelay");
  return bench_tcp_tune(s.fd());
}

enum class ServerMode { echo, sink };

// What the server saw; read after join().
struct ServerStats {
  uint64_t bytes = 0;     // received (sink)
  uint64_t first_ns = 0;  // first byte received (sink)
  uint64_t last_ns = 0;   // last byte received (sink)
};

inline Task<void> echo_conn(TcpStream s) {
  FixedBuf buf = FixedBuf::allocate(BENCH_ECHO_BUF);
  for (;;) {
    auto [n, back] = co_await s.read(std::move(buf));
    if (!n || *n == 0) co_return;
    auto [w, back2] = co_await s.write_all(std::move(back));
    if (!w) co_return;
    buf = std::move(back2);
  }
}

inline Task<void> sink_conn(TcpStream s, ServerStats* st) {
  FixedBuf buf = FixedBuf::allocate(BENCH_PUMP_CHUNK);
  for (;;) {
    auto [n, back] = co_await s.read(std::move(buf));
    if (!n || *n == 0) co_return;
    uint64_t now = bench_now_ns();
    if (st->bytes == 0) st->first_ns = now;
    st->last_ns = now;
    st->bytes += *n;
    buf = std::move(back);
  }
}

// Accept `conns` connections, serve each in its own task, wait for all.
inline Task<void> serve(const char* workload, TcpListener* l, ServerMode mode, long conns, ServerStats* st) {
  std::vector<JoinHandle<void>> tasks;
  for (long i = 0; i < conns; ++i) {
    auto a = check(workload, co_await l->accept(), "accept");
    (void)tune(workload, a.stream);
    if (mode == ServerMode::echo) tasks.push_back(spawn_local(echo_conn(std::move(a.stream)), "echo"));
    else tasks.push_back(spawn_local(sink_conn(std::move(a.stream), st), "sink"));
  }
  for (auto& t : tasks) (void)co_await t;
}

// The server, listening on 127.0.0.1:<port>: on its own thread and Worker,
// or (one_loop) as a task on the calling thread's Worker.
class Server {
 public:
  Server(const char* workload, ServerMode mode, long conns, bool one_loop)
      : listener_(check(workload, TcpListener::bind(SocketAddr::ipv4_loopback(0)), "bind")),
        addr_(check(workload, listener_.local_addr(), "local_addr")) {
    if (one_loop) task_ = spawn_local(serve(workload, &listener_, mode, conns, &stats_), "server");
    else thread_ = std::thread(&Server::run, this, workload, mode, conns);
  }
  SocketAddr addr() const { return addr_; }
  // After the clients closed: wait for the server to see every EOF.
  Task<const ServerStats*> join() {
    if (thread_.joinable()) thread_.join();
    else (void)co_await task_;
    co_return &stats_;
  }

 private:
  void run(const char* workload, ServerMode mode, long conns) {
    Worker w;
    w.block_on(serve(workload, &listener_, mode, conns, &stats_));
  }
  TcpListener listener_;
  SocketAddr addr_;
  ServerStats stats_;
  JoinHandle<void> task_;
  std::thread thread_;
};

// Which backend this process's Workers use (uring / epoll).
inline const char* backend() {
  Worker* w = Worker::current();
  return w != nullptr ? backend_name(w->backend()) : "?";
}

// main() of a core program: parse the flags over `a` (defaults) and `smoke`,
// then run the workload on this thread's Worker.
inline int main_with(int argc, char** argv, bench_args a, const bench_args& smoke,
                     Task<int> (*run)(const bench_args*)) {
  bench_parse(argc, argv, &a, &smoke);
  Worker w;
  return w.block_on(run(&a));
}

}  // namespace bench
