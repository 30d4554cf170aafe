// Process title (libuv 1.44 src/unix/proctitle.c, linux-core.c).
//
// As libuv: uv_setup_args copies argv (strings and pointer table, one
// uv_malloc'ed block) and hands the copy back; the original argv strings,
// contiguous in memory, become the title's storage, so `ps` shows the title.
// The title is cut to that storage's size, and prctl(PR_SET_NAME) gets its
// first 15 bytes (the thread name). Without uv_setup_args there is no
// storage: get and set answer UV_ENOBUFS.
#include <sys/prctl.h>

#include <cstring>
#include <mutex>

#include "compat_uv/alloc.hpp"
#include "compat_uv/internal.hpp"

using namespace veloq::uvc;

namespace {

struct Title {
  char* str = nullptr;  // the original argv[0]
  size_t len = 0;
  size_t cap = 0;  // bytes available at str, NUL included
};

std::mutex g_title_mu;
Title g_title;
void* g_args_copy = nullptr;  // uv_setup_args' block; null = not set up

}  // namespace

namespace veloq::uvc {
void process_title_cleanup() {
  uv_free(g_args_copy);
  g_args_copy = nullptr;
}
}  // namespace veloq::uvc

extern "C" {

char** uv_setup_args(int argc, char** argv) {
  if (argc <= 0) return argv;
  size_t strings = 0;
  for (int i = 0; i < argc; i++) strings += std::strlen(argv[i]) + 1;
  const size_t table = (static_cast<size_t>(argc) + 1) * sizeof(char*);
  char** copy = static_cast<char**>(uv_malloc(table + strings));
  if (copy == nullptr) return argv;  // libuv goes on with the caller's argv
  char* s = reinterpret_cast<char*>(copy) + table;
  for (int i = 0; i < argc; i++) {
    const size_t size = std::strlen(argv[i]) + 1;
    std::memcpy(s, argv[i], size);
    copy[i] = s;
    s += size;
  }
  copy[argc] = nullptr;
  Title t;
  t.str = argv[0];
  t.len = std::strlen(argv[0]);
  // The strings run from argv[0] to the end of the last one.
  t.cap = static_cast<size_t>(argv[argc - 1] + std::strlen(argv[argc - 1]) + 1 - argv[0]);
  g_args_copy = copy;
  g_title = t;
  return copy;
}

int uv_set_process_title(const char* title) {
  if (g_args_copy == nullptr) return UV_ENOBUFS;
  if (title == nullptr) return UV_EINVAL;
  std::lock_guard<std::mutex> lk(g_title_mu);
  Title& t = g_title;
  size_t len = std::strlen(title);
  if (len >= t.cap) len = t.cap > 0 ? t.cap - 1 : 0;
  std::memcpy(t.str, title, len);
  std::memset(t.str + len, '\0', t.cap - len);
  t.len = len;
  prctl(PR_SET_NAME, t.str);  // the kernel keeps the first 15 bytes
  return 0;
}

int uv_get_process_title(char* buffer, size_t size) {
  if (buffer == nullptr || size == 0) return UV_EINVAL;
  if (g_args_copy == nullptr) return UV_ENOBUFS;
  std::lock_guard<std::mutex> lk(g_title_mu);
  if (size <= g_title.len) return UV_ENOBUFS;
  std::memcpy(buffer, g_title.str, g_title.len);
  buffer[g_title.len] = '\0';
  return 0;
}

}  // extern "C"
