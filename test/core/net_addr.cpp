// SocketAddr parsing / formatting / sockaddr round trips.
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "core/net/socket_addr.hpp"

using namespace veloq::net;

Test(net_addr, parse_ipv4) {
  auto a = SocketAddr::parse("127.0.0.1:8080");
  cr_assert(a.has_value());
  cr_assert(a->is_ipv4());
  cr_assert_eq(a->port(), 8080);
  cr_assert_eq(a->ip(), "127.0.0.1");
  cr_assert_eq(a->to_string(), "127.0.0.1:8080");
  cr_assert_eq(a->len(), sizeof(sockaddr_in));
  cr_assert(*a == SocketAddr::ipv4_loopback(8080));
}

Test(net_addr, parse_ipv6) {
  auto a = SocketAddr::parse("[::1]:443");
  cr_assert(a.has_value());
  cr_assert(a->is_ipv6());
  cr_assert_eq(a->port(), 443);
  cr_assert_eq(a->to_string(), "[::1]:443");
  cr_assert(*a == SocketAddr::ipv6_loopback(443));
  auto b = SocketAddr::parse("[fe80::1:2]:0");
  cr_assert(b.has_value());
  cr_assert_eq(b->ip(), "fe80::1:2");
}

Test(net_addr, bad_text_is_einval) {
  const char* bad[] = {"",           "127.0.0.1",      "127.0.0.1:",  "127.0.0.1:65536",
                       "1.2.3:80",   "::1:80",         "[::1]",       "[::1]80",
                       "[1.2.3.4]:80", "host:80",      "127.0.0.1:-1", "127.0.0.1:8x",
                       "[::1]:99999", "256.0.0.1:1"};
  for (const char* s : bad) {
    auto a = SocketAddr::parse(s);
    cr_assert_not(a.has_value(), "'%s' parsed", s);
    cr_assert_eq(a.error().value(), EINVAL, "'%s'", s);
  }
  cr_assert_not(SocketAddr::from_ip("nope", 1).has_value());
  cr_assert_not(SocketAddr::unix_path("").has_value());
  cr_assert_not(SocketAddr::unix_path(std::string(200, 'x')).has_value());
  cr_assert_not(SocketAddr::unix_abstract(std::string(200, 'x')).has_value());
}

Test(net_addr, set_port_and_from_storage) {
  auto a = *SocketAddr::from_ip("10.1.2.3", 1);
  a.set_port(65535);
  cr_assert_eq(a.to_string(), "10.1.2.3:65535");
  sockaddr_storage ss{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(99);
  ::inet_pton(AF_INET, "192.168.0.7", &v4->sin_addr);
  auto b = SocketAddr::from_storage(ss, sizeof(sockaddr_in));
  cr_assert(b.has_value());
  cr_assert_eq(b->to_string(), "192.168.0.7:99");
  // Too short for the family, unknown family: EINVAL.
  cr_assert_not(SocketAddr::from_storage(ss, 4).has_value());
  ss.ss_family = AF_APPLETALK;
  cr_assert_not(SocketAddr::from_storage(ss, sizeof ss).has_value());
}

Test(net_addr, unix_names) {
  auto p = SocketAddr::unix_path("/tmp/veloq.sock");
  cr_assert(p.has_value());
  cr_assert(p->is_unix());
  cr_assert_not(p->is_abstract());
  cr_assert_eq(p->to_string(), "/tmp/veloq.sock");
  auto ab = SocketAddr::unix_abstract("veloq-test");
  cr_assert(ab.has_value());
  cr_assert(ab->is_abstract());
  cr_assert_eq(ab->to_string(), "@veloq-test");
  cr_assert_eq(ab->port(), 0);
  // An abstract name round-trips through sockaddr with its exact length.
  auto back = SocketAddr::from_sockaddr(ab->as_sockaddr(), ab->len());
  cr_assert(back && *back == *ab);
}
