// Veloq uv extensions (include/veloq/uv_ext.h): one uv loop per core, posts
// between them, SO_REUSEPORT-sharded TCP listeners.
//
// Each core is a plain pinned thread that owns one uv_loop_t with a ring
// bound to it (loop_init_bound). It is not a core Runtime Worker: a uv loop
// has its own driver, run phases and handle queue, and a Worker's turn would
// have to become uv_run (divergence in docs/ARCHITECTURE.md §10). Posts go
// through a mutex-guarded queue per core and an internal uv_async_t, so they
// use the same wake path as uv_async_send (the driver's eventfd).
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include "compat_uv/internal.hpp"
#include "veloq/uv_ext.h"

using namespace veloq::uvc;

namespace {

struct Post {
  veloq_uv_post_cb cb;
  void* arg;
};

struct Core {
  veloq_uv_percore_s* pc = nullptr;
  unsigned index = 0;
  int cpu = -1;  // pinned to, or -1
  uv_loop_t loop{};
  uv_async_t wake{};
  std::thread thread;
  // Guards the fields below. uv_async_send runs under it too, so the wake
  // handle can't be closed (and the loop freed) between a sender's check and
  // its send.
  std::mutex mu;
  std::vector<Post> queue;
  bool wake_open = false;  // `wake` initialised and not yet closed
  bool stopping = false;   // stop requested: posts are refused from now on
  bool tore_down = false;  // loop thread only
  int close_result = 0;    // uv_loop_close's, written by the thread before it ends
};

thread_local const veloq_uv_percore_s* tl_pc = nullptr;
thread_local unsigned tl_core = 0;

// The CPUs this process may run on, in order.
std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) cpus.push_back(c);
  }
  return cpus;
}

}  // namespace

struct veloq_uv_percore_s {
  std::vector<std::unique_ptr<Core>> cores;
  veloq_uv_percore_cb setup = nullptr;
  veloq_uv_percore_cb teardown = nullptr;
  void* arg = nullptr;
  // Start-up: each thread reports once (0 or its error).
  std::mutex start_mu;
  std::condition_variable start_cv;
  unsigned started = 0;
  int start_err = 0;
  bool joined = false;
};

