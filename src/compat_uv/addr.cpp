// Addresses and fd classification (libuv 1.44: src/inet.c, src/uv-common.c,
// src/unix/getaddrinfo.c, src/unix/tty.c).
//
// libuv does not use the C library's inet_pton/inet_ntop: it carries its own
// (BIND-derived) ones, whose accept/reject set differs from glibc's in places
// (an IPv6 text with a "%zone" suffix is accepted and the zone ignored; an
// IPv4 octet with a leading zero is rejected). The parsers below are written
// to accept exactly what libuv 1.44.2 accepts and to produce the same bytes
// and text; test/uv-suite/addr.c checks that against the real libuv.
//
// Every parser works on an explicit [begin, end) range and stops at the
// first character it cannot use, so no input is read past its terminator.
// libuv's own functions crash on some NULL pointers (uv_ip6_addr(NULL, ...),
// uv_ip_name(NULL, ...)); here those return UV_EINVAL instead.
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

#include <uv.h>

namespace {

constexpr size_t kIp4TextMax = 16;  // "255.255.255.255" + NUL
constexpr size_t kIp6TextMax = 46;  // INET6_ADDRSTRLEN
// uv_inet_pton ignores a "%zone" suffix, but only when the address part is at
// most 45 characters (libuv copies it into a 46-byte buffer first).
constexpr size_t kPtonZonePrefixMax = kIp6TextMax - 1;
// uv_ip6_addr copies the address part before '%' into char[40], truncating
// longer ones to 39 characters before parsing them.
constexpr size_t kIp6AddrPartMax = 39;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Dotted quad, the whole of `s`: exactly four decimal octets 0..255 joined by
// single dots, no sign, no spaces, and no leading zero ("0" is fine, "00" and
// "01" are not).
int parse_ip4(std::string_view s, uint8_t out[4]) {
  uint8_t octets[4];
  size_t i = 0;
  for (int n = 0; n < 4; n++) {
    if (n > 0) {
      if (i == s.size() || s[i] != '.') return UV_EINVAL;
      i++;
    }
    if (i == s.size() || !is_digit(s[i])) return UV_EINVAL;
    unsigned value = 0;
    size_t first = i;
    while (i < s.size() && is_digit(s[i])) {
      if (i > first && value == 0) return UV_EINVAL;  // leading zero
      value = value * 10 + unsigned(s[i] - '0');
      if (value > 255) return UV_EINVAL;
      i++;
    }
    octets[n] = uint8_t(value);
  }
  if (i != s.size()) return UV_EINVAL;
  memcpy(out, octets, sizeof octets);
  return 0;
}

// IPv6 text, the whole of `s`: groups of 1-4 hex digits joined by ':', at
// most one "::" standing for one or more zero groups (libuv also accepts it
// for a single group, e.g. "1:2:3:4:5:6:7::"), and optionally a dotted quad
// as the last two groups. The text may not start or end with a lone ':'.
int parse_ip6(std::string_view s, uint8_t out[16]) {
  uint16_t words[8] = {};
  int count = 0;
  int gap = -1;  // index in words where "::" stands
  size_t i = 0;

  // A leading ':' must be the start of "::"; skip its first colon so the
  // loop below sees the second one as an empty group, i.e. the gap.
  if (!s.empty() && s[0] == ':') {
    if (s.size() < 2 || s[1] != ':') return UV_EINVAL;
    i = 1;
  }

  for (;;) {
    size_t group = i;
    unsigned value = 0;
    while (i < s.size() && hex_value(s[i]) >= 0) {
      if (i - group == 4) return UV_EINVAL;  // five hex digits
      value = value << 4 | unsigned(hex_value(s[i]));
      i++;
    }
    bool empty = i == group;

    if (i == s.size()) {  // end of text
      if (!empty) {
        if (count == 8) return UV_EINVAL;
        words[count++] = uint16_t(value);
      }
      break;
    }
    if (s[i] == ':') {
      i++;
      if (empty) {  // "::"
        if (gap >= 0) return UV_EINVAL;
        gap = count;
        continue;
      }
      if (i == s.size()) return UV_EINVAL;  // a lone trailing ':'
      if (count == 8) return UV_EINVAL;
      words[count++] = uint16_t(value);
      continue;
    }
    if (s[i] == '.') {
      // A dotted quad takes the rest of the text as the last two groups.
      uint8_t quad[4];
      if (count > 6 || parse_ip4(s.substr(group), quad) != 0) return UV_EINVAL;
      words[count++] = uint16_t(quad[0] << 8 | quad[1]);
      words[count++] = uint16_t(quad[2] << 8 | quad[3]);
      break;
    }
    return UV_EINVAL;
  }

  if (gap >= 0) {
    if (count == 8) return UV_EINVAL;  // "::" must stand for something
    int tail = count - gap;
    uint16_t expanded[8] = {};
    for (int k = 0; k < gap; k++) expanded[k] = words[k];
    for (int k = 0; k < tail; k++) expanded[8 - tail + k] = words[gap + k];
    memcpy(words, expanded, sizeof words);
  } else if (count != 8) {
    return UV_EINVAL;
  }
  for (int k = 0; k < 8; k++) {
    out[2 * k] = uint8_t(words[k] >> 8);
    out[2 * k + 1] = uint8_t(words[k]);
  }
  return 0;
}

// Copies `text` (with its NUL) to dst when it fits in `size` bytes; leaves dst
// untouched otherwise, as libuv does (so a NULL dst of size 0 is UV_ENOSPC
// there too; libuv would crash on a NULL dst with room, this says UV_EINVAL).
int copy_out(const char* text, size_t len, char* dst, size_t size) {
  if (len >= size) return UV_ENOSPC;
  if (dst == nullptr) return UV_EINVAL;
  memcpy(dst, text, len + 1);
  return 0;
}

size_t format_ip4(const uint8_t* b, char* text) {
  return size_t(snprintf(text, kIp4TextMax, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]));
}

