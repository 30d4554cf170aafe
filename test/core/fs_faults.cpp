// Fault and edge tests of the fs layer: O_DIRECT, cancel storms (nothing
// leaks: fds, op slots, buffers), opens aborted in every window, an fd kept
// alive for an op outliving its File, fd exhaustion (EMFILE), and file ops
// whose ring opcode is masked running on the blocking pool.
// Backend-neutral (VELOQ_BACKEND=uring|epoll).
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/fs/fs.hpp"
#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"
#include "support/fs_helpers.hpp"

using namespace veloq;
using veloq::test::count_open_fds;
using veloq::test::TempDir;
namespace vfs = veloq::fs;

namespace {

template <class T>
std::string errstr(const Result<T>& r) {
  return r ? std::string("ok") : r.error().message();
}
template <class T>
int errno_of(const Result<T>& r) {
  return r ? 0 : r.error().value();
}

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

// ---------------------------------------------------------------------------
// O_DIRECT

enum class DirectOutcome { Ok, Unsupported };

Task<DirectOutcome> direct_io(std::string base) {
  const std::string path = base + "/direct.bin";
  auto opts = vfs::OpenOptions().read(true).write(true).create(true).direct(true);
  Result<vfs::File> f = co_await vfs::File::open(path, opts);
  if (!f && f.error().value() == EINVAL) co_return DirectOutcome::Unsupported;
  cr_assert(f, "open O_DIRECT: %s", errstr(f).c_str());
  cr_assert(::fcntl(f->fd(), F_GETFL) & O_DIRECT, "O_DIRECT not set on the fd");

  FixedBuf w = FixedBuf::allocate(8192);
  cr_assert_eq(reinterpret_cast<uintptr_t>(w.data()) % 4096, 0u, "FixedBuf not 4 KiB aligned");
  cr_assert_eq(w.capacity() % 4096, 0u);
  for (size_t i = 0; i < 8192; ++i) w.data()[i] = std::byte(i * 7 + 3);
  w.set_len(8192);
  vfs::BufAllResult wr = co_await f->write_all_at(std::move(w), 4096);
  cr_assert(wr.first, "direct write: %s", errstr(wr.first).c_str());

  vfs::BufResult rd = co_await f->read_at(FixedBuf::allocate(8192), 4096);
  cr_assert(rd.first, "direct read: %s", errstr(rd.first).c_str());
  cr_assert_eq(*rd.first, 8192u);
  cr_assert_eq(std::memcmp(rd.second.data(), wr.second.data(), 8192), 0);
  // From 0: a 4 KiB hole of zeros, then the data.
  rd = co_await f->read_at(std::move(rd.second), 0);
  cr_assert_eq(*rd.first, 8192u);
  for (size_t i = 0; i < 4096; ++i) cr_assert_eq(rd.second.data()[i], std::byte(0));
  cr_assert_eq(std::memcmp(rd.second.data() + 4096, wr.second.data(), 4096), 0);

  // Vectored direct I/O with aligned buffers.
  std::vector<FixedBuf> v;
  v.push_back(FixedBuf::allocate(4096));
  v.push_back(FixedBuf::allocate(4096));
  vfs::BufsResult rv = co_await f->readv_at(std::move(v), 4096);
  cr_assert(rv.first, "direct readv: %s", errstr(rv.first).c_str());
  cr_assert_eq(*rv.first, 8192u);
  cr_assert_eq(std::memcmp(rv.second[1].data(), wr.second.data() + 4096, 4096), 0);

  // Misaligned offset or length: the kernel refuses with EINVAL.
  rd = co_await f->read_at(std::move(rd.second), 100);
  cr_assert_eq(errno_of(rd.first), EINVAL, "misaligned offset: %s", errstr(rd.first).c_str());
  vfs::BufResult bad = co_await f->write_at(FixedBuf::copy_of(std::string_view("short")), 0);
  cr_assert_eq(errno_of(bad.first), EINVAL, "misaligned length: %s", errstr(bad.first).c_str());

  Result<vfs::Metadata> md = co_await f->metadata();
  cr_assert_eq(md->size, 12288u);
  // Where the kernel reports direct-I/O alignment, FixedBufs satisfy it.
  if (md->dio_offset_align != 0) {
    cr_assert_eq(4096 % md->dio_mem_align, 0u, "dio_mem_align %u", md->dio_mem_align);
    cr_assert_eq(4096 % md->dio_offset_align, 0u, "dio_offset_align %u", md->dio_offset_align);
  }
  Result<void> c = co_await f->close();
  cr_assert(c);
  co_return DirectOutcome::Ok;
}

// ---------------------------------------------------------------------------
// Cancel storm

struct StormEnv {
  std::string dir;      // holds "data" (64 KiB) and "small/" (20 files)
  std::string data;
};

Task<void> storm_task(const StormEnv* env, int id) {
  const std::string data = env->data;
  switch (id % 7) {
    case 0: {  // open + read + async close
      Result<vfs::File> f = co_await vfs::File::open(data);
      if (!f) co_return;
      vfs::BufResult r = co_await f->read_at(FixedBuf::allocate(16384), uint64_t(id % 4) * 4096);
      (void)r;
      (void)co_await f->close();
      break;
    }
    case 1: {  // open + read, File dropped (sync close or deferred to the op)
      Result<vfs::File> f = co_await vfs::File::open(data);
      if (!f) co_return;
      (void)co_await f->read_at(FixedBuf::allocate(65536), 0);
      break;
    }
    case 2: {  // create + write + fsync
      const std::string p = env->dir + "/w-" + std::to_string(id);
      Result<vfs::File> f = co_await vfs::File::create(p);
      if (!f) co_return;
      (void)co_await f->write_all_at(FixedBuf::copy_of(std::string_view("storm data")), 0);
      (void)co_await f->fsync();
      break;
    }
    case 3: {  // statx + read_dir (getdents on the blocking pool)
      (void)co_await vfs::metadata(data);
      (void)co_await vfs::read_dir(env->dir + "/small");
      break;
    }
    case 4:
      (void)co_await vfs::read_to_end(data);
      break;
    case 5: {  // create_new + metadata by fd + unlink
      const std::string p = env->dir + "/n-" + std::to_string(id);
      Result<vfs::File> f =
          co_await vfs::File::open(p, vfs::OpenOptions().write(true).create_new(true));
      if (!f) co_return;
      (void)co_await f->metadata();
      (void)co_await vfs::remove_file(p);
      break;
    }
    case 6: {  // vectored read
      Result<vfs::File> f = co_await vfs::File::open(data);
      if (!f) co_return;
      std::vector<FixedBuf> v;
      v.push_back(FixedBuf::allocate(4096));
      v.push_back(FixedBuf::allocate(8192));
      (void)co_await f->readv_at(std::move(v), 0);
      break;
    }
  }
}

struct StormStats {
  size_t completed = 0;
  size_t aborted = 0;
  bool drained = false;
};

Task<StormStats> storm(Worker& w, const StormEnv* env, int batches, int per_batch,
                       uint32_t seed) {
  std::mt19937 rng(seed);
  StormStats s;
  int id = 0;
  for (int b = 0; b < batches; ++b) {
    std::vector<JoinHandle<void>> hs;
    std::vector<int> abort_turn;
    for (int i = 0; i < per_batch; ++i) {
      hs.push_back(spawn_local(storm_task(env, id++)));
      // Each task gets a random turn to be aborted at (a quarter never are):
      // some before they ever ran, others parked in an open, a read, a
      // statx, a getdents on the pool, a close...
      abort_turn.push_back(int(rng() % 16));
    }
    for (int turn = 0; turn < 12; ++turn) {
      for (size_t i = 0; i < hs.size(); ++i) {
        if (abort_turn[i] == turn && !hs[i].finished()) hs[i].abort();
      }
      co_await veloq::test::one_turn();
    }
    for (auto& h : hs) {
      Result<void> r = co_await h;
      if (r) {
        ++s.completed;
      } else {
        cr_assert_eq(r.error().value(), ECANCELED);
        ++s.aborted;
      }
    }
  }
  s.drained = co_await veloq::test::drain_in_flight(w);
  co_return s;
}

// ---------------------------------------------------------------------------
// Aborted opens

Task<void> open_and_hold(std::string p) {
  Result<vfs::File> f = co_await vfs::File::open(p, vfs::OpenOptions().write(true).create(true));
  (void)f;
  co_await veloq::test::one_turn();
}

// Turn the worker without running tasks until `pred` or ~2 s.
template <class Pred>
bool poll_until(Worker& w, Pred pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred()) return true;
    w.poll_io(false);
    ::usleep(1000);
  }
  return pred();
}

