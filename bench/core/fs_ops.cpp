// core fs_ops: bench/uv/fs_ops.c through Veloq's C++ API (veloq::fs::File).
//
// --depth tasks, each looping open -> metadata (statx on the fd) ->
// read_at 4 KiB -> close over the next file of the set, for --secs seconds.
// ops/s (four per file) as the main value, files/s extra.
//
//   bench_core_fs_ops [--count N] [--depth K] [--secs S] [--smoke]
#include <string>

#include "bench_util.hpp"
#include "veloq/fs.hpp"

using namespace bench;

namespace {

const char* const W = "fs_ops";

struct Shared {
  std::vector<std::string> paths;
  uint64_t deadline = 0;
  long next = 0;
  uint64_t files_done = 0;
};

Task<void> chain(Shared* sh) {
  FixedBuf buf = FixedBuf::allocate(BENCH_FS_FILE);
  while (bench_now_ns() < sh->deadline) {
    long i = sh->next++ % long(sh->paths.size());
    fs::File f = check(W, co_await fs::File::open(sh->paths[i]), "open");
    fs::Metadata md = check(W, co_await f.metadata(), "metadata");
    if (md.size != BENCH_FS_FILE) bench_fail(W, "file %ld: size %llu", i, (unsigned long long)md.size);
    auto [n, back] = co_await f.read_at(std::move(buf), 0);
    buf = std::move(back);
    size_t got = check(W, std::move(n), "read_at");
    if (!bench_fs_check(i, reinterpret_cast<const unsigned char*>(buf.data()), long(got)))
      bench_fail(W, "wrong data in file %ld", i);
    check(W, co_await f.close(), "close");
    sh->files_done++;
  }
}

Task<int> run(const bench_args* a) {
  bench_files files;
  bench_fs_create(W, &files, a->count);
  Shared sh;
  char path[BENCH_FS_PATH];
  for (long i = 0; i < a->count; ++i) {
    bench_fs_path(&files, i, path);
    sh.paths.emplace_back(path);
  }
  uint64_t t0 = bench_now_ns();
  sh.deadline = t0 + uint64_t(a->secs * 1e9);
  std::vector<JoinHandle<void>> tasks;
  for (long k = 0; k < a->depth; ++k) tasks.push_back(spawn_local(chain(&sh), "chain"));
  for (auto& t : tasks) check(W, co_await t, "join");
  double secs = double(bench_now_ns() - t0) / 1e9;
  bench_fs_remove(&files);
  if (sh.files_done == 0) bench_fail(W, "no file done");
  bench_result(W, 4.0 * double(sh.files_done) / secs, "ops/s", "files_per_s=%.1f depth=%ld files=%ld impl=core backend=%s",
               double(sh.files_done) / secs, a->depth, a->count, backend());
  co_return BENCH_OK;
}

}  // namespace

int main(int argc, char** argv) {
  return main_with(argc, argv, bench_args{.count = 10000, .secs = 3.0, .depth = 64}, bench_args{.smoke = 1, .count = 100, .secs = 0.05, .depth = 4}, run);
}
