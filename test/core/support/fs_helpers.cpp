#include "support/fs_helpers.hpp"

#include <dirent.h>
#include <ftw.h>
#include <linux/time_types.h>
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

namespace veloq::test {

TempDir::TempDir(const char* base) {
  if (base == nullptr) base = std::getenv("TMPDIR");
  if (base == nullptr || *base == '\0') base = "/tmp";
  std::string tmpl = std::string(base) + "/veloq-fs-XXXXXX";
  if (::mkdtemp(tmpl.data()) != nullptr) path_ = tmpl;
}

TempDir::~TempDir() {
  if (!path_.empty()) remove_tree(path_);
}

std::string TempDir::join(const std::string& name) const { return path_ + "/" + name; }

namespace {
int remove_one(const char* p, const struct stat*, int, struct FTW*) {
  ::remove(p);
  return 0;
}
}  // namespace

void remove_tree(const std::string& path) {
  // Depth-first, no symlink following: children go before their directory.
  ::nftw(path.c_str(), remove_one, 64, FTW_DEPTH | FTW_PHYS);
}

namespace {
Task<void> sleep_1ms() {
  IoOp op(OpCode::Timeout);
  auto* ts = reinterpret_cast<__kernel_timespec*>(op->own_bytes(sizeof(__kernel_timespec)));
  ts->tv_sec = 0;
  ts->tv_nsec = 1'000'000;
  op->args.addr = ts;
  (void)co_await op;
}
}  // namespace

Task<bool> drain_in_flight(Worker& w, int max_ms) {
  for (int i = 0; i < max_ms; ++i) {
    if (w.driver().in_flight() == 0) co_return true;
    co_await sleep_1ms();
  }
  co_return w.driver().in_flight() == 0;
}

Task<void> one_turn() {
  IoOp op(OpCode::Nop);
  (void)co_await op;
}

}  // namespace veloq::test
