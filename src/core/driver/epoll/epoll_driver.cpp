// Placeholder until the epoll driver lands: reports ENOSYS so make_driver()
// fails loudly rather than pretending.
#include "core/driver/driver.hpp"

namespace veloq {
std::unique_ptr<Driver> make_epoll_driver(const DriverOptions&, int* err) {
  if (err) *err = ENOSYS;
  return nullptr;
}
}  // namespace veloq
