// SocketAddr: an IPv4, IPv6 or Unix-domain socket address.
//
// A value type wrapping sockaddr_storage + length, so it can be copied into
// an Op's owned storage for connect/sendto and rebuilt from what the kernel
// wrote back (accept/recvfrom/getsockname). Parsing never throws: bad text
// gives EINVAL.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/runtime/result.hpp"

namespace veloq::net {

class SocketAddr {
 public:
  SocketAddr();

  // "127.0.0.1:8080" or "[::1]:8080". EINVAL on anything else.
  static Result<SocketAddr> parse(std::string_view text);
  // A bare IP literal ("10.0.0.1", "::1") plus a port.
  static Result<SocketAddr> from_ip(std::string_view ip, uint16_t port);
  static SocketAddr ipv4_loopback(uint16_t port = 0);
  static SocketAddr ipv6_loopback(uint16_t port = 0);
  static SocketAddr ipv4_any(uint16_t port = 0);
  // Filesystem path for AF_UNIX (EINVAL if empty or too long).
  static Result<SocketAddr> unix_path(std::string_view path);
  // Linux abstract-namespace name (no leading NUL in `name`).
  static Result<SocketAddr> unix_abstract(std::string_view name);
  // What the kernel wrote (accept, recvfrom, getsockname). EINVAL for an
  // unknown family or a length that does not fit the family.
  static Result<SocketAddr> from_sockaddr(const sockaddr* sa, socklen_t len);
  static Result<SocketAddr> from_storage(const sockaddr_storage& ss, socklen_t len) {
    return from_sockaddr(reinterpret_cast<const sockaddr*>(&ss), len);
  }

  int family() const { return ss_.ss_family; }
  bool is_ipv4() const { return family() == AF_INET; }
  bool is_ipv6() const { return family() == AF_INET6; }
  bool is_unix() const { return family() == AF_UNIX; }
  bool is_abstract() const;  // unix abstract name

  // IP port (0 for unix addresses).
  uint16_t port() const;
  void set_port(uint16_t port);
  // The IP literal without port ("127.0.0.1", "::1"); unix: path / "@name".
  std::string ip() const;
  // "1.2.3.4:80", "[::1]:80", "/tmp/sock", "@abstract", "(unnamed)".
  std::string to_string() const;

  const sockaddr* as_sockaddr() const { return reinterpret_cast<const sockaddr*>(&ss_); }
  socklen_t len() const { return len_; }

  friend bool operator==(const SocketAddr& a, const SocketAddr& b);

 private:
  sockaddr_storage ss_;
  socklen_t len_ = 0;
};

}  // namespace veloq::net
