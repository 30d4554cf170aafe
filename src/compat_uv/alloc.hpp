// compat_uv allocation helpers: libuv's uv__malloc family (src/uv-common.c).
//
// Memory that a program may later hand to the allocator it installed with
// uv_replace_allocator() (or that libuv documents as allocated "with the
// libuv allocator") must come from these, not from new/malloc. Veloq's own
// internal state (LoopState, tables) keeps using the C++ allocator: it never
// crosses into user code, so the replaced allocator has no business with it.
#pragma once

#include <cstddef>

namespace veloq::uvc {

// malloc(0) gives nullptr without calling the user's allocator (as libuv).
void* uv_malloc(std::size_t size);
void* uv_calloc(std::size_t count, std::size_t size);
// realloc to 0 frees `ptr` and gives nullptr (as libuv).
void* uv_realloc(void* ptr, std::size_t size);
// Like uv_realloc, but frees `ptr` when growing fails (libuv's uv__reallocf).
void* uv_reallocf(void* ptr, std::size_t size);
// Keeps errno across the user's free (free may clobber it; callers often
// free on an error path before returning -errno).
void uv_free(void* ptr);
char* uv_strdup(const char* s);
char* uv_strndup(const char* s, std::size_t n);

}  // namespace veloq::uvc
