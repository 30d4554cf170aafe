// asio_util.hpp -- shared code of the Asio peer programs (bench/asio).
//
// Standalone Asio 1.22 (Debian libasio-dev) with its io_uring backend for
// sockets (ASIO_HAS_IO_URING + ASIO_DISABLE_EPOLL, set by CMake): the C++
// peer Veloq's core API is compared with. Same flags and result line as every
// other program (bench/uv/bench_util.h). Coroutines are named functions (g++
// 12 mishandles coroutine lambdas).
#pragma once

#include <asio.hpp>
#include <cstring>
#include <thread>

#include "bench_util.h"

namespace abench {

using asio::awaitable;
using asio::ip::tcp;
using asio::use_awaitable;

// The TCP server: an echo server or a byte-counting sink, on its own thread
// and io_context, or (one_loop) on the client's. It accepts `conns`
// connections, then stops accepting; it is done when each one saw EOF.
struct Server {
  enum Mode { echo, sink };
  Mode mode;
  long conns;
  const char* workload;
  asio::io_context own;
  asio::io_context& ctx;
  tcp::acceptor acceptor;
  std::thread thread;
  // sink results
  uint64_t bytes = 0, first_ns = 0, last_ns = 0;

  Server(const char* w, Mode m, long n, asio::io_context* shared)
      : mode(m), conns(n), workload(w), own(1), ctx(shared != nullptr ? *shared : own),
        acceptor(ctx, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(ctx, accept_all(this), asio::detached);
    if (shared == nullptr) thread = std::thread([this] { own.run(); });
  }
  uint16_t port() const { return acceptor.local_endpoint().port(); }
  void join() {
    if (thread.joinable()) thread.join();
  }

  static awaitable<void> session(Server* s, tcp::socket sock) {
    sock.set_option(tcp::no_delay(true));
    (void)bench_tcp_tune(sock.native_handle());
    static thread_local char sink_buf[BENCH_PUMP_CHUNK];
    char echo_buf[BENCH_ECHO_BUF];
    for (;;) {
      char* buf = s->mode == sink ? sink_buf : echo_buf;
      size_t cap = s->mode == sink ? sizeof sink_buf : sizeof echo_buf;
      asio::error_code ec;
      size_t n = co_await sock.async_read_some(asio::buffer(buf, cap), asio::redirect_error(use_awaitable, ec));
      if (ec == asio::error::eof) break;
      if (ec) bench_fail(s->workload, "server read: %s", ec.message().c_str());
      if (s->mode == sink) {
        uint64_t now = bench_now_ns();
        if (s->bytes == 0) s->first_ns = now;
        s->last_ns = now;
        s->bytes += n;
      } else {
        co_await asio::async_write(sock, asio::buffer(buf, n), use_awaitable);
      }
    }
  }

  static awaitable<void> accept_all(Server* s) {
    for (long i = 0; i < s->conns; ++i) {
      tcp::socket sock = co_await s->acceptor.async_accept(use_awaitable);
      asio::co_spawn(s->ctx, session(s, std::move(sock)), asio::detached);
    }
    s->acceptor.close();
  }
};

// Connect to 127.0.0.1:port with the benchmark's socket options.
inline awaitable<tcp::socket> connect_to(uint16_t port, const char** cc) {
  tcp::socket sock(co_await asio::this_coro::executor);
  co_await sock.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), use_awaitable);
  sock.set_option(tcp::no_delay(true));
  *cc = bench_tcp_tune(sock.native_handle());
  co_return sock;
}

// Run `body` as the main coroutine; an exception is a failure (exit 1).
inline int run_main(const char* workload, asio::io_context& ctx, awaitable<int> body) {
  int rc = BENCH_FAIL;
  asio::co_spawn(ctx, std::move(body), [&](std::exception_ptr e, int r) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        bench_fail(workload, "%s", x.what());
      }
    }
    rc = r;
  });
  ctx.run();
  return rc;
}

}  // namespace abench