// ---------------------------------------------------------------------------
// fd kept alive for an op that outlives its File

struct KeepAliveShared {
  int fd_a = -1;
  bool go = false;  // the test parked the pool: issue the write
};

Task<void> write_then_wait(std::string a, KeepAliveShared* sh) {
  Result<vfs::File> f = co_await vfs::File::create(a);
  cr_assert(f);
  sh->fd_a = f->fd();
  while (!sh->go) co_await veloq::test::one_turn();
  (void)co_await f->write_at(FixedBuf::copy_of(std::string_view("written to A")), 0);
}

// ---------------------------------------------------------------------------
// fd exhaustion

Task<void> emfile_case(std::string base, bool warm_up) {
  const std::string p = base + "/f";
  Result<void> wr = co_await vfs::write(p, std::string_view("still serving"));
  cr_assert(wr);
  if (warm_up) {
    // The same kinds of ops, with fds to spare.
    Result<std::vector<vfs::DirEntry>> ls = co_await vfs::read_dir(base);
    cr_assert(ls);
    Result<vfs::File> f = co_await vfs::File::open(p);
    cr_assert(f);
    (void)co_await f->read_at(FixedBuf::allocate(64), 0);
    (void)co_await vfs::metadata(p);
    Result<void> c = co_await f->close();
    cr_assert(c);
    co_return;
  }
  std::vector<vfs::File> files;
  int err = 0;
  for (int i = 0; i < 1000; ++i) {
    Result<vfs::File> f = co_await vfs::File::open(p);
    if (!f) {
      err = f.error().value();
      break;
    }
    files.push_back(std::move(*f));
  }
  cr_assert_eq(err, EMFILE, "expected EMFILE, got %s after %zu opens", std::strerror(err),
               files.size());
  cr_assert_geq(files.size(), 4u);
  // Everything needing a new fd fails cleanly; the rest keeps working.
  Result<std::vector<vfs::DirEntry>> ls = co_await vfs::read_dir(base);
  cr_assert_eq(errno_of(ls), EMFILE);
  Result<vfs::Metadata> md = co_await vfs::metadata(p);
  cr_assert(md, "metadata under EMFILE: %s", errstr(md).c_str());
  vfs::BufResult rd = co_await files.back().read_at(FixedBuf::allocate(64), 0);
  cr_assert(rd.first);
  cr_assert_eq(rd.second.view(), std::string_view("still serving"));

  // Free two fds: opening works again.
  Result<void> c = co_await files.back().close();
  cr_assert(c);
  files.pop_back();
  files.pop_back();  // dropped: closed synchronously
  Result<vfs::File> again = co_await vfs::File::open(p);
  cr_assert(again, "open after freeing fds: %s", errstr(again).c_str());
  ls = co_await vfs::read_dir(base);
  cr_assert(ls, "read_dir after freeing fds: %s", errstr(ls).c_str());
  cr_assert_eq(ls->size(), 1u);
  files.clear();
  for (int i = 0; i < 4; ++i) {
    Result<vfs::File> f = co_await vfs::File::open(p);
    cr_assert(f);
  }
}

