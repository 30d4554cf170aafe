/* Veloq -- uv/linux.h
 *
 * libuv adds inotify bookkeeping to uv_loop_t and uv_fs_event_t on Linux.
 * In Veloq those bytes are part of the opaque private storage declared in
 * uv/unix.h (whose sizes already include them), so the platform hooks are
 * empty here.  The header exists because programs may include it by name.
 */
#ifndef UV_LINUX_H
#define UV_LINUX_H

#define UV_PLATFORM_LOOP_FIELDS     /* folded into Veloq's loop storage */
#define UV_PLATFORM_FS_EVENT_FIELDS /* folded into Veloq's fs_event storage */

#endif /* UV_LINUX_H */
