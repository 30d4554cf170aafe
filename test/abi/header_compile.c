/* Compiled (never run) in several strict C modes with -pedantic -Werror:
 * Veloq's uv.h must be clean wherever libuv's is usable. */
#include <uv.h>

int veloq_abi_header_compiles(void) {
  uv_buf_t buf = uv_buf_init(0, 0);
  return (int)buf.len + UV_EOF;
}