// ---------------------------------------------------------------------------
// Masked opcodes

Task<void> statx_case(std::string base) {
  const std::string p = base + "/s";
  Result<void> wr = co_await vfs::write(p, std::string_view("12345"));
  cr_assert(wr);
  Result<vfs::File> f = co_await vfs::File::open(p);
  cr_assert(f);
  Result<vfs::Metadata> a = co_await f->metadata();
  cr_assert(a, "fd metadata: %s", errstr(a).c_str());
  cr_assert_eq(a->size, 5u);
  Result<vfs::Metadata> b = co_await vfs::metadata(p);
  cr_assert(b, "path metadata: %s", errstr(b).c_str());
  cr_assert_eq(b->ino, a->ino);
  Result<vfs::Metadata> c = co_await vfs::metadata(p + "x");
  cr_assert_eq(errno_of(c), ENOENT);
}

// Everything the fs layer does, for a run with every file opcode masked.
Task<void> everything_case(std::string base) {
  const std::string p = base + "/e", q = base + "/e2", d = base + "/dir";
  Result<vfs::File> f =
      co_await vfs::File::open(p, vfs::OpenOptions().read(true).write(true).create(true));
  cr_assert(f, "open: %s", errstr(f).c_str());
  vfs::BufAllResult w = co_await f->write_all_at(FixedBuf::copy_of(std::string_view("pool!")), 0);
  cr_assert(w.first, "write: %s", errstr(w.first).c_str());
  std::vector<FixedBuf> v;
  v.push_back(FixedBuf::copy_of(std::string_view("vec")));
  vfs::BufsResult wv = co_await f->writev_at(std::move(v), 5);
  cr_assert(wv.first, "writev: %s", errstr(wv.first).c_str());
  cr_assert(co_await f->fsync());
  cr_assert(co_await f->fdatasync());
  cr_assert(co_await f->sync_range(0, 8, 0));
  cr_assert(co_await f->allocate(0, 65536));
  cr_assert(co_await f->set_len(8));
  vfs::BufResult r = co_await f->read_at(FixedBuf::allocate(64), 0);
  cr_assert_eq(r.second.view(), std::string_view("pool!vec"));
  Result<vfs::Metadata> md = co_await f->metadata();
  cr_assert_eq(md->size, 8u);
  cr_assert(co_await f->close());
  cr_assert(co_await vfs::create_dir(d));
  cr_assert(co_await vfs::rename(p, q));
  cr_assert(co_await vfs::hard_link(q, d + "/h"));
  cr_assert(co_await vfs::symlink(q, d + "/s"));
  Result<std::vector<vfs::DirEntry>> ls = co_await vfs::read_dir(d);
  cr_assert_eq(ls->size(), 2u);
  cr_assert(co_await vfs::remove_file(d + "/h"));
  cr_assert(co_await vfs::remove_file(d + "/s"));
  cr_assert(co_await vfs::remove_dir(d));
  Result<std::string> all = co_await vfs::read_to_end(q);
  cr_assert_eq(*all, "pool!vec");
}

}  // namespace

