// uv_dlopen / uv_dlsym / uv_dlclose / uv_dlerror (libuv 1.44 src/unix/dl.c):
// the real dlfcn. Failures return -1 and keep dlerror()'s text in
// lib->errmsg (uv_malloc'ed, freed by the next failure or uv_dlclose).
#include <dlfcn.h>

#include "compat_uv/alloc.hpp"
#include "compat_uv/internal.hpp"

using namespace veloq::uvc;

namespace {

// Replace lib->errmsg with dlerror()'s current text. No text means the call
// did not fail after all (dlsym of a symbol whose value is NULL): 0.
int take_dlerror(uv_lib_t* lib) {
  uv_free(lib->errmsg);
  const char* text = dlerror();
  lib->errmsg = text != nullptr ? uv_strdup(text) : nullptr;
  return text != nullptr ? -1 : 0;
}

}  // namespace

extern "C" {

int uv_dlopen(const char* filename, uv_lib_t* lib) {
  if (lib == nullptr) return UV_EINVAL;  // libuv would crash
  dlerror();  // clear a stale error
  lib->errmsg = nullptr;
  lib->handle = dlopen(filename, RTLD_LAZY);
  return lib->handle != nullptr ? 0 : take_dlerror(lib);
}

void uv_dlclose(uv_lib_t* lib) {
  if (lib == nullptr) return;
  uv_free(lib->errmsg);
  lib->errmsg = nullptr;
  if (lib->handle != nullptr) {
    dlclose(lib->handle);  // errors ignored, as libuv (no way to report them)
    lib->handle = nullptr;
  }
}

int uv_dlsym(uv_lib_t* lib, const char* name, void** ptr) {
  if (lib == nullptr || name == nullptr || ptr == nullptr) return UV_EINVAL;  // libuv would crash
  dlerror();
  *ptr = dlsym(lib->handle, name);
  return *ptr != nullptr ? 0 : take_dlerror(lib);
}

const char* uv_dlerror(const uv_lib_t* lib) {
  return lib != nullptr && lib->errmsg != nullptr ? lib->errmsg : "no error";
}

}  // extern "C"