namespace {

void close_leftover(uv_handle_t* h, void*) {
  if (!uv_is_closing(h)) uv_close(h, nullptr);
}

// On the core's thread: run what is queued; once stop was asked and the
// queue is empty, tear the loop down (teardown cb, then close the rest).
void on_wake(uv_async_t* a) {
  Core* c = static_cast<Core*>(a->data);
  for (;;) {
    std::vector<Post> batch;
    bool stop = false;
    {
      std::lock_guard<std::mutex> lk(c->mu);
      batch.swap(c->queue);
      stop = c->stopping;
      if (batch.empty() && stop) c->wake_open = false;  // no send can reach `wake` after this
    }
    if (batch.empty()) {
      if (!stop || c->tore_down) return;
      c->tore_down = true;
      if (c->pc->teardown) c->pc->teardown(&c->loop, c->index, c->pc->arg);
      uv_walk(&c->loop, close_leftover, nullptr);  // `wake` included
      return;
    }
    for (const Post& p : batch) p.cb(&c->loop, p.arg);
    if (!stop) return;  // more posts wake us again; a stop rechecks below
  }
}

void report_start(veloq_uv_percore_s* pc, int err) {
  std::lock_guard<std::mutex> lk(pc->start_mu);
  pc->started++;
  if (err != 0 && pc->start_err == 0) pc->start_err = err;
  pc->start_cv.notify_all();
}

void core_main(Core* c) {
  veloq_uv_percore_s* pc = c->pc;
  if (c->cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(c->cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) c->cpu = -1;
  }
  tl_pc = pc;
  tl_core = c->index;
  int err = loop_init_bound(&c->loop);
  if (err != 0) {
    std::lock_guard<std::mutex> lk(c->mu);
    c->stopping = true;
    c->close_result = err;
    report_start(pc, err);
    return;
  }
  err = uv_async_init(&c->loop, &c->wake, on_wake);
  if (err == 0) {
    c->wake.data = c;
    if (pc->setup) pc->setup(&c->loop, c->index, pc->arg);
    std::lock_guard<std::mutex> lk(c->mu);
    c->wake_open = true;
    // Posts made before the handle existed, or a stop asked meanwhile.
    if (!c->queue.empty() || c->stopping) uv_async_send(&c->wake);
  }
  report_start(pc, err);
  if (err != 0) {
    uv_walk(&c->loop, close_leftover, nullptr);
    {
      std::lock_guard<std::mutex> lk(c->mu);
      c->stopping = true;
    }
  } else {
    // uv_stop() by the application ends one uv_run: run again until the stop.
    while (!c->tore_down) uv_run(&c->loop, UV_RUN_DEFAULT);
  }
  while (uv_run(&c->loop, UV_RUN_DEFAULT) != 0) {
  }
  int r = uv_loop_close(&c->loop);
  if (r == UV_EBUSY) {  // a request still finishing: one more run, then again
    uv_run(&c->loop, UV_RUN_DEFAULT);
    r = uv_loop_close(&c->loop);
  }
  c->close_result = err != 0 ? err : r;
}

void stop_all(veloq_uv_percore_s* pc) {
  for (auto& c : pc->cores) {
    std::lock_guard<std::mutex> lk(c->mu);
    if (c->stopping) continue;
    c->stopping = true;
    if (c->wake_open) uv_async_send(&c->wake);
  }
}

int join_all(veloq_uv_percore_s* pc) {
  stop_all(pc);
  int first = 0;
  for (auto& c : pc->cores) {
    if (c->thread.joinable()) c->thread.join();
    if (first == 0 && c->close_result != 0) first = c->close_result;
  }
  return first;
}

// A socket bound to `addr` with SO_REUSEADDR + SO_REUSEPORT; fd or -errno.
int reuseport_socket(const sockaddr* addr) {
  socklen_t len = 0;
  if (addr->sa_family == AF_INET)
    len = sizeof(sockaddr_in);
  else if (addr->sa_family == AF_INET6)
    len = sizeof(sockaddr_in6);
  else
    return -EINVAL;
  const int fd = ::socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  const int on = 1;
  if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
      ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0 || ::bind(fd, addr, len) != 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  return fd;
}

// One core's part of veloq_uv_tcp_listen_sharded, run on that core.
struct ShardJob {
  uv_tcp_t* handle;
  sockaddr_storage addr;
  int backlog;
  uv_connection_cb cb;
  std::mutex* mu;
  std::condition_variable* cv;
  unsigned* done;
  int result = 0;
};

void shard_listen_on_core(uv_loop_t* loop, void* arg) {
  ShardJob* j = static_cast<ShardJob*>(arg);
  int r = uv_tcp_init(loop, j->handle);
  if (r == 0) r = veloq_uv_tcp_bind_reuseport(j->handle, reinterpret_cast<const sockaddr*>(&j->addr));
  if (r == 0) r = uv_listen(reinterpret_cast<uv_stream_t*>(j->handle), j->backlog, j->cb);
  int len = sizeof j->addr;
  if (r == 0) r = uv_tcp_getsockname(j->handle, reinterpret_cast<sockaddr*>(&j->addr), &len);
  std::lock_guard<std::mutex> lk(*j->mu);
  j->result = r;
  ++*j->done;
  j->cv->notify_all();
}

}  // namespace

