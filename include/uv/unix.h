/* Veloq -- uv/unix.h
 *
 * POSIX part of the libuv 1.44 ABI as implemented by Veloq (Linux only).
 *
 * Two kinds of things live here:
 *  - typedefs programs use directly (uv_buf_t, uv_file, uv_os_fd_t, the
 *    pthread-based uv_mutex_t & co., uv_lib_t, UV_FS_O_* flags): these are
 *    exactly libuv's.
 *  - the *_PRIVATE_FIELDS macros that complete each public struct.  In libuv
 *    they spell out its internals; in Veloq they are opaque storage owned by
 *    src/compat_uv, sized so every struct keeps libuv's sizeof/alignof (and
 *    therefore every public field keeps its offset).  Where Veloq needs more
 *    than that, it keeps a pointer in this storage to a side allocation.
 *    test/abi checks all of it against the installed libuv headers.
 */
#ifndef UV_UNIX_H
#define UV_UNIX_H

#if !defined(__linux__)
# error "Veloq's uv.h supports Linux only"
#endif

/* libuv's unix.h pulls these in; programs rely on getting them via uv.h. */
#include <sys/types.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <dirent.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <termios.h>
#include <pwd.h>
#include <semaphore.h>
#include <sys/param.h>
#include <pthread.h>
#include <signal.h>

#include "uv/threadpool.h"
#include "uv/linux.h"

#ifndef NI_MAXHOST
# define NI_MAXHOST 1025
#endif
#ifndef NI_MAXSERV
# define NI_MAXSERV 32
#endif

/* Platform hooks libuv defines for its own sources; empty in Veloq. */
#define UV_IO_PRIVATE_PLATFORM_FIELDS      /* none */
#define UV_STREAM_PRIVATE_PLATFORM_FIELDS  /* none */
#define UV_PLATFORM_SEM_T sem_t

/* Opaque, pointer-aligned private storage of `bytes` bytes named `name`.
 * `bytes` is always a multiple of the pointer size so the union adds no
 * padding; the unsigned char array is what the implementation constructs
 * its own objects in. */
#define VELOQ_UV_PRIVATE(name, bytes) \
  union { unsigned char storage[bytes]; void* align; } name;

/* I/O vector; layout-compatible with struct iovec so it can go to writev(). */
typedef struct uv_buf_t {
  char* base;
  size_t len;
} uv_buf_t;

typedef int uv_file;
typedef int uv_os_sock_t;
typedef int uv_os_fd_t;
typedef pid_t uv_pid_t;
typedef gid_t uv_gid_t;
typedef uid_t uv_uid_t;

/* Threads and locks are plain pthread objects, as in libuv. */
#define UV_ONCE_INIT PTHREAD_ONCE_INIT
typedef pthread_once_t uv_once_t;
typedef pthread_t uv_thread_t;
typedef pthread_mutex_t uv_mutex_t;
typedef pthread_rwlock_t uv_rwlock_t;
typedef UV_PLATFORM_SEM_T uv_sem_t;
typedef pthread_cond_t uv_cond_t;
typedef pthread_key_t uv_key_t;

/* uv_barrier_t follows libuv's rule: a pthread barrier when <pthread.h>
 * offers one in this compilation mode, otherwise libuv's fallback shape
 * (a pointer to a heap barrier).  The choice changes sizeof(uv_barrier_t),
 * so it must be made exactly as libuv's header makes it. */
#if defined(PTHREAD_BARRIER_SERIAL_THREAD)
typedef pthread_barrier_t uv_barrier_t;
#else
struct _uv_barrier {
  uv_mutex_t mutex;
  uv_cond_t cond;
  unsigned threshold;
  unsigned in;
  unsigned out;
};
typedef struct {
  struct _uv_barrier* b;
} uv_barrier_t;
#endif

typedef struct dirent uv__dirent_t;

/* d_type constants for uv_dirent_type_t translation. */
#if defined(DT_UNKNOWN)
# define HAVE_DIRENT_TYPES
# define UV__DT_FILE DT_REG
# define UV__DT_DIR DT_DIR
# define UV__DT_LINK DT_LNK
# define UV__DT_FIFO DT_FIFO
# define UV__DT_SOCKET DT_SOCK
# define UV__DT_CHAR DT_CHR
# define UV__DT_BLOCK DT_BLK
#endif

