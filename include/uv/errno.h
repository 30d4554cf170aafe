/* Veloq -- uv/errno.h
 *
 * Error codes of the libuv 1.44 API.  On Linux every UV_E* code for a system
 * error is the negated errno, so an error returned by a syscall can be handed
 * to the caller unchanged.  UV_EOF, UV_UNKNOWN, the UV_EAI_* family and the
 * two codes Linux has no errno for (ECHARSET, EFTYPE) use libuv's fixed
 * numbers, which are part of the ABI: compiled programs compare against them.
 */
#ifndef UV_ERRNO_H_
#define UV_ERRNO_H_

#include <errno.h>

/* libuv's errno-negation helper; uv.h #undefs it at its end, as libuv's
 * does, so only the UV__E* values below remain visible to programs. */
#define UV__ERR(x) (-(x))

/* Codes with no errno equivalent. */
#define UV__EOF             (-4095)
#define UV__UNKNOWN         (-4094)

/* getaddrinfo/getnameinfo failures (EAI_* mapped into libuv's range). */
#define UV__EAI_ADDRFAMILY  (-3000)
#define UV__EAI_AGAIN       (-3001)
#define UV__EAI_BADFLAGS    (-3002)
#define UV__EAI_CANCELED    (-3003)
#define UV__EAI_FAIL        (-3004)
#define UV__EAI_FAMILY      (-3005)
#define UV__EAI_MEMORY      (-3006)
#define UV__EAI_NODATA      (-3007)
#define UV__EAI_NONAME      (-3008)
#define UV__EAI_OVERFLOW    (-3009)
#define UV__EAI_SERVICE     (-3010)
#define UV__EAI_SOCKTYPE    (-3011)
#define UV__EAI_BADHINTS    (-3013)
#define UV__EAI_PROTOCOL    (-3014)

/* System error codes: the negated Linux errno.  Linux has no ECHARSET or
 * EFTYPE, so those take libuv's portable numbers, exactly as libuv does. */
#define UV__E2BIG            (-E2BIG)
#define UV__EACCES           (-EACCES)
#define UV__EADDRINUSE       (-EADDRINUSE)
#define UV__EADDRNOTAVAIL    (-EADDRNOTAVAIL)
#define UV__EAFNOSUPPORT     (-EAFNOSUPPORT)
#define UV__EAGAIN           (-EAGAIN)
#define UV__EALREADY         (-EALREADY)
#define UV__EBADF            (-EBADF)
#define UV__EBUSY            (-EBUSY)
#define UV__ECANCELED        (-ECANCELED)
#define UV__ECHARSET         (-4080)
#define UV__ECONNABORTED     (-ECONNABORTED)
#define UV__ECONNREFUSED     (-ECONNREFUSED)
#define UV__ECONNRESET       (-ECONNRESET)
#define UV__EDESTADDRREQ     (-EDESTADDRREQ)
#define UV__EEXIST           (-EEXIST)
#define UV__EFAULT           (-EFAULT)
#define UV__EHOSTUNREACH     (-EHOSTUNREACH)
#define UV__EINTR            (-EINTR)
#define UV__EINVAL           (-EINVAL)
#define UV__EIO              (-EIO)
#define UV__EISCONN          (-EISCONN)
#define UV__EISDIR           (-EISDIR)
#define UV__ELOOP            (-ELOOP)
#define UV__EMFILE           (-EMFILE)
#define UV__EMSGSIZE         (-EMSGSIZE)
#define UV__ENAMETOOLONG     (-ENAMETOOLONG)
#define UV__ENETDOWN         (-ENETDOWN)
#define UV__ENETUNREACH      (-ENETUNREACH)
#define UV__ENFILE           (-ENFILE)
#define UV__ENOBUFS          (-ENOBUFS)
#define UV__ENODEV           (-ENODEV)
#define UV__ENOENT           (-ENOENT)
#define UV__ENOMEM           (-ENOMEM)
#define UV__ENONET           (-ENONET)
#define UV__ENOSPC           (-ENOSPC)
#define UV__ENOSYS           (-ENOSYS)
#define UV__ENOTCONN         (-ENOTCONN)
#define UV__ENOTDIR          (-ENOTDIR)
#define UV__ENOTEMPTY        (-ENOTEMPTY)
#define UV__ENOTSOCK         (-ENOTSOCK)
#define UV__ENOTSUP          (-ENOTSUP)
#define UV__EPERM            (-EPERM)
#define UV__EPIPE            (-EPIPE)
#define UV__EPROTO           (-EPROTO)
#define UV__EPROTONOSUPPORT  (-EPROTONOSUPPORT)
#define UV__EPROTOTYPE       (-EPROTOTYPE)
#define UV__EROFS            (-EROFS)
#define UV__ESHUTDOWN        (-ESHUTDOWN)
#define UV__ESPIPE           (-ESPIPE)
#define UV__ESRCH            (-ESRCH)
#define UV__ETIMEDOUT        (-ETIMEDOUT)
#define UV__ETXTBSY          (-ETXTBSY)
#define UV__EXDEV            (-EXDEV)
#define UV__EFBIG            (-EFBIG)
#define UV__ENOPROTOOPT      (-ENOPROTOOPT)
#define UV__ERANGE           (-ERANGE)
#define UV__ENXIO            (-ENXIO)
#define UV__EMLINK           (-EMLINK)
#define UV__EHOSTDOWN        (-EHOSTDOWN)
#define UV__EREMOTEIO        (-EREMOTEIO)
#define UV__ENOTTY           (-ENOTTY)
#define UV__EFTYPE           (-4028)
#define UV__EILSEQ           (-EILSEQ)
#define UV__EOVERFLOW        (-EOVERFLOW)
#define UV__ESOCKTNOSUPPORT  (-ESOCKTNOSUPPORT)

#endif /* UV_ERRNO_H_ */