Test(fs_faults, direct_io_aligned_fixedbufs) {
  std::vector<std::string> bases;
  if (const char* e = std::getenv("VELOQ_TEST_DIRECT_DIR")) bases.emplace_back(e);
  bases.emplace_back("/var/tmp");
  char cwd[4096];
  if (::getcwd(cwd, sizeof cwd) != nullptr) bases.emplace_back(cwd);  // the build dir
  bases.emplace_back("/tmp");
  std::string tried;
  for (const std::string& b : bases) {
    TempDir d(b.c_str());
    if (!d.ok()) continue;
    Worker w;
    DirectOutcome o = w.block_on(direct_io(d.path()));
    cr_assert_eq(w.ops().live(), 0u);
    if (o == DirectOutcome::Ok) return;
    tried += " " + b;
  }
  cr_skip_test("O_DIRECT unsupported (open gives EINVAL) in:%s", tried.c_str());
}

Test(fs_faults, cancel_storm_leaks_nothing) {
  TempDir d;
  cr_assert(d.ok());
  StormEnv env{d.path(), d.join("data")};
  {
    // Fixture: a 64 KiB data file and a small directory.
    std::string content(65536, 'd');
    FILE* fp = std::fopen(env.data.c_str(), "w");
    cr_assert(fp);
    std::fwrite(content.data(), 1, content.size(), fp);
    std::fclose(fp);
    cr_assert_eq(::mkdir(d.join("small").c_str(), 0755), 0);
    for (int i = 0; i < 20; ++i) {
      std::string p = d.join("small/f" + std::to_string(i));
      FILE* g = std::fopen(p.c_str(), "w");
      std::fclose(g);
    }
  }
  const size_t fds_before_worker = count_open_fds();
  const size_t bufs_before = BufPool::local().outstanding();
  StormStats s;
  {
    Worker w;
    const size_t fds0 = count_open_fds();
    s = w.block_on(storm(w, &env, 10, 300, 12345));
    cr_assert(s.drained, "ops still in flight after the storm: %zu", w.driver().in_flight());
    cr_assert_eq(w.ops().live(), 0u, "op slots leaked: %zu", w.ops().live());
    cr_assert_eq(count_open_fds(), fds0, "fds leaked: %zu -> %zu", fds0, count_open_fds());
    cr_assert_eq(BufPool::local().outstanding(), bufs_before, "FixedBufs leaked");
  }
  cr_assert_eq(count_open_fds(), fds_before_worker);
  std::fprintf(stderr, "storm: %zu completed, %zu aborted\n", s.completed, s.aborted);
  cr_assert_eq(s.completed + s.aborted, 3000u);
  cr_assert_gt(s.aborted, 300u, "too few aborts to mean anything: %zu", s.aborted);
  cr_assert_gt(s.completed, 100u, "too few completions: %zu", s.completed);
}

