#include "core/net/socket_addr.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <charconv>
#include <cstddef>
#include <cstring>

namespace veloq::net {

namespace {

constexpr socklen_t kUnixPathOffset = offsetof(sockaddr_un, sun_path);

Result<uint16_t> parse_port(std::string_view s) {
  unsigned v = 0;
  if (s.empty() || s.size() > 5) return err<uint16_t>(EINVAL);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v > 65535) return err<uint16_t>(EINVAL);
  return static_cast<uint16_t>(v);
}

}  // namespace

SocketAddr::SocketAddr() { std::memset(&ss_, 0, sizeof ss_); }

Result<SocketAddr> SocketAddr::from_ip(std::string_view ip, uint16_t port) {
  // inet_pton needs a NUL-terminated string; IP literals are short.
  char text[INET6_ADDRSTRLEN + 1];
  if (ip.empty() || ip.size() >= sizeof text) return err<SocketAddr>(EINVAL);
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  SocketAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss_);
  if (::inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    a.len_ = sizeof(sockaddr_in);
    return a;
  }
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss_);
  if (::inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    a.len_ = sizeof(sockaddr_in6);
    return a;
  }
  return err<SocketAddr>(EINVAL);
}

Result<SocketAddr> SocketAddr::parse(std::string_view text) {
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == std::string_view::npos) return err<SocketAddr>(EINVAL);
    std::string_view host = text.substr(1, close - 1);
    if (host.find(':') == std::string_view::npos) return err<SocketAddr>(EINVAL);  // v6 only
    auto port = parse_port(text.substr(close + 2));
    if (!port) return err<SocketAddr>(EINVAL);
    return from_ip(host, *port);
  }
  size_t colon = text.rfind(':');
  // An unbracketed IPv6 literal with a port is ambiguous: refuse it.
  if (colon == std::string_view::npos || text.find(':') != colon) return err<SocketAddr>(EINVAL);
  auto port = parse_port(text.substr(colon + 1));
  if (!port) return err<SocketAddr>(EINVAL);
  auto a = from_ip(text.substr(0, colon), *port);
  if (!a || !a->is_ipv4()) return err<SocketAddr>(EINVAL);
  return a;
}

SocketAddr SocketAddr::ipv4_loopback(uint16_t port) {
  SocketAddr a;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&a.ss_);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(port);
  v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.len_ = sizeof(sockaddr_in);
  return a;
}

SocketAddr SocketAddr::ipv4_any(uint16_t port) {
  SocketAddr a = ipv4_loopback(port);
  reinterpret_cast<sockaddr_in*>(&a.ss_)->sin_addr.s_addr = htonl(INADDR_ANY);
  return a;
}

SocketAddr SocketAddr::ipv6_loopback(uint16_t port) {
  SocketAddr a;
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.ss_);
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  v6->sin6_addr = in6addr_loopback;
  a.len_ = sizeof(sockaddr_in6);
  return a;
}

Result<SocketAddr> SocketAddr::unix_path(std::string_view path) {
  SocketAddr a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.ss_);
  // Needs room for the terminating NUL; embedded NULs would silently truncate.
  if (path.empty() || path.size() >= sizeof un->sun_path ||
      path.find('\0') != std::string_view::npos) {
    return err<SocketAddr>(EINVAL);
  }
  un->sun_family = AF_UNIX;
  std::memcpy(un->sun_path, path.data(), path.size());
  a.len_ = socklen_t(kUnixPathOffset + path.size() + 1);
  return a;
}

Result<SocketAddr> SocketAddr::unix_abstract(std::string_view name) {
  SocketAddr a;
  auto* un = reinterpret_cast<sockaddr_un*>(&a.ss_);
  if (name.size() + 1 > sizeof un->sun_path) return err<SocketAddr>(EINVAL);
  un->sun_family = AF_UNIX;
  un->sun_path[0] = '\0';
  std::memcpy(un->sun_path + 1, name.data(), name.size());
  // The length, not a NUL, delimits an abstract name.
  a.len_ = socklen_t(kUnixPathOffset + 1 + name.size());
  return a;
}

Result<SocketAddr> SocketAddr::from_sockaddr(const sockaddr* sa, socklen_t len) {
  if (sa == nullptr || len < socklen_t(sizeof(sa_family_t)) || len > socklen_t(sizeof(sockaddr_storage))) {
    return err<SocketAddr>(EINVAL);
  }
  SocketAddr a;
  switch (sa->sa_family) {
    case AF_INET:
      if (len < socklen_t(sizeof(sockaddr_in))) return err<SocketAddr>(EINVAL);
      len = sizeof(sockaddr_in);
      break;
    case AF_INET6:
      if (len < socklen_t(sizeof(sockaddr_in6))) return err<SocketAddr>(EINVAL);
      len = sizeof(sockaddr_in6);
      break;
    case AF_UNIX:
      break;
    default:
      return err<SocketAddr>(EINVAL);
  }
  std::memcpy(&a.ss_, sa, len);
  a.len_ = len;
  return a;
}

bool SocketAddr::is_abstract() const {
  auto* un = reinterpret_cast<const sockaddr_un*>(&ss_);
  return is_unix() && len_ > kUnixPathOffset && un->sun_path[0] == '\0';
}

uint16_t SocketAddr::port() const {
  if (is_ipv4()) return ntohs(reinterpret_cast<const sockaddr_in*>(&ss_)->sin_port);
  if (is_ipv6()) return ntohs(reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_port);
  return 0;
}

void SocketAddr::set_port(uint16_t port) {
  if (is_ipv4()) reinterpret_cast<sockaddr_in*>(&ss_)->sin_port = htons(port);
  if (is_ipv6()) reinterpret_cast<sockaddr_in6*>(&ss_)->sin6_port = htons(port);
}

std::string SocketAddr::ip() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_ipv4()) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ss_)->sin_addr, buf, sizeof buf);
    return buf;
  }
  if (is_ipv6()) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ss_)->sin6_addr, buf, sizeof buf);
    return buf;
  }
  if (is_unix()) {
    auto* un = reinterpret_cast<const sockaddr_un*>(&ss_);
    if (len_ <= kUnixPathOffset) return "(unnamed)";
    size_t n = len_ - kUnixPathOffset;
    if (un->sun_path[0] == '\0') {
      std::string name(1, '@');
      name.append(un->sun_path + 1, n - 1);
      return name;
    }
    return std::string(un->sun_path, ::strnlen(un->sun_path, n));
  }
  return "(none)";
}

std::string SocketAddr::to_string() const {
  // Built by append: g++ 12 warns falsely (-Wrestrict) on literal + string.
  std::string s;
  if (is_ipv6()) s.push_back('[');
  s.append(ip());
  if (is_ipv6()) s.push_back(']');
  if (is_ipv4() || is_ipv6()) {
    s.push_back(':');
    s.append(std::to_string(port()));
  }
  return s;
}

bool operator==(const SocketAddr& a, const SocketAddr& b) {
  return a.len_ == b.len_ && std::memcmp(&a.ss_, &b.ss_, a.len_) == 0;
}

}  // namespace veloq::net
