// Result<T>: what every core I/O call returns. Errors are std::error_code in
// the system category (positive errno values); no exception crosses an I/O
// boundary.
#pragma once

#include <cerrno>
#include <cstdint>
#include <expected>
#include <system_error>

namespace veloq {

template <class T>
using Result = std::expected<T, std::error_code>;

inline std::error_code errno_code(int e) { return {e, std::system_category()}; }

// err<T>(ECONNREFUSED): an error Result of any T. Accepts errno (positive)
// or a driver result (negative errno).
template <class T = void>
Result<T> err(int e) {
  return std::unexpected(errno_code(e < 0 ? -e : e));
}

// Map a driver result (>= 0 value, < 0 -errno) to Result<T>.
template <class T>
Result<T> from_res(int32_t res) {
  if (res < 0) return err<T>(res);
  return static_cast<T>(res);
}

inline Result<void> void_from_res(int32_t res) {
  if (res < 0) return err<void>(res);
  return {};
}

}  // namespace veloq