// An open whose task is aborted (a) after the open completed but before the
// task resumed, and (b) while the open is in flight, its completion (a new
// fd) arriving for a detached op. Both must close the fd.
Test(fs_faults, aborted_open_fd_is_closed) {
  TempDir d;
  Worker w;
  const size_t fds0 = count_open_fds();
  int window_a = 0, window_b = 0, window_b_with_fd = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string p = d.join("o-" + std::to_string(i));
    JoinHandle<void> h = w.spawn_local(open_and_hold(p));
    w.run_ready();  // the task runs and prepares the open
    if (i % 2 == 0) {
      // (a) Let the completion arrive: it wakes the task, which does not run.
      cr_assert(poll_until(w, [&] { return w.executor().has_ready(); }), "open never completed");
      ++window_a;
    } else {
      // (b) Submit, let the kernel/pool finish the open, don't reap it.
      w.poll_io(false);
      ::usleep(20000);
      if (w.executor().has_ready()) {
        ++window_a;  // reaped already: case (a) again
      } else {
        ++window_b;
      }
    }
    const bool detached = !w.executor().has_ready();
    h.abort();
    w.run_ready();  // frame destroyed: op released (a) or detached + cancelled (b)
    cr_assert(poll_until(w, [&] { return w.driver().in_flight() == 0; }));
    if (detached) {
      // The file exists iff the open ran (and so produced an fd for nobody)
      // rather than being cancelled before it started.
      if (exists(p)) ++window_b_with_fd;
    } else {
      cr_assert(exists(p), "open %d completed but created nothing", i);
    }
    cr_assert_eq(count_open_fds(), fds0, "iteration %d (%s) leaked the fd", i,
                 i % 2 == 0 ? "completed-not-resumed" : "detached");
  }
  cr_assert_eq(w.ops().live(), 0u);
  cr_assert_geq(window_a, 10);
  cr_assert_geq(window_b_with_fd, 1,
                "no detached open completed with an fd (%d detached in all)", window_b);
}

