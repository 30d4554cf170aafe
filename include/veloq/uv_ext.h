/* Veloq -- veloq/uv_ext.h
 *
 * Veloq-specific extensions to the libuv API (placeholder).
 *
 * Everything declared here is prefixed `veloq_uv_` (functions, types) or
 * `VELOQ_UV_` (macros) so it can never collide with a present or future
 * libuv name; include/uv.h itself stays exactly libuv 1.44.  Planned (see
 * DESIGN.md section 4): one uv loop per core, sharding a listening TCP handle
 * across cores, zero-copy reads into FixedBufs.  Nothing is declared yet.
 */
#ifndef VELOQ_UV_EXT_H
#define VELOQ_UV_EXT_H

#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

/* (extensions arrive with the compat_uv issues) */

#ifdef __cplusplus
}
#endif

#endif /* VELOQ_UV_EXT_H */
