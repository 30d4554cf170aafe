// uv_replace_allocator and the allocation helpers of alloc.hpp
// (libuv 1.44 src/uv-common.c).
#include "compat_uv/alloc.hpp"

#include <uv.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace {
// libuv keeps four plain pointers and documents uv_replace_allocator as not
// thread-safe (call it before any other uv function). Relaxed atomics give
// the same contract without a data race if a program gets that wrong.
std::atomic<uv_malloc_func> g_malloc{std::malloc};
std::atomic<uv_realloc_func> g_realloc{std::realloc};
std::atomic<uv_calloc_func> g_calloc{std::calloc};
std::atomic<uv_free_func> g_free{std::free};
}  // namespace

namespace veloq::uvc {

void* uv_malloc(std::size_t size) {
  if (size == 0) return nullptr;
  return g_malloc.load(std::memory_order_relaxed)(size);
}

void* uv_calloc(std::size_t count, std::size_t size) { return g_calloc.load(std::memory_order_relaxed)(count, size); }

void* uv_realloc(void* ptr, std::size_t size) {
  if (size > 0) return g_realloc.load(std::memory_order_relaxed)(ptr, size);
  uv_free(ptr);
  return nullptr;
}

void* uv_reallocf(void* ptr, std::size_t size) {
  void* grown = uv_realloc(ptr, size);
  if (grown == nullptr && size > 0) uv_free(ptr);
  return grown;
}

void uv_free(void* ptr) {
  const int saved = errno;
  g_free.load(std::memory_order_relaxed)(ptr);
  errno = saved;
}

char* uv_strndup(const char* s, std::size_t n) {
  const std::size_t len = strnlen(s, n);
  auto* copy = static_cast<char*>(uv_malloc(len + 1));
  if (copy == nullptr) return nullptr;
  std::memcpy(copy, s, len);
  copy[len] = '\0';
  return copy;
}

char* uv_strdup(const char* s) { return uv_strndup(s, std::strlen(s)); }

}  // namespace veloq::uvc

extern "C" int uv_replace_allocator(uv_malloc_func malloc_func, uv_realloc_func realloc_func,
                                    uv_calloc_func calloc_func, uv_free_func free_func) {
  if (malloc_func == nullptr || realloc_func == nullptr || calloc_func == nullptr || free_func == nullptr)
    return UV_EINVAL;
  g_malloc.store(malloc_func, std::memory_order_relaxed);
  g_realloc.store(realloc_func, std::memory_order_relaxed);
  g_calloc.store(calloc_func, std::memory_order_relaxed);
  g_free.store(free_func, std::memory_order_relaxed);
  return 0;
}