/* uv_dlopen() handle: public in practice (errmsg is read by callers). */
#define UV_DYNAMIC /* empty */
typedef struct {
  void* handle;
  char* errmsg;
} uv_lib_t;

/* ---- Veloq-owned private storage, one macro per public struct ----------
 * The byte counts equal libuv 1.44's private fields on Linux x86_64. */

#define UV_LOOP_PRIVATE_FIELDS      VELOQ_UV_PRIVATE(veloq_loop, 792)

#define UV_HANDLE_PRIVATE_FIELDS    VELOQ_UV_PRIVATE(veloq_handle, 16)
#define UV_STREAM_PRIVATE_FIELDS    VELOQ_UV_PRIVATE(veloq_stream, 128)
#define UV_TCP_PRIVATE_FIELDS       /* none */
#define UV_PIPE_PRIVATE_FIELDS      VELOQ_UV_PRIVATE(veloq_pipe, 8)
#define UV_TTY_PRIVATE_FIELDS       VELOQ_UV_PRIVATE(veloq_tty, 64)
#define UV_UDP_PRIVATE_FIELDS       VELOQ_UV_PRIVATE(veloq_udp, 104)
#define UV_POLL_PRIVATE_FIELDS      VELOQ_UV_PRIVATE(veloq_poll, 56)
#define UV_TIMER_PRIVATE_FIELDS     VELOQ_UV_PRIVATE(veloq_timer, 56)
#define UV_PREPARE_PRIVATE_FIELDS   VELOQ_UV_PRIVATE(veloq_prepare, 24)
#define UV_CHECK_PRIVATE_FIELDS     VELOQ_UV_PRIVATE(veloq_check, 24)
#define UV_IDLE_PRIVATE_FIELDS      VELOQ_UV_PRIVATE(veloq_idle, 24)
#define UV_ASYNC_PRIVATE_FIELDS     VELOQ_UV_PRIVATE(veloq_async, 32)
#define UV_PROCESS_PRIVATE_FIELDS   VELOQ_UV_PRIVATE(veloq_process, 24)
#define UV_SIGNAL_PRIVATE_FIELDS    VELOQ_UV_PRIVATE(veloq_signal, 40)
#define UV_FS_EVENT_PRIVATE_FIELDS  VELOQ_UV_PRIVATE(veloq_fs_event, 32)
#define UV_DIR_PRIVATE_FIELDS       VELOQ_UV_PRIVATE(veloq_dir, 8)

#define UV_REQ_TYPE_PRIVATE         /* no platform request types */
#define UV_REQ_PRIVATE_FIELDS       /* none */
#define UV_PRIVATE_REQ_TYPES        /* none */
#define UV_SHUTDOWN_PRIVATE_FIELDS  /* none */
#define UV_CONNECT_PRIVATE_FIELDS   VELOQ_UV_PRIVATE(veloq_connect, 16)
#define UV_WRITE_PRIVATE_FIELDS     VELOQ_UV_PRIVATE(veloq_write, 104)
#define UV_UDP_SEND_PRIVATE_FIELDS  VELOQ_UV_PRIVATE(veloq_udp_send, 240)
#define UV_FS_PRIVATE_FIELDS        VELOQ_UV_PRIVATE(veloq_fs, 168)
#define UV_WORK_PRIVATE_FIELDS      VELOQ_UV_PRIVATE(veloq_work, 40)

/* libuv documents req->addrinfo as readable despite sitting among its
 * private fields, so it keeps its offset (144) between two storage blocks. */
#define UV_GETADDRINFO_PRIVATE_FIELDS                                        \
  VELOQ_UV_PRIVATE(veloq_getaddrinfo, 72)                                    \
  struct addrinfo* addrinfo;                                                 \
  VELOQ_UV_PRIVATE(veloq_getaddrinfo_tail, 8)

/* Likewise req->host and req->service of uv_getnameinfo_t (offsets 252 and
 * 1277).  The two ints keep the 4-byte granularity libuv's layout has
 * around the character arrays. */