// RFC 5952-like text, exactly as libuv (BIND) prints it: lower-case hex, the
// first longest run of two or more zero groups as "::", and a dotted quad for
// the last 32 bits of ::ffff:a.b.c.d and of ::a.b.c.d when the seventh group
// is not zero (::0.1.0.0 is dotted, ::2 stays "::2").
size_t format_ip6(const uint8_t* b, char* text) {
  unsigned words[8];
  for (int k = 0; k < 8; k++) words[k] = unsigned(b[2 * k]) << 8 | b[2 * k + 1];

  int best = -1, best_len = 0;
  for (int k = 0; k < 8;) {
    if (words[k] != 0) {
      k++;
      continue;
    }
    int start = k;
    while (k < 8 && words[k] == 0) k++;
    if (k - start > best_len) best = start, best_len = k - start;
  }
  if (best_len < 2) best = -1;

  bool embedded_ip4 = best == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff));
  char* p = text;
  for (int k = 0; k < 8; k++) {
    if (best >= 0 && k >= best && k < best + best_len) {
      if (k == best) *p++ = ':';
      continue;
    }
    if (k != 0) *p++ = ':';
    if (k == 6 && embedded_ip4) {
      p += format_ip4(b + 12, p);
      break;
    }
    p += snprintf(p, 5, "%x", words[k]);
  }
  if (best >= 0 && best + best_len == 8) *p++ = ':';
  *p = '\0';
  return size_t(p - text);
}

}  // namespace

