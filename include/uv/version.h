/* Veloq -- uv/version.h
 *
 * Veloq implements the libuv 1.44.2 API and ABI, so it reports that version:
 * programs (and build systems) gate features on these numbers.  Veloq's own
 * version is not reported through these macros.
 */
#ifndef UV_VERSION_H
#define UV_VERSION_H

#define UV_VERSION_MAJOR 1
#define UV_VERSION_MINOR 44
#define UV_VERSION_PATCH 2
#define UV_VERSION_IS_RELEASE 1
#define UV_VERSION_SUFFIX ""

/* 0xMMmmpp, as returned by uv_version(). */
#define UV_VERSION_HEX \
  ((UV_VERSION_MAJOR << 16) | (UV_VERSION_MINOR << 8) | (UV_VERSION_PATCH))

#endif /* UV_VERSION_H */