#define UV_GETNAMEINFO_PRIVATE_FIELDS                                        \
  VELOQ_UV_PRIVATE(veloq_getnameinfo, 176)                                   \
  int veloq_getnameinfo_word;                                                \
  char host[NI_MAXHOST];                                                     \
  char service[NI_MAXSERV];                                                  \
  int veloq_getnameinfo_tail;

/* ---- open(2) flags for uv_fs_open ---------------------------------------
 * Each is the system flag when this compilation mode exposes it, else 0,
 * exactly like libuv (programs compiled in strict modes see the zeros). */
#if defined(O_APPEND)
# define UV_FS_O_APPEND O_APPEND
#else
# define UV_FS_O_APPEND 0
#endif
#if defined(O_CREAT)
# define UV_FS_O_CREAT O_CREAT
#else
# define UV_FS_O_CREAT 0
#endif
/* O_DIRECT needs _GNU_SOURCE, so libuv spells out the kernel's per-arch
 * value instead. */
#if defined(__x86_64__) || defined(__s390x__)
# define UV_FS_O_DIRECT 0x04000
#elif defined(__arm__) || defined(__m68k__)
# define UV_FS_O_DIRECT 0x10000
#elif defined(__mips__)
# define UV_FS_O_DIRECT 0x08000
#elif defined(__powerpc__)
# define UV_FS_O_DIRECT 0x20000
#elif defined(O_DIRECT)
# define UV_FS_O_DIRECT O_DIRECT
#else
# define UV_FS_O_DIRECT 0
#endif
#if defined(O_DIRECTORY)
# define UV_FS_O_DIRECTORY O_DIRECTORY
#else
# define UV_FS_O_DIRECTORY 0
#endif
#if defined(O_DSYNC)
# define UV_FS_O_DSYNC O_DSYNC
#else
# define UV_FS_O_DSYNC 0
#endif
#if defined(O_EXCL)
# define UV_FS_O_EXCL O_EXCL
#else
# define UV_FS_O_EXCL 0
#endif
#if defined(O_EXLOCK)
# define UV_FS_O_EXLOCK O_EXLOCK
#else
# define UV_FS_O_EXLOCK 0
#endif
#if defined(O_NOATIME)
# define UV_FS_O_NOATIME O_NOATIME
#else
# define UV_FS_O_NOATIME 0
#endif
#if defined(O_NOCTTY)
# define UV_FS_O_NOCTTY O_NOCTTY
#else
# define UV_FS_O_NOCTTY 0
#endif
#if defined(O_NOFOLLOW)
# define UV_FS_O_NOFOLLOW O_NOFOLLOW
#else
# define UV_FS_O_NOFOLLOW 0
#endif
#if defined(O_NONBLOCK)
# define UV_FS_O_NONBLOCK O_NONBLOCK
#else
# define UV_FS_O_NONBLOCK 0
#endif
#if defined(O_RDONLY)
# define UV_FS_O_RDONLY O_RDONLY
#else
# define UV_FS_O_RDONLY 0
#endif
#if defined(O_RDWR)
# define UV_FS_O_RDWR O_RDWR
#else
# define UV_FS_O_RDWR 0
#endif
#if defined(O_SYMLINK)
# define UV_FS_O_SYMLINK O_SYMLINK
#else
# define UV_FS_O_SYMLINK 0
#endif
#if defined(O_SYNC)
# define UV_FS_O_SYNC O_SYNC
#else
# define UV_FS_O_SYNC 0
#endif
#if defined(O_TRUNC)
# define UV_FS_O_TRUNC O_TRUNC
#else
# define UV_FS_O_TRUNC 0
#endif
#if defined(O_WRONLY)
# define UV_FS_O_WRONLY O_WRONLY
#else
# define UV_FS_O_WRONLY 0
#endif

/* Windows-only flags; accepted and ignored on Linux. */
#define UV_FS_O_FILEMAP     0
#define UV_FS_O_RANDOM      0
#define UV_FS_O_SHORT_LIVED 0
#define UV_FS_O_SEQUENTIAL  0
#define UV_FS_O_TEMPORARY   0

#endif /* UV_UNIX_H */