extern "C" {

int uv_inet_ntop(int af, const void* src, char* dst, size_t size) {
  if (af != AF_INET && af != AF_INET6) return UV_EAFNOSUPPORT;
  if (src == nullptr) return UV_EINVAL;
  char text[kIp6TextMax];
  auto* bytes = static_cast<const uint8_t*>(src);
  size_t len = af == AF_INET ? format_ip4(bytes, text) : format_ip6(bytes, text);
  return copy_out(text, len, dst, size);
}

int uv_inet_pton(int af, const char* src, void* dst) {
  if (src == nullptr || dst == nullptr) return UV_EINVAL;
  auto* out = static_cast<uint8_t*>(dst);
  switch (af) {
    case AF_INET:
      return parse_ip4(src, out);
    case AF_INET6: {
      std::string_view text(src);
      size_t zone = text.find('%');
      if (zone != std::string_view::npos) {
        if (zone > kPtonZonePrefixMax) return UV_EINVAL;
        text = text.substr(0, zone);
      }
      return parse_ip6(text, out);
    }
    default:
      return UV_EAFNOSUPPORT;
  }
}

int uv_ip4_addr(const char* ip, int port, struct sockaddr_in* addr) {
  if (addr == nullptr) return UV_EINVAL;
  memset(addr, 0, sizeof *addr);
  addr->sin_family = AF_INET;
  addr->sin_port = htons(uint16_t(port));  // libuv truncates the port the same way
  return uv_inet_pton(AF_INET, ip, &addr->sin_addr.s_addr);
}

// "addr%zone": the zone is an interface name looked up with if_nametoindex.
// As in libuv 1.44 on Unix, an unknown name (a number too, unless an
// interface is called that) gives scope id 0 and no error, and the scope id
// is set even when the address part then fails to parse.
int uv_ip6_addr(const char* ip, int port, struct sockaddr_in6* addr) {
  if (addr == nullptr) return UV_EINVAL;
  memset(addr, 0, sizeof *addr);
  addr->sin6_family = AF_INET6;
  addr->sin6_port = htons(uint16_t(port));
  if (ip == nullptr) return UV_EINVAL;

  const char* zone = strchr(ip, '%');
  if (zone == nullptr) return uv_inet_pton(AF_INET6, ip, &addr->sin6_addr);

  char address_part[kIp6AddrPartMax + 1];
  size_t len = size_t(zone - ip);
  if (len > kIp6AddrPartMax) len = kIp6AddrPartMax;
  memcpy(address_part, ip, len);
  address_part[len] = '\0';
  addr->sin6_scope_id = if_nametoindex(zone + 1);
  return uv_inet_pton(AF_INET6, address_part, &addr->sin6_addr);
}

int uv_ip4_name(const struct sockaddr_in* src, char* dst, size_t size) {
  if (src == nullptr) return UV_EINVAL;
  return uv_inet_ntop(AF_INET, &src->sin_addr, dst, size);
}

int uv_ip6_name(const struct sockaddr_in6* src, char* dst, size_t size) {
  if (src == nullptr) return UV_EINVAL;
  return uv_inet_ntop(AF_INET6, &src->sin6_addr, dst, size);
}

int uv_ip_name(const struct sockaddr* src, char* dst, size_t size) {
  if (src == nullptr) return UV_EINVAL;
  switch (src->sa_family) {
    case AF_INET:
      return uv_ip4_name(reinterpret_cast<const sockaddr_in*>(src), dst, size);
    case AF_INET6:
      return uv_ip6_name(reinterpret_cast<const sockaddr_in6*>(src), dst, size);
    default:
      return UV_EAFNOSUPPORT;
  }
}

// On success *size is the name's length without the NUL; when the buffer is
// too small, UV_ENOBUFS and *size is the size needed including the NUL.
int uv_if_indextoname(unsigned int ifindex, char* buffer, size_t* size) {
  if (buffer == nullptr || size == nullptr || *size == 0) return UV_EINVAL;
  char name[UV_IF_NAMESIZE];
  if (if_indextoname(ifindex, name) == nullptr) return -errno;
  size_t len = strnlen(name, sizeof name);
  if (len >= *size) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  memcpy(buffer, name, len);
  buffer[len] = '\0';
  *size = len;
  return 0;
}

// On Unix libuv's interface identifier is the interface name (only Windows
// uses the decimal index), so scoped addresses read "fe80::1%lo".
int uv_if_indextoiid(unsigned int ifindex, char* buffer, size_t* size) {
  return uv_if_indextoname(ifindex, buffer, size);
}

// libuv 1.44's classification: ttys first, then regular files and character
// devices (/dev/null too) are UV_FILE, FIFOs UV_NAMED_PIPE, and sockets by
// type and family: stream inet/inet6 UV_TCP, stream unix UV_NAMED_PIPE,
// datagram inet/inet6 UV_UDP. Everything else (directories, datagram or
// seqpacket unix sockets, netlink, eventfd, closed fds) is UV_UNKNOWN_HANDLE.
uv_handle_type uv_guess_handle(uv_file file) {
  if (file < 0) return UV_UNKNOWN_HANDLE;
  if (isatty(file)) return UV_TTY;

  struct stat st;
  if (fstat(file, &st) != 0) return UV_UNKNOWN_HANDLE;
  if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) return UV_FILE;
  if (S_ISFIFO(st.st_mode)) return UV_NAMED_PIPE;
  if (!S_ISSOCK(st.st_mode)) return UV_UNKNOWN_HANDLE;

  int type;
  socklen_t len = sizeof type;
  if (getsockopt(file, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return UV_UNKNOWN_HANDLE;
  struct sockaddr_storage ss;
  len = sizeof ss;
  if (getsockname(file, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return UV_UNKNOWN_HANDLE;

  bool inet = ss.ss_family == AF_INET || ss.ss_family == AF_INET6;
  if (type == SOCK_DGRAM && inet) return UV_UDP;
  if (type == SOCK_STREAM && inet) return UV_TCP;
  if (type == SOCK_STREAM && ss.ss_family == AF_UNIX) return UV_NAMED_PIPE;
  return UV_UNKNOWN_HANDLE;
}

}  // extern "C"