// A File dropped (its task aborted) while its write waits on the blocking
// pool: the fd stays open until the write ran, so a new open cannot get the
// same number and the write lands in the right file.
Test(fs_faults, fd_outlives_dropped_file_while_op_in_flight) {
  ::setenv("VELOQ_URING_DISABLE", "write", 1);  // uring: writes via the pool too
  TempDir d;
  BlockingPool pool(1);
  std::atomic<bool> release{false};
  WorkerOptions wo;
  wo.blocking = &pool;
  Worker w(wo);
  const size_t fds0 = count_open_fds();
  KeepAliveShared sh;
  const std::string a = d.join("A"), b = d.join("B");
  JoinHandle<void> h = w.spawn_local(write_then_wait(a, &sh));
  cr_assert(poll_until(w, [&] {
    w.run_ready();
    return sh.fd_a >= 0;
  }), "open of A never completed");
  // Park the pool's only thread, then let the task issue its write: it
  // waits in the pool's queue.
  (void)pool.submit([&] {
    while (!release.load()) ::usleep(1000);
  });
  const uint64_t off0 = w.driver().stats().offloaded;
  sh.go = true;
  cr_assert(poll_until(w, [&] {
    w.run_ready();
    return w.driver().stats().offloaded > off0;
  }), "write never reached the pool");
  h.abort();
  w.run_ready();  // File dropped while its write is queued on the pool
  cr_assert_geq(::fcntl(sh.fd_a, F_GETFD), 0, "fd closed under an in-flight op");
  // The lowest free number: A's, had the drop closed it.
  const int fd_b = ::open(b.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  cr_assert_geq(fd_b, 0);
  cr_assert_neq(fd_b, sh.fd_a, "new open reused the fd of an in-flight op");
  release = true;
  cr_assert(poll_until(w, [&] { return w.driver().in_flight() == 0; }));
  cr_assert_eq(::fcntl(sh.fd_a, F_GETFD), -1, "fd not closed after the last op finished");
  ::close(fd_b);
  cr_assert_eq(count_open_fds(), fds0);
  cr_assert_eq(w.ops().live(), 0u);
  struct stat st;
  cr_assert_eq(::stat(b.c_str(), &st), 0);
  cr_assert_eq(st.st_size, 0, "the write landed in B");
  cr_assert_eq(::stat(a.c_str(), &st), 0);
  cr_assert_eq(st.st_size, 12, "the write did not land in A");
}

Test(fs_faults, fd_exhaustion_gives_emfile_and_worker_keeps_serving) {
  TempDir d;
  // One pool thread, started before the limit: a thread start (and UBSan's
  // first check of a dynamic type, which probes memory through a pipe) needs
  // fds of its own and would fail for reasons that are not ours.
  BlockingPool pool(1);
  WorkerOptions wo;
  wo.blocking = &pool;
  Worker w(wo);
  w.block_on(emfile_case(d.path(), /*warm_up=*/true));
  struct rlimit rl;
  cr_assert_eq(::getrlimit(RLIMIT_NOFILE, &rl), 0);
  // Room for a handful of new fds above everything open now.
  rl.rlim_cur = rlim_t(veloq::test::highest_open_fd() + 1 + 12);
  cr_assert_eq(::setrlimit(RLIMIT_NOFILE, &rl), 0);
  w.block_on(emfile_case(d.path(), false));
  cr_assert_eq(w.ops().live(), 0u);
}

Test(fs_faults, masked_statx_runs_on_blocking_pool) {
  ::setenv("VELOQ_URING_DISABLE", "statx", 1);
  TempDir d;
  Worker w;
  const bool uring = w.backend() == Backend::Uring;
  if (uring) cr_assert(!w.driver().features().opcode[size_t(OpCode::Statx)]);
  const uint64_t off0 = w.driver().stats().offloaded;
  w.block_on(statx_case(d.path()));
  if (uring) {
    // The three statx ops (by fd, by path, missing path) went to the pool.
    cr_assert_geq(w.driver().stats().offloaded - off0, 3u);
  }
  cr_assert_eq(w.ops().live(), 0u);
}

Test(fs_faults, every_file_opcode_masked_still_works) {
  ::setenv("VELOQ_URING_DISABLE",
           "openat,close,read,write,readv,writev,fsync,sync_file_range,fallocate,ftruncate,"
           "statx,unlinkat,renameat,mkdirat,linkat,symlinkat",
           1);
  TempDir d;
  Worker w;
  const uint64_t off0 = w.driver().stats().offloaded;
  w.block_on(everything_case(d.path()));
  if (w.backend() == Backend::Uring) {
    cr_assert(!w.driver().features().opcode[size_t(OpCode::OpenAt)]);
    cr_assert_geq(w.driver().stats().offloaded - off0, 20u);
  }
  cr_assert_eq(w.ops().live(), 0u);
}
