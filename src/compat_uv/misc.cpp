// Errors, version, time, buffers and library shutdown (libuv 1.44
// src/uv-common.c, src/unix/core.c). uv_replace_allocator is in alloc.cpp.
#include <sys/time.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <string>

#include "compat_uv/internal.hpp"
#include "compat_uv/threadpool.hpp"

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

// libuv's texts for its own codes; nullptr for a code it does not know.
const char* known_message(int err) {
  switch (err) {
#define XX(name, msg) \
  case UV_##name:     \
    return msg;
    UV_ERRNO_MAP(XX)
#undef XX
  }
  return nullptr;
}

const char* known_name(int err) {
  switch (err) {
#define XX(name, _) \
  case UV_##name:   \
    return #name;
    UV_ERRNO_MAP(XX)
#undef XX
  }
  return nullptr;
}

// The _r variants: the text, or "Unknown system error N", cut to fit and
// NUL-terminated; buflen 0 leaves buf untouched. Returns buf (libuv).
char* copy_text(const char* text, int err, char* buf, size_t buflen) {
  if (text != nullptr)
    snprintf(buf, buflen, "%s", text);
  else
    snprintf(buf, buflen, "Unknown system error %d", err);
  return buf;
}
}  // namespace

extern "C" {

const char* uv_strerror(int err) {
  const char* text = known_message(err);
  return text != nullptr ? text : unknown_err(err);
}

const char* uv_err_name(int err) {
  const char* name = known_name(err);
  return name != nullptr ? name : unknown_err(err);
}

char* uv_strerror_r(int err, char* buf, size_t buflen) { return copy_text(known_message(err), err, buf, buflen); }

char* uv_err_name_r(int err, char* buf, size_t buflen) { return copy_text(known_name(err), err, buf, buflen); }

// A positive errno becomes libuv's negative code; anything else already is one.
int uv_translate_sys_error(int sys_errno) { return sys_errno <= 0 ? sys_errno : -sys_errno; }

int uv_gettimeofday(uv_timeval64_t* tv) {
  if (tv == nullptr) return UV_EINVAL;
  struct timeval now;
  if (gettimeofday(&now, nullptr) != 0) return -errno;
  tv->tv_sec = int64_t(now.tv_sec);
  tv->tv_usec = int32_t(now.tv_usec);
  return 0;
}

// libuv releases its process-wide state here (threadpool, signal pipe,
// process title) and also runs it as a destructor at exit; it is idempotent.
// Whatever process-wide state a part adds must be released here, once.
__attribute__((destructor)) void uv_library_shutdown(void) {
  static std::atomic<bool> was_shutdown{false};
  if (was_shutdown.exchange(true)) return;  // already done
  veloq::uvc::process_title_cleanup();
  veloq::uvc::threadpool_shutdown();
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
