// Compiled (never run) as C++ with -pedantic -Werror: Veloq's uv.h must be
// usable from C++ (extern "C", the uv_tty_set_mode(int) overload).
#include <uv.h>
#include <veloq/uv_ext.h>  // must stay usable alongside uv.h

int veloq_abi_header_compiles_cxx() {
  uv_buf_t buf = uv_buf_init(nullptr, 0);
  return static_cast<int>(buf.len) + UV_EOF;
}
