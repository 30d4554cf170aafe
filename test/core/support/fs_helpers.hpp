// Helpers for the fs tests (test/core/fs_*.cpp).
#pragma once

#include <cstddef>
#include <string>

#include "core/runtime/task.hpp"
#include "support/fd_helpers.hpp"

namespace veloq {
class Worker;
}

namespace veloq::test {

// A fresh directory (mkdtemp) under `base` (default $TMPDIR or /tmp),
// removed with everything in it when the object goes away.
class TempDir {
 public:
  explicit TempDir(const char* base = nullptr);
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  bool ok() const { return !path_.empty(); }
  const std::string& path() const { return path_; }
  // path() + "/" + name
  std::string join(const std::string& name) const;

 private:
  std::string path_;
};

// Remove `path` and everything below it (no error if missing).
void remove_tree(const std::string& path);


// Inside a task: keep the worker turning (1 ms ring timeouts) until its
// driver has no op in flight, or `max_ms` passed. Returns true if drained.
Task<bool> drain_in_flight(Worker& w, int max_ms = 10000);

// Inside a task: let the worker do one full turn (a ring round trip).
Task<void> one_turn();

}  // namespace veloq::test
