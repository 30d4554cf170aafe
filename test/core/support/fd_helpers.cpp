#include "support/fd_helpers.hpp"

#include <dirent.h>

#include <cstdlib>

namespace veloq::test {

namespace {
template <class F>
void for_each_fd(F f) {
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return;
  const int self = ::dirfd(d);
  while (dirent* e = ::readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd != self) f(fd);
  }
  ::closedir(d);
}
}  // namespace

size_t count_open_fds() {
  size_t n = 0;
  for_each_fd([&](int) { ++n; });
  return n;
}

int highest_open_fd() {
  int hi = -1;
  for_each_fd([&](int fd) { hi = fd > hi ? fd : hi; });
  return hi;
}

}  // namespace veloq::test