extern "C" {

int veloq_uv_percore_start(veloq_uv_percore_t** out, unsigned ncores, veloq_uv_percore_cb setup,
                           veloq_uv_percore_cb teardown, void* arg) {
  if (out == nullptr) return UV_EINVAL;
  *out = nullptr;
  const std::vector<int> cpus = allowed_cpus();
  if (ncores == 0) ncores = cpus.empty() ? 1u : static_cast<unsigned>(cpus.size());
  veloq_uv_percore_s* pc = new (std::nothrow) veloq_uv_percore_s();
  if (pc == nullptr) return UV_ENOMEM;
  pc->setup = setup;
  pc->teardown = teardown;
  pc->arg = arg;
  try {
    for (unsigned i = 0; i < ncores; ++i) {
      auto c = std::make_unique<Core>();
      c->pc = pc;
      c->index = i;
      c->cpu = cpus.empty() ? -1 : cpus[i % cpus.size()];
      pc->cores.push_back(std::move(c));
    }
  } catch (const std::bad_alloc&) {
    delete pc;
    return UV_ENOMEM;
  }
  *out = pc;  // before any setup runs, so setup may read it (thread start orders it)
  unsigned launched = 0;
  int err = 0;
  for (auto& c : pc->cores) {
    try {
      c->thread = std::thread(core_main, c.get());
      ++launched;
    } catch (const std::system_error& e) {
      err = e.code().value() > 0 ? -e.code().value() : UV_EAGAIN;
      break;
    }
  }
  {
    std::unique_lock<std::mutex> lk(pc->start_mu);
    pc->start_cv.wait(lk, [&] { return pc->started == launched; });
    if (err == 0) err = pc->start_err;
  }
  if (err != 0) {
    join_all(pc);
    delete pc;
    *out = nullptr;
    return err;
  }
  return 0;
}

unsigned veloq_uv_percore_count(const veloq_uv_percore_t* pc) {
  return pc == nullptr ? 0 : static_cast<unsigned>(pc->cores.size());
}

uv_loop_t* veloq_uv_percore_loop(veloq_uv_percore_t* pc, unsigned core) {
  if (pc == nullptr || core >= pc->cores.size()) return nullptr;
  return &pc->cores[core]->loop;
}

int veloq_uv_percore_cpu(const veloq_uv_percore_t* pc, unsigned core) {
  if (pc == nullptr || core >= pc->cores.size()) return -1;
  return pc->cores[core]->cpu;
}

int veloq_uv_percore_self(const veloq_uv_percore_t* pc) {
  if (pc == nullptr || tl_pc != pc) return -1;
  return static_cast<int>(tl_core);
}

int veloq_uv_post(veloq_uv_percore_t* pc, unsigned core, veloq_uv_post_cb cb, void* arg) {
  if (pc == nullptr || cb == nullptr || core >= pc->cores.size()) return UV_EINVAL;
  Core* c = pc->cores[core].get();
  std::lock_guard<std::mutex> lk(c->mu);
  if (c->stopping) return UV_ECANCELED;
  try {
    c->queue.push_back(Post{cb, arg});
  } catch (const std::bad_alloc&) {
    return UV_ENOMEM;
  }
  if (c->wake_open) uv_async_send(&c->wake);
  return 0;
}

int veloq_uv_percore_stop(veloq_uv_percore_t* pc) {
  if (pc == nullptr) return UV_EINVAL;
  stop_all(pc);
  return 0;
}

int veloq_uv_percore_join(veloq_uv_percore_t* pc) {
  if (pc == nullptr) return UV_EINVAL;
  if (tl_pc == pc) return UV_EBUSY;
  const int r = join_all(pc);
  delete pc;
  return r;
}

int veloq_uv_tcp_bind_reuseport(uv_tcp_t* handle, const struct sockaddr* addr) {
  if (handle == nullptr || addr == nullptr) return UV_EINVAL;
  uv_os_fd_t existing;
  if (uv_fileno(reinterpret_cast<uv_handle_t*>(handle), &existing) == 0) return UV_EBUSY;
  const int fd = reuseport_socket(addr);
  if (fd < 0) return fd;  // -errno is the UV_E* code on Linux
  const int r = uv_tcp_open(handle, fd);
  if (r != 0) ::close(fd);
  return r;
}

int veloq_uv_tcp_listen_sharded(veloq_uv_percore_t* pc, const struct sockaddr* addr, int backlog,
                                uv_tcp_t* handles, uv_connection_cb cb) {
  if (pc == nullptr || addr == nullptr || handles == nullptr || cb == nullptr) return UV_EINVAL;
  if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6) return UV_EINVAL;
  if (tl_pc == pc) return UV_EBUSY;
  std::mutex mu;
  std::condition_variable cv;
  unsigned done = 0;
  const unsigned n = static_cast<unsigned>(pc->cores.size());
  std::vector<ShardJob> jobs(n);
  sockaddr_storage where{};
  std::memcpy(&where, addr, addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
  for (unsigned i = 0; i < n; ++i) {
    ShardJob& j = jobs[i];
    j.handle = &handles[i];
    j.addr = where;
    j.backlog = backlog;
    j.cb = cb;
    j.mu = &mu;
    j.cv = &cv;
    j.done = &done;
    int r = veloq_uv_post(pc, i, shard_listen_on_core, &j);
    if (r == 0) {
      std::unique_lock<std::mutex> lk(mu);
      cv.wait(lk, [&] { return done == i + 1; });
      r = j.result;
    } else {
      return r;
    }
    if (r != 0) return r;
    if (i == 0) where = j.addr;  // port 0: the others take the port the first one got
  }
  return 0;
}

}  // extern "C"
