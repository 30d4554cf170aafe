// uv_getaddrinfo / uv_getnameinfo (libuv 1.44 src/unix/getaddrinfo.c,
// getnameinfo.c, src/idna.c): the libc resolver on a threadpool thread (slow
// I/O share), or inline when no callback is given.
#include <netdb.h>
#include <sys/socket.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <initializer_list>

#include "compat_uv/alloc.hpp"
#include "compat_uv/stream.hpp"  // req_register / req_unregister
#include "compat_uv/threadpool.hpp"

using namespace veloq::uvc;

namespace {

// ---- libuv's EAI_* -> UV_EAI_* (uv__getaddrinfo_translate_error) ---------
// Called on the thread that ran the resolver: EAI_SYSTEM means errno.
int translate_eai(int err) {
  switch (err) {
    case 0: return 0;
#ifdef EAI_ADDRFAMILY
    case EAI_ADDRFAMILY: return UV_EAI_ADDRFAMILY;
#endif
    case EAI_AGAIN: return UV_EAI_AGAIN;
    case EAI_BADFLAGS: return UV_EAI_BADFLAGS;
#ifdef EAI_BADHINTS
    case EAI_BADHINTS: return UV_EAI_BADHINTS;
#endif
#ifdef EAI_CANCELED
    case EAI_CANCELED: return UV_EAI_CANCELED;
#endif
    case EAI_FAIL: return UV_EAI_FAIL;
    case EAI_FAMILY: return UV_EAI_FAMILY;
    case EAI_MEMORY: return UV_EAI_MEMORY;
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA: return UV_EAI_NODATA;
#endif
    case EAI_NONAME: return UV_EAI_NONAME;
    case EAI_OVERFLOW: return UV_EAI_OVERFLOW;
#ifdef EAI_PROTOCOL
    case EAI_PROTOCOL: return UV_EAI_PROTOCOL;
#endif
    case EAI_SERVICE: return UV_EAI_SERVICE;
    case EAI_SOCKTYPE: return UV_EAI_SOCKTYPE;
    case EAI_SYSTEM: return errno > 0 ? -errno : UV_EAI_FAIL;
    default: return UV_EAI_FAIL;  // libuv aborts on a code it does not know
  }
}

// ---- IDNA: UTF-8 host names to ASCII (RFC 3492 punycode, "xn--" labels) --
// libuv converts every host name before resolving it. ASCII labels are
// copied as they are; a label with other characters becomes "xn--" plus its
// punycode. Label separators: '.', U+3002, U+FF0E, U+FF61.

constexpr unsigned kBadUtf8 = UINT_MAX;

// One code point from [*p, end); advances *p. kBadUtf8 for a malformed,
// overlong or surrogate sequence, or one beyond U+10FFFF.
unsigned utf8_next(const char** p, const char* end) {
  const auto lead = static_cast<unsigned char>(*(*p)++);
  if (lead < 0x80) return lead;
  unsigned extra;
  unsigned cp;
  unsigned min;
  if (lead >= 0xC0 && lead < 0xE0) {
    extra = 1, cp = lead & 0x1F, min = 0x80;
  } else if (lead >= 0xE0 && lead < 0xF0) {
    extra = 2, cp = lead & 0x0F, min = 0x800;
  } else if (lead >= 0xF0 && lead < 0xF8) {
    extra = 3, cp = lead & 0x07, min = 0x10000;
  } else {
    return kBadUtf8;
  }
  if (static_cast<size_t>(end - *p) < extra) return kBadUtf8;
  for (unsigned i = 0; i < extra; i++) {
    const auto b = static_cast<unsigned char>(*(*p)++);
    if ((b & 0xC0) != 0x80) return kBadUtf8;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return kBadUtf8;
  return cp;
}

// Bounded output: bytes past the end are counted but not written.
struct Out {
  char* pos;
  char* end;
  bool overflow = false;
  void put(char c) {
    if (pos < end)
      *pos++ = c;
    else
      overflow = true;
  }
};

char punycode_digit(unsigned d) { return static_cast<char>(d < 26 ? 'a' + d : '0' + (d - 26)); }

// RFC 3492 section 6.1.
unsigned punycode_adapt(unsigned delta, unsigned points, bool first) {
  delta = first ? delta / 700 : delta / 2;
  delta += delta / points;
  unsigned k = 0;
  while (delta > ((36 - 1) * 26) / 2) {
    delta /= 36 - 1;
    k += 36;
  }
  return k + (36 * delta) / (delta + 38);
}

int label_to_ascii(const char* begin, const char* end, Out& out) {
  unsigned basic = 0;
  unsigned other = 0;
  for (const char* p = begin; p < end;) {
    const unsigned c = utf8_next(&p, end);
    if (c == kBadUtf8) return UV_EINVAL;
    (c < 0x80 ? basic : other)++;
  }
  if (other > 0) {
    for (char c : {'x', 'n', '-', '-'}) out.put(c);
  }
  for (const char* p = begin; p < end;) {
    const unsigned c = utf8_next(&p, end);
    if (c < 0x80) out.put(static_cast<char>(c));
  }
  if (other == 0) return 0;
  if (basic > 0) out.put('-');
  unsigned n = 0x80;
  unsigned delta = 0;
  unsigned bias = 72;
  unsigned handled = basic;
  bool first = true;
  while (other > 0) {
    unsigned m = UINT_MAX;  // the smallest code point not handled yet
    for (const char* p = begin; p < end;) {
      const unsigned c = utf8_next(&p, end);
      if (c >= n && c < m) m = c;
    }
    if (m - n > (UINT_MAX - delta) / (handled + 1)) return UV_E2BIG;
    delta += (m - n) * (handled + 1);
    n = m;
    for (const char* p = begin; p < end;) {
      const unsigned c = utf8_next(&p, end);
      if (c < n && ++delta == 0) return UV_E2BIG;
      if (c != n) continue;
      unsigned q = delta;
      for (unsigned k = 36;; k += 36) {
        const unsigned t = k <= bias ? 1 : (k >= bias + 26 ? 26 : k - bias);
        if (q < t) break;
        out.put(punycode_digit(t + (q - t) % (36 - t)));
        q = (q - t) / (36 - t);
      }
      out.put(punycode_digit(q));
      bias = punycode_adapt(delta, handled + 1, first);
      first = false;
      delta = 0;
      handled++;
      other--;
    }
    delta++;
    n++;
  }
  return 0;
}

bool is_label_separator(unsigned c) { return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61; }

// Writes the NUL-terminated ASCII form of [s, s_end) into [d, d_end).
// libuv 1.44 cuts a result that does not fit silently (and may leave it
// unterminated); Veloq answers UV_EINVAL instead (libuv does since 1.48).
int idna_to_ascii(const char* s, const char* s_end, char* d, char* d_end) {
  Out out{d, d_end};
  const char* label = s;
  for (const char* p = s; p < s_end;) {
    const char* at = p;
    const unsigned c = utf8_next(&p, s_end);
    if (c == kBadUtf8) return UV_EINVAL;
    if (!is_label_separator(c)) continue;
    if (int rc = label_to_ascii(label, at, out); rc < 0) return rc;
    out.put('.');
    label = p;
  }
  if (label < s_end) {
    if (int rc = label_to_ascii(label, s_end, out); rc < 0) return rc;
  }
  out.put('\0');
  return out.overflow ? UV_EINVAL : 0;
}

// ---- uv_getaddrinfo_t private state (72 bytes + the 8-byte tail) ---------
struct GaiState {
  WorkItem work;
  uv_getaddrinfo_cb cb;
  // One uv_malloc'ed block holding [hints][service\0][hostname\0]; whichever
  // comes first owns it (as libuv).
  struct addrinfo* hints;
  char* service;
  char* hostname;
};
static_assert(sizeof(GaiState) <= sizeof(((uv_getaddrinfo_t*)nullptr)->veloq_getaddrinfo));

GaiState* gai_state(uv_getaddrinfo_t* req) { return reinterpret_cast<GaiState*>(req->veloq_getaddrinfo.storage); }
int& gai_retcode(uv_getaddrinfo_t* req) { return *reinterpret_cast<int*>(req->veloq_getaddrinfo_tail.storage); }
uv_getaddrinfo_t* gai_req(WorkItem* w) {
  return reinterpret_cast<uv_getaddrinfo_t*>(reinterpret_cast<char*>(w) -
                                             offsetof(uv_getaddrinfo_t, veloq_getaddrinfo));
}

void getaddrinfo_work(WorkItem* w) {
  uv_getaddrinfo_t* req = gai_req(w);
  GaiState* st = gai_state(req);
  const int err = getaddrinfo(st->hostname, st->service, st->hints, &req->addrinfo);
  gai_retcode(req) = translate_eai(err);
}

void getaddrinfo_done(WorkItem* w, int status) {
  uv_getaddrinfo_t* req = gai_req(w);
  GaiState* st = gai_state(req);
  req_unregister(req->loop);
  void* block = st->hints != nullptr ? static_cast<void*>(st->hints)
                : st->service != nullptr ? static_cast<void*>(st->service)
                                         : static_cast<void*>(st->hostname);
  uv_free(block);
  st->hints = nullptr;
  st->service = nullptr;
  st->hostname = nullptr;
  if (status == UV_ECANCELED) gai_retcode(req) = UV_EAI_CANCELED;
  if (st->cb != nullptr) st->cb(req, gai_retcode(req), req->addrinfo);
}

// ---- uv_getnameinfo_t private state (176 bytes + two ints) ---------------
struct GniState {
  WorkItem work;
  uv_getnameinfo_cb cb;
  struct sockaddr_storage addr;
};
static_assert(sizeof(GniState) <= sizeof(((uv_getnameinfo_t*)nullptr)->veloq_getnameinfo));

GniState* gni_state(uv_getnameinfo_t* req) { return reinterpret_cast<GniState*>(req->veloq_getnameinfo.storage); }
uv_getnameinfo_t* gni_req(WorkItem* w) {
  return reinterpret_cast<uv_getnameinfo_t*>(reinterpret_cast<char*>(w) -
                                             offsetof(uv_getnameinfo_t, veloq_getnameinfo));
}

void getnameinfo_work(WorkItem* w) {
  uv_getnameinfo_t* req = gni_req(w);
  GniState* st = gni_state(req);
  const socklen_t len = st->addr.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  const int err = getnameinfo(reinterpret_cast<sockaddr*>(&st->addr), len, req->host, sizeof req->host,
                              req->service, sizeof req->service, req->veloq_getnameinfo_word);
  req->veloq_getnameinfo_tail = translate_eai(err);
}

void getnameinfo_done(WorkItem* w, int status) {
  uv_getnameinfo_t* req = gni_req(w);
  GniState* st = gni_state(req);
  req_unregister(req->loop);
  const char* host = nullptr;
  const char* service = nullptr;
  if (status == UV_ECANCELED) {
    req->veloq_getnameinfo_tail = UV_EAI_CANCELED;
  } else if (req->veloq_getnameinfo_tail == 0) {
    host = req->host;
    service = req->service;
  }
  if (st->cb != nullptr) st->cb(req, req->veloq_getnameinfo_tail, host, service);
}

}  // namespace

extern "C" {

int uv_getaddrinfo(uv_loop_t* loop, uv_getaddrinfo_t* req, uv_getaddrinfo_cb cb, const char* hostname,
                   const char* service, const struct addrinfo* hints) {
  if (req == nullptr || (hostname == nullptr && service == nullptr)) return UV_EINVAL;
  if (loop == nullptr) return UV_EINVAL;  // libuv would crash
  char ascii[256];
  if (hostname != nullptr) {
    if (int rc = idna_to_ascii(hostname, hostname + std::strlen(hostname), ascii, ascii + sizeof ascii); rc < 0)
      return rc;
    hostname = ascii;
  }
  const size_t hostname_len = hostname != nullptr ? std::strlen(hostname) + 1 : 0;
  const size_t service_len = service != nullptr ? std::strlen(service) + 1 : 0;
  const size_t hints_len = hints != nullptr ? sizeof *hints : 0;
  char* block = static_cast<char*>(uv_malloc(hints_len + service_len + hostname_len));
  if (block == nullptr) return UV_ENOMEM;

  req->type = UV_GETADDRINFO;
  req_register(loop);
  req->loop = loop;
  req->addrinfo = nullptr;
  GaiState* st = gai_state(req);
  st->cb = cb;
  st->hints = nullptr;
  st->service = nullptr;
  st->hostname = nullptr;
  gai_retcode(req) = 0;
  char* at = block;
  if (hints != nullptr) {
    st->hints = static_cast<struct addrinfo*>(std::memcpy(at, hints, hints_len));
    at += hints_len;
  }
  if (service != nullptr) {
    st->service = static_cast<char*>(std::memcpy(at, service, service_len));
    at += service_len;
  }
  if (hostname != nullptr) st->hostname = static_cast<char*>(std::memcpy(at, hostname, hostname_len));

  if (cb != nullptr) {
    work_submit(loop, &st->work, WorkKind::SlowIo, getaddrinfo_work, getaddrinfo_done);
    return 0;
  }
  work_init_inline(&st->work, loop);
  getaddrinfo_work(&st->work);
  getaddrinfo_done(&st->work, 0);
  return gai_retcode(req);
}

void uv_freeaddrinfo(struct addrinfo* ai) {
  if (ai != nullptr) freeaddrinfo(ai);
}

int uv_getnameinfo(uv_loop_t* loop, uv_getnameinfo_t* req, uv_getnameinfo_cb cb, const struct sockaddr* addr,
                   int flags) {
  if (req == nullptr || addr == nullptr || loop == nullptr) return UV_EINVAL;
  GniState* st = gni_state(req);
  if (addr->sa_family == AF_INET)
    std::memcpy(&st->addr, addr, sizeof(sockaddr_in));
  else if (addr->sa_family == AF_INET6)
    std::memcpy(&st->addr, addr, sizeof(sockaddr_in6));
  else
    return UV_EINVAL;
  req->type = UV_GETNAMEINFO;
  req_register(loop);
  req->loop = loop;
  st->cb = cb;
  req->veloq_getnameinfo_word = flags;
  req->veloq_getnameinfo_tail = 0;
  if (cb != nullptr) {
    work_submit(loop, &st->work, WorkKind::SlowIo, getnameinfo_work, getnameinfo_done);
    return 0;
  }
  work_init_inline(&st->work, loop);
  getnameinfo_work(&st->work);
  getnameinfo_done(&st->work, 0);
  return req->veloq_getnameinfo_tail;
}

}  // extern "C"
