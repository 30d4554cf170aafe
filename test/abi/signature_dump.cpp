// Prints the type of every public libuv 1.44 function and callback typedef
// for whichever uv.h is first on the include path.  Built twice (installed
// libuv headers vs Veloq's) and the outputs must be identical.
//
// The C++ ABI spelling of a type (typeid(...).name(), the Itanium mangling)
// encodes every parameter and return type, and for structs the tag or
// typedef name that gives them linkage -- so a changed parameter type,
// constness, arity or variadic-ness shows up as a different line.  A
// function missing from the header fails to compile.
#include <uv.h>

// Same include-path guard as layout_dump.c.
#if defined(VELOQ_ABI_EXPECT_ORACLE) && defined(VELOQ_UV_PRIVATE)
#error "oracle build of the signature dump picked up Veloq's uv.h"
#endif
#if defined(VELOQ_ABI_EXPECT_VELOQ) && !defined(VELOQ_UV_PRIVATE)
#error "Veloq build of the signature dump picked up the installed libuv uv.h"
#endif

#include <cstdio>
#include <typeinfo>

#include "layout_table.h"

namespace {

void print_function(const char* name, const std::type_info& type) {
  std::printf("function %s %s\n", name, type.name());
}

void print_callback(const char* name, const std::type_info& type) {
  std::printf("callback %s %s\n", name, type.name());
}

}  // namespace

int main() {
#define PRINT_FUNCTION(name) print_function(#name, typeid(decltype(name)));
  VELOQ_ABI_FUNCTIONS(PRINT_FUNCTION)
#undef PRINT_FUNCTION

#define PRINT_CALLBACK(name) print_callback(#name, typeid(name));
  VELOQ_ABI_CALLBACK_TYPES(PRINT_CALLBACK)
#undef PRINT_CALLBACK

  // uv_tty_set_mode has the C declaration plus libuv's inline C++ overload
  // taking int; both must exist with exactly these types.  decltype keeps
  // the check unevaluated (nothing to link against).
  using TtyC = decltype(static_cast<int (*)(uv_tty_t*, uv_tty_mode_t)>(
      &uv_tty_set_mode));
  using TtyCxx = decltype(static_cast<int (*)(uv_tty_t*, int)>(
      &uv_tty_set_mode));
  std::printf("function uv_tty_set_mode %s %s\n", typeid(TtyC).name(),
              typeid(TtyCxx).name());
  return 0;
}
