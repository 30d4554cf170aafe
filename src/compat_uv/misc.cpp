// Errors, version, time and buffers (libuv 1.44 src/uv-common.c, src/unix/core.c).
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <string>

#include "compat_uv/internal.hpp"

namespace {
// libuv returns a heap string it never frees for unknown codes. Veloq keeps
// one text per code in a table that lives as long as the process, so the
// pointer stays valid forever (as libuv's does) without leaking per call.
const char* unknown_err(int err) {
  static std::mutex mu;
  static std::map<int, std::string> texts;
  std::lock_guard<std::mutex> lock(mu);
  auto it = texts.find(err);
  if (it == texts.end()) it = texts.emplace(err, "Unknown system error " + std::to_string(err)).first;
  return it->second.c_str();
}
}  // namespace

extern "C" {

const char* uv_strerror(int err) {
  switch (err) {
#define XX(name, msg) \
  case UV_##name:     \
    return msg;
    UV_ERRNO_MAP(XX)
#undef XX
  }
  return unknown_err(err);
}

const char* uv_err_name(int err) {
  switch (err) {
#define XX(name, _) \
  case UV_##name:   \
    return #name;
    UV_ERRNO_MAP(XX)
#undef XX
  }
  return unknown_err(err);
}

unsigned int uv_version(void) { return UV_VERSION_HEX; }

const char* uv_version_string(void) {
#define VELOQ_UV_STR2(x) #x
#define VELOQ_UV_STR(x) VELOQ_UV_STR2(x)
  return VELOQ_UV_STR(UV_VERSION_MAJOR) "." VELOQ_UV_STR(UV_VERSION_MINOR) "." VELOQ_UV_STR(UV_VERSION_PATCH);
}

uint64_t uv_hrtime(void) {
  struct timespec t;
  if (clock_gettime(CLOCK_MONOTONIC, &t)) abort();  // libuv aborts too
  return uint64_t(t.tv_sec) * 1'000'000'000u + uint64_t(t.tv_nsec);
}

uv_buf_t uv_buf_init(char* base, unsigned int len) {
  uv_buf_t buf;
  buf.base = base;
  buf.len = len;
  return buf;
}

void uv_sleep(unsigned int msec) {
  struct timespec t{time_t(msec / 1000), long(msec % 1000) * 1'000'000};
  int rc;
  do rc = nanosleep(&t, &t);
  while (rc == -1 && errno == EINTR);
}

// Probe symbol: lets a program tell that Veloq's libuv.so.1 was loaded.
__attribute__((visibility("default"))) const char* veloq_uv_implementation(void) { return "veloq"; }

}  // extern "C"
