/* Addresses (uv_ip4/ip6_addr, _name, uv_inet_pton/ntop), interface names
 * and uv_guess_handle. No network: only loopback, local sockets and a pty.
 *
 * Every text handed to uv_inet_pton/uv_ip*_addr is first copied into a heap
 * block of exactly strlen+1 bytes (dup_exact), so under ASan a parser that
 * reads past the terminator fails the run. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suite.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static char* dup_exact(const char* s) {
  size_t n = strlen(s) + 1;
  char* p = malloc(n);
  assert_non_null(p);
  memcpy(p, s, n);
  return p;
}

/* uv_inet_pton on an exact-size copy; on failure checks dst was not touched. */
static int pton(int af, const char* text, void* dst) {
  unsigned char before[16];
  memcpy(before, dst, sizeof before);
  char* copy = dup_exact(text);
  int r = uv_inet_pton(af, copy, dst);
  free(copy);
  if (r != 0) assert_memory_equal(before, dst, sizeof before);
  return r;
}

static int ip4_addr(const char* text, int port, struct sockaddr_in* sa) {
  char* copy = dup_exact(text);
  int r = uv_ip4_addr(copy, port, sa);
  free(copy);
  return r;
}

static int ip6_addr(const char* text, int port, struct sockaddr_in6* sa) {
  char* copy = dup_exact(text);
  int r = uv_ip6_addr(copy, port, sa);
  free(copy);
  return r;
}

static void expect_ntop(int af, const void* bytes, const char* text) {
  char out[64];
  memset(out, 'x', sizeof out);
  assert_int_equal(uv_inet_ntop(af, bytes, out, sizeof out), 0);
  assert_string_equal(out, text);
}

/* pton of `text` gives the same bytes as glibc's inet_pton of `canonical`,
 * and uv_inet_ntop of those bytes prints `canonical`. */
static void expect_ip6(const char* text, const char* canonical) {
  unsigned char got[16], want[16];
  memset(got, 0xAA, sizeof got);
  if (pton(AF_INET6, text, got) != 0) fail_msg("rejected \"%s\"", text);
  assert_int_equal(inet_pton(AF_INET6, canonical, want), 1);
  assert_memory_equal(got, want, 16);
  expect_ntop(AF_INET6, got, canonical);
}

static unsigned lo_index(void) {
  unsigned idx = if_nametoindex("lo");
  assert_true(idx > 0);
  return idx;
}

/* upstream: ip4_addr */
static void test_ip4_addr(void** state) {
  (void)state;
  struct sockaddr_in sa;
  memset(&sa, 0xAA, sizeof sa);
  assert_int_equal(ip4_addr("127.0.0.1", 8080, &sa), 0);
  assert_int_equal(sa.sin_family, AF_INET);
  assert_int_equal(ntohs(sa.sin_port), 8080);
  assert_int_equal(ntohl(sa.sin_addr.s_addr), 0x7f000001);
  const char zero[sizeof sa.sin_zero] = {0};
  assert_memory_equal(sa.sin_zero, zero, sizeof zero);

  assert_int_equal(ip4_addr("0.0.0.0", 0, &sa), 0);
  assert_int_equal(sa.sin_addr.s_addr, 0);
  assert_int_equal(ip4_addr("255.255.255.255", 1, &sa), 0);
  assert_int_equal(sa.sin_addr.s_addr, 0xffffffffu);
  assert_int_equal(ip4_addr("10.0.200.9", 1, &sa), 0);
  assert_int_equal(ntohl(sa.sin_addr.s_addr), 0x0a00c809);
}

/* upstream: ip4_addr (the malformed inputs) */
static void test_ip4_addr_malformed(void** state) {
  (void)state;
  static const char* const bad[] = {
      "",          "1",         "1.2.3",        "1.2.3.4.5",   "255.255.255.256", "256.0.0.0",
      "01.2.3.4",  "1.2.3.04",  "00.1.1.1",     "1.2.3.00",    "1..2.3",          ".1.2.3",
      "1.2.3.",    "1.2.3.4.",  " 1.2.3.4",     "1.2.3.4 ",    "1.2.3.4\n",       "1.2.3.4\t",
      "0x7f.0.0.1", "+1.2.3.4", "-1.2.3.4",     "1.2.3.4:80",  "1.2.3.4/8",       "localhost",
      "1.2.3.a",   "1e2.1.1.1", "9999999999.1.1.1", "1.2.3.4%lo", "::1",           "::ffff:1.2.3.4",
      "\xd9\xa1.2.3.4",
  };
  for (size_t i = 0; i < COUNT(bad); i++) {
    struct sockaddr_in sa;
    memset(&sa, 0xAA, sizeof sa);
    if (ip4_addr(bad[i], 80, &sa) != UV_EINVAL) fail_msg("accepted \"%s\"", bad[i]);
    /* libuv fills family and port before parsing, and zeroes the rest */
    assert_int_equal(sa.sin_family, AF_INET);
    assert_int_equal(ntohs(sa.sin_port), 80);
    assert_int_equal(sa.sin_addr.s_addr, 0);
  }
  struct sockaddr_in sa;
  assert_int_equal(uv_ip4_addr(NULL, 1, &sa), UV_EINVAL);
}

/* upstream: ip4_addr (ports are truncated to 16 bits, not checked) */
static void test_ip4_addr_port(void** state) {
  (void)state;
  struct sockaddr_in sa;
  assert_int_equal(ip4_addr("1.2.3.4", 65535, &sa), 0);
  assert_int_equal(ntohs(sa.sin_port), 65535);
  assert_int_equal(ip4_addr("1.2.3.4", 65536, &sa), 0);
  assert_int_equal(ntohs(sa.sin_port), 0);
  assert_int_equal(ip4_addr("1.2.3.4", -1, &sa), 0);
  assert_int_equal(ntohs(sa.sin_port), 65535);
  assert_int_equal(ip4_addr("1.2.3.4", 0x12345, &sa), 0);
  assert_int_equal(ntohs(sa.sin_port), 0x2345);
  struct sockaddr_in6 sa6;
  assert_int_equal(ip6_addr("::1", 70000, &sa6), 0);
  assert_int_equal(ntohs(sa6.sin6_port), 70000 & 0xffff);
}

/* upstream: ip6_addr_link_local */
static void test_ip6_addr(void** state) {
  (void)state;
  struct sockaddr_in6 sa;
  memset(&sa, 0xAA, sizeof sa);
  assert_int_equal(ip6_addr("::1", 443, &sa), 0);
  assert_int_equal(sa.sin6_family, AF_INET6);
  assert_int_equal(ntohs(sa.sin6_port), 443);
  assert_int_equal(sa.sin6_flowinfo, 0);
  assert_int_equal(sa.sin6_scope_id, 0);
  assert_memory_equal(&sa.sin6_addr, &in6addr_loopback, 16);

  memset(&sa, 0xAA, sizeof sa);
  assert_int_equal(ip6_addr("2001:db8::ff00:42:8329", 1, &sa), 0);
  unsigned char want[16] = {0x20, 0x01, 0x0d, 0xb8, [10] = 0xff, [11] = 0x00, [12] = 0x00, [13] = 0x42,
                            [14] = 0x83, [15] = 0x29};
  assert_memory_equal(&sa.sin6_addr, want, 16);
  assert_int_equal(sa.sin6_scope_id, 0);
  assert_int_equal(sa.sin6_flowinfo, 0);
}

/* upstream: ip6_addr_link_local */
static void test_ip6_addr_link_local(void** state) {
  (void)state;
  unsigned lo = lo_index();
  struct sockaddr_in6 sa;
  memset(&sa, 0xAA, sizeof sa);
  assert_int_equal(ip6_addr("fe80::1%lo", 9, &sa), 0);
  assert_int_equal(sa.sin6_scope_id, lo);
  assert_int_equal(ntohs(sa.sin6_port), 9);
  char name[64];
  assert_int_equal(uv_ip6_name(&sa, name, sizeof name), 0);
  assert_string_equal(name, "fe80::1"); /* the name never carries the zone */

  /* The interface identifier rebuilds the same scoped address. */
  char iid[UV_IF_NAMESIZE];
  size_t size = sizeof iid;
  assert_int_equal(uv_if_indextoiid(sa.sin6_scope_id, iid, &size), 0);
  char scoped[128];
  snprintf(scoped, sizeof scoped, "fe80::abc:def1:2345%%%s", iid);
  struct sockaddr_in6 again;
  assert_int_equal(ip6_addr(scoped, 0, &again), 0);
  assert_int_equal(again.sin6_scope_id, lo);
  assert_int_equal(uv_ip6_name(&again, name, sizeof name), 0);
  assert_string_equal(name, "fe80::abc:def1:2345");
}

/* upstream: ip6_addr_link_local (zones that name no interface) */
static void test_ip6_addr_unknown_zone(void** state) {
  (void)state;
  char long_zone[300];
  memcpy(long_zone, "fe80::1%", 8);
  memset(long_zone + 8, 'z', sizeof long_zone - 9);
  long_zone[sizeof long_zone - 1] = '\0';
  /* libuv 1.44 on Unix looks the zone up by name only: a number, an unknown
   * name or an empty zone give scope id 0, and the address is still valid. */
  const char* zones[] = {"fe80::1%1", "fe80::1%no-such-if0", "fe80::1%", "fe80::1%%", "fe80::1%lo%", long_zone};
  for (size_t i = 0; i < COUNT(zones); i++) {
    struct sockaddr_in6 sa;
    memset(&sa, 0xAA, sizeof sa);
    assert_int_equal(ip6_addr(zones[i], 1, &sa), 0);
    assert_int_equal(sa.sin6_scope_id, 0);
    unsigned char want[16] = {0xfe, 0x80, [15] = 1};
    assert_memory_equal(&sa.sin6_addr, want, 16);
  }
}

/* upstream: ip6_addr_link_local (malformed address with a zone) */
static void test_ip6_addr_malformed(void** state) {
  (void)state;
  unsigned lo = lo_index();
  struct sockaddr_in6 sa;
  /* The zone is resolved before the address part is parsed. */
  assert_int_equal(ip6_addr("fe80::g%lo", 5, &sa), UV_EINVAL);
  assert_int_equal(sa.sin6_scope_id, lo);
  assert_int_equal(sa.sin6_family, AF_INET6);
  assert_int_equal(ntohs(sa.sin6_port), 5);
  assert_int_equal(ip6_addr("%lo", 5, &sa), UV_EINVAL);
  assert_int_equal(ip6_addr("", 5, &sa), UV_EINVAL);
  assert_int_equal(ip6_addr("1.2.3.4", 5, &sa), UV_EINVAL);
  assert_int_equal(ip6_addr(":::1", 5, &sa), UV_EINVAL);
  assert_int_equal(ip6_addr("[::1]", 5, &sa), UV_EINVAL);

  /* uv_ip6_addr keeps at most 39 characters before '%': a 39-character
   * address is fine, a longer one is cut and parsed cut. */
  assert_int_equal(ip6_addr("0001:0002:0003:0004:0005:0006:0007:0008%lo", 0, &sa), 0);
  assert_int_equal(sa.sin6_addr.s6_addr[15], 8);
  assert_int_equal(ip6_addr("0000:0000:0000:0000:0000:ffff:255.255.255.255%lo", 0, &sa), UV_EINVAL);
  assert_int_equal(ip6_addr("0000:0000:0000:0000:0000:ffff:255.255.255.255", 0, &sa), 0);
  /* 40 characters: the fifth digit of the last group is cut off, so the
   * text that was too long to be valid parses as "::". */
  assert_int_equal(ip6_addr("0000:0000:0000:0000:0000:0000:0000:00001%lo", 0, &sa), 0);
  assert_memory_equal(&sa.sin6_addr, &in6addr_any, 16);
  assert_int_equal(ip6_addr("0000:0000:0000:0000:0000:0000:0000:00001", 0, &sa), UV_EINVAL);
}

/* upstream: ip6_pton (valid texts) */
static void test_ip6_pton_good(void** state) {
  (void)state;
  static const char* const good[][2] = {
      {"::", "::"},
      {"::1", "::1"},
      {"::0", "::"},
      {"1::", "1::"},
      {"fe80::1", "fe80::1"},
      {"fe80::", "fe80::"},
      {"FE80::ABCD:EF", "fe80::abcd:ef"},
      {"fe80::2acf:daff:fabd:1", "fe80::2acf:daff:fabd:1"},
      {"1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"},
      {"0001:0002:0003:0004:0005:0006:0007:0008", "1:2:3:4:5:6:7:8"},
      {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
      {"1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"}, /* "::" for a single group */
      {"::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"},
      {"1::8", "1::8"},
      {"1:0:0:2::3", "1:0:0:2::3"},
      {"0:0:1:0:0:0:1:0", "0:0:1::1:0"},
      {"1:0:0:1:0:0:1:1", "1::1:0:0:1:1"}, /* first of two equal runs */
      {"0000::0000", "::"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"2001:db8::", "2001:db8::"},
      {"1:2:3:4:5:6:7:8%eth0", "1:2:3:4:5:6:7:8"},
  };
  for (size_t i = 0; i < COUNT(good); i++) expect_ip6(good[i][0], good[i][1]);
}

/* upstream: ip6_pton (malformed texts) */
static void test_ip6_pton_bad(void** state) {
  (void)state;
  static const char* const bad[] = {
      "",
      ":",
      ":::",
      ":1",
      "1:",
      ":1::",
      "1:::2",
      "fe80:::",
      "1::2::3",
      "::1::",
      "1:2",
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7:8::",
      "::1:2:3:4:5:6:7:8",
      "1:2:3:4:5:6:7::8",
      "1:2:3:4::5:6:7:8",
      "12345::",
      "::00000",
      "::g",
      "g::",
      "fe80::1 ",
      " ::1",
      "::1\t",
      "::1\n",
      "[::1]",
      "::1/128",
      "fe80:0:0:0:0:0:0:0:1",
      "0x1::",
      "1.2.3.4",
      "%eth0",
      "::-1",
      "::+1",
  };
  for (size_t i = 0; i < COUNT(bad); i++) {
    unsigned char dst[16];
    memset(dst, 0xAA, sizeof dst);
    if (pton(AF_INET6, bad[i], dst) != UV_EINVAL) fail_msg("accepted \"%s\"", bad[i]);
  }
}

/* upstream: ip6_pton (IPv4-mapped and -compatible forms) */
static void test_ip6_pton_ipv4_suffix(void** state) {
  (void)state;
  expect_ip6("::ffff:1.2.3.4", "::ffff:1.2.3.4");
  expect_ip6("::FFFF:255.255.255.255", "::ffff:255.255.255.255");
  expect_ip6("::1.2.3.4", "::1.2.3.4");
  expect_ip6("0:0:0:0:0:ffff:10.0.0.1", "::ffff:10.0.0.1");
  expect_ip6("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304");
  expect_ip6("::ffff:0:1.2.3.4", "::ffff:0:102:304");
  expect_ip6("64:ff9b::192.0.2.33", "64:ff9b::c000:221");
  expect_ip6("::0.0.0.2", "::2"); /* dotted only when the seventh group is not zero */
  expect_ip6("::0.0.0.1", "::1");
  expect_ip6("::1:0.0.0.0", "::1:0:0");
  expect_ip6("::ffff:1.2.3.4%lo", "::ffff:1.2.3.4");

  static const char* const bad[] = {
      "::ffff:1.2.3",        "::ffff:1.2.3.4.5",     "::ffff:01.2.3.4",    "::ffff:1.2.3.256",
      "::ffff:1.2.3.4:5",    "::1.2.3.4::",          "1.2.3.4::",          "::ffff:1.2.3.4 ",
      "1:2:3:4:5:6:7:1.2.3.4", "::ffff:.1.2.3",      "::ffff:a.2.3.4",     "::1234.1.1.1",
      "::ffff:1.2.3.",       "::ffff:1..2.3",        "::ffff:1.2.3.4%",    "1:2:3:4:5:6:7:8:1.2.3.4",
  };
  for (size_t i = 0; i < COUNT(bad); i++) {
    unsigned char dst[16];
    memset(dst, 0xAA, sizeof dst);
    int r = pton(AF_INET6, bad[i], dst);
    /* "::ffff:1.2.3.4%" has an empty zone: valid, checked separately */
    if (strcmp(bad[i], "::ffff:1.2.3.4%") == 0) {
      assert_int_equal(r, 0);
      continue;
    }
    if (r != UV_EINVAL) fail_msg("accepted \"%s\"", bad[i]);
  }
}

/* upstream: ip6_pton (zone suffixes) */
static void test_ip6_pton_zone(void** state) {
  (void)state;
  expect_ip6("fe80::1%eth0", "fe80::1");
  expect_ip6("fe80::1%", "fe80::1");
  expect_ip6("fe80::1%%%", "fe80::1");
  expect_ip6("fe80::1%no such interface, not even close", "fe80::1");
  expect_ip6("fe80::1%\xff\xfe", "fe80::1");
  /* the longest valid address (45 characters) still takes a zone */
  expect_ip6("0000:0000:0000:0000:0000:ffff:255.255.255.255%x", "::ffff:255.255.255.255");

  unsigned char dst[16];
  memset(dst, 0xAA, sizeof dst);
  assert_int_equal(pton(AF_INET6, "%", dst), UV_EINVAL);
  assert_int_equal(pton(AF_INET6, "fe80::g%lo", dst), UV_EINVAL);
  assert_int_equal(pton(AF_INET6, "fe80::1 %lo", dst), UV_EINVAL);
  /* only IPv6 knows zones */
  assert_int_equal(pton(AF_INET, "1.2.3.4%lo", dst), UV_EINVAL);
  assert_int_equal(pton(AF_INET, "1.2.3.4%", dst), UV_EINVAL);
}

/* upstream: ip6_pton (long texts are rejected without overreading) */
static void test_inet_pton_long_input(void** state) {
  (void)state;
  const size_t n = 64 * 1024;
  char* s = malloc(n + 1);
  assert_non_null(s);
  unsigned char dst[16];
  memset(dst, 0xAA, sizeof dst);
  static const char fills[] = {'1', '0', ':', '.', 'f', '%', ' '};
  for (size_t f = 0; f < sizeof fills; f++) {
    memset(s, fills[f], n);
    s[n] = '\0';
    assert_int_equal(pton(AF_INET, s, dst), UV_EINVAL);
    if (fills[f] != '%') assert_int_equal(pton(AF_INET6, s, dst), UV_EINVAL);
  }
  /* "0:" repeated, a dotted quad repeated, and a huge prefix before '%' */
  for (size_t i = 0; i < n; i++) s[i] = "0:"[i % 2];
  assert_int_equal(pton(AF_INET6, s, dst), UV_EINVAL);
  for (size_t i = 0; i < n; i++) s[i] = "1."[i % 2];
  s[n - 1] = '1';
  assert_int_equal(pton(AF_INET, s, dst), UV_EINVAL);
  assert_int_equal(pton(AF_INET6, s, dst), UV_EINVAL);
  memset(s, 'a', n);
  s[n - 2] = '%';
  assert_int_equal(pton(AF_INET6, s, dst), UV_EINVAL);
  /* 46 characters before '%' is over libuv's limit */
  memset(s, ':', 46);
  strcpy(s + 46, "%lo");
  assert_int_equal(pton(AF_INET6, s, dst), UV_EINVAL);
  free(s);

  struct sockaddr_in sa;
  struct sockaddr_in6 sa6;
  char big[4096];
  memset(big, '9', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  assert_int_equal(ip4_addr(big, 1, &sa), UV_EINVAL);
  assert_int_equal(ip6_addr(big, 1, &sa6), UV_EINVAL);
  big[100] = '%';
  assert_int_equal(ip6_addr(big, 1, &sa6), UV_EINVAL);
  assert_int_equal(sa6.sin6_scope_id, 0);
}

/* upstream: ip6_pton (argument errors) */
static void test_inet_pton_args(void** state) {
  (void)state;
  unsigned char dst[16];
  memset(dst, 0xAA, sizeof dst);
  assert_int_equal(uv_inet_pton(AF_UNIX, "1.2.3.4", dst), UV_EAFNOSUPPORT);
  assert_int_equal(uv_inet_pton(AF_UNSPEC, "::1", dst), UV_EAFNOSUPPORT);
  assert_int_equal(uv_inet_pton(-1, "::1", dst), UV_EAFNOSUPPORT);
  assert_int_equal(uv_inet_pton(AF_INET6 + 1000, "::1", dst), UV_EAFNOSUPPORT);
  unsigned char untouched[16];
  memset(untouched, 0xAA, sizeof untouched);
  assert_memory_equal(dst, untouched, 16);
  /* NULL pointers are checked before the family */
  assert_int_equal(uv_inet_pton(AF_INET, NULL, dst), UV_EINVAL);
  assert_int_equal(uv_inet_pton(AF_INET6, "::1", NULL), UV_EINVAL);
  assert_int_equal(uv_inet_pton(AF_UNIX, NULL, dst), UV_EINVAL);
  assert_int_equal(uv_inet_pton(AF_UNIX, "x", NULL), UV_EINVAL);
}

/* upstream: ip_name (uv_inet_ntop for IPv4) */
static void test_inet_ntop_ip4(void** state) {
  (void)state;
  unsigned char a[4] = {255, 255, 255, 255};
  expect_ntop(AF_INET, a, "255.255.255.255");
  unsigned char z[4] = {0, 0, 0, 0};
  expect_ntop(AF_INET, z, "0.0.0.0");
  unsigned char m[4] = {10, 0, 100, 7};
  expect_ntop(AF_INET, m, "10.0.100.7");

  char out[20];
  memset(out, 'x', sizeof out);
  assert_int_equal(uv_inet_ntop(AF_INET, a, out, 15), UV_ENOSPC);
  assert_int_equal(uv_inet_ntop(AF_INET, a, out, 1), UV_ENOSPC);
  assert_int_equal(uv_inet_ntop(AF_INET, a, out, 0), UV_ENOSPC);
  assert_int_equal(uv_inet_ntop(AF_INET, a, NULL, 0), UV_ENOSPC); /* nothing to write */
  unsigned char any6[16] = {0};
  assert_int_equal(uv_inet_ntop(AF_INET6, any6, NULL, 0), UV_ENOSPC);
  for (size_t i = 0; i < sizeof out; i++) assert_int_equal(out[i], 'x'); /* untouched */
  assert_int_equal(uv_inet_ntop(AF_INET, a, out, 16), 0);
  assert_string_equal(out, "255.255.255.255");
  assert_int_equal(out[16], 'x');
  assert_int_equal(uv_inet_ntop(AF_INET, z, out, 8), 0);
  assert_string_equal(out, "0.0.0.0");
  assert_int_equal(uv_inet_ntop(AF_INET, z, out, 7), UV_ENOSPC);
}

/* upstream: ip6_pton (uv_inet_ntop's "::" choice and dotted quads) */
static void test_inet_ntop_ip6(void** state) {
  (void)state;
  static const struct {
    unsigned char b[16];
    const char* text;
  } cases[] = {
      {{0}, "::"},
      {{[15] = 1}, "::1"},
      {{[15] = 2}, "::2"},
      {{[14] = 1}, "::100"},
      {{[13] = 1}, "::0.1.0.0"},
      {{[0] = 0, [1] = 1}, "1::"},
      {{[1] = 1, [3] = 2, [5] = 3, [7] = 4, [9] = 5, [11] = 6, [13] = 7, [15] = 8}, "1:2:3:4:5:6:7:8"},
      {{[1] = 1, [5] = 2, [7] = 3, [9] = 4, [11] = 5, [13] = 6, [15] = 7}, "1:0:2:3:4:5:6:7"},
      {{[1] = 1, [7] = 1, [13] = 1, [15] = 1}, "1::1:0:0:1:1"},
      {{[1] = 1, [7] = 1, [15] = 1}, "1:0:0:1::1"},
      {{[10] = 0xff, [11] = 0xff, [12] = 1, [13] = 2, [14] = 3, [15] = 4}, "::ffff:1.2.3.4"},
      {{[10] = 0xff, [11] = 0xff}, "::ffff:0.0.0.0"},
      {{[8] = 0xff, [9] = 0xff, [12] = 1, [13] = 2, [14] = 3, [15] = 4}, "::ffff:0:102:304"},
      {{[12] = 1, [13] = 2, [14] = 3, [15] = 4}, "::1.2.3.4"},
      {{[0] = 0xfe, [1] = 0x80, [15] = 1}, "fe80::1"},
      {{[0] = 0xAB, [1] = 0xCD, [2] = 0x0E, [3] = 0xF0}, "abcd:ef0::"},
      {{[9] = 1}, "::1:0:0:0"},
      {{[0] = 0x20, [1] = 0x01, [2] = 0x0d, [3] = 0xb8, [15] = 1}, "2001:db8::1"},
  };
  for (size_t i = 0; i < COUNT(cases); i++) expect_ntop(AF_INET6, cases[i].b, cases[i].text);
}

/* upstream: ip_name (uv_inet_ntop buffer bounds for IPv6) */
static void test_inet_ntop_ip6_enospc(void** state) {
  (void)state;
  unsigned char full[16];
  memset(full, 0xff, sizeof full);
  const char* text = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"; /* 39 characters */
  char out[64];
  memset(out, 'x', sizeof out);
  assert_int_equal(uv_inet_ntop(AF_INET6, full, out, 39), UV_ENOSPC);
  assert_int_equal(uv_inet_ntop(AF_INET6, full, out, 0), UV_ENOSPC);
  for (size_t i = 0; i < sizeof out; i++) assert_int_equal(out[i], 'x');
  assert_int_equal(uv_inet_ntop(AF_INET6, full, out, 40), 0);
  assert_string_equal(out, text);
  assert_int_equal(out[40], 'x');

  unsigned char mapped[16] = {[10] = 0xff, [11] = 0xff, [12] = 255, [13] = 255, [14] = 255, [15] = 255};
  memset(out, 'x', sizeof out);
  assert_int_equal(uv_inet_ntop(AF_INET6, mapped, out, 22), UV_ENOSPC);
  assert_int_equal(out[0], 'x');
  assert_int_equal(uv_inet_ntop(AF_INET6, mapped, out, 23), 0);
  assert_string_equal(out, "::ffff:255.255.255.255");

  unsigned char any[16] = {0};
  assert_int_equal(uv_inet_ntop(AF_INET6, any, out, 2), UV_ENOSPC);
  assert_int_equal(uv_inet_ntop(AF_INET6, any, out, 3), 0);
  assert_string_equal(out, "::");
}

/* upstream: ip_name (families uv_inet_ntop does not know) */
static void test_inet_ntop_bad_family(void** state) {
  (void)state;
  unsigned char b[16] = {1, 2, 3, 4};
  char out[64];
  memset(out, 'x', sizeof out);
  assert_int_equal(uv_inet_ntop(AF_UNIX, b, out, sizeof out), UV_EAFNOSUPPORT);
  assert_int_equal(uv_inet_ntop(AF_UNSPEC, b, out, sizeof out), UV_EAFNOSUPPORT);
  assert_int_equal(uv_inet_ntop(-1, b, out, sizeof out), UV_EAFNOSUPPORT);
  assert_int_equal(uv_inet_ntop(AF_INET6 + 1000, b, out, 0), UV_EAFNOSUPPORT);
  assert_int_equal(out[0], 'x');
}

/* uv_ip_name and the family's own uv_ip4_name/uv_ip6_name print `text`, and
 * both want room for its NUL. */
static void expect_ip_name(const struct sockaddr* sa, const char* text) {
  char out[64];
  size_t len = strlen(text);
  int v4 = sa->sa_family == AF_INET;
  assert_int_equal(uv_ip_name(sa, out, sizeof out), 0);
  assert_string_equal(out, text);
  memset(out, 0, sizeof out);
  assert_int_equal(v4 ? uv_ip4_name((const struct sockaddr_in*)sa, out, sizeof out)
                      : uv_ip6_name((const struct sockaddr_in6*)sa, out, sizeof out),
                   0);
  assert_string_equal(out, text);
  assert_int_equal(uv_ip_name(sa, out, len), UV_ENOSPC);
  assert_int_equal(v4 ? uv_ip4_name((const struct sockaddr_in*)sa, out, len)
                      : uv_ip6_name((const struct sockaddr_in6*)sa, out, len),
                   UV_ENOSPC);
}

/* upstream: ip_name */
static void test_ip_name(void** state) {
  (void)state;
  struct sockaddr_storage ss;
  char out[64];

  memset(&ss, 0, sizeof ss);
  assert_int_equal(ip4_addr("192.168.1.20", 80, (struct sockaddr_in*)&ss), 0);
  expect_ip_name((struct sockaddr*)&ss, "192.168.1.20");
  memset(&ss, 0, sizeof ss);
  assert_int_equal(ip6_addr("fe80::2acf:daff:fabd:1%lo", 80, (struct sockaddr_in6*)&ss), 0);
  expect_ip_name((struct sockaddr*)&ss, "fe80::2acf:daff:fabd:1");

  memset(out, 'x', sizeof out);
  ss.ss_family = AF_UNIX;
  assert_int_equal(uv_ip_name((struct sockaddr*)&ss, out, sizeof out), UV_EAFNOSUPPORT);
  ss.ss_family = AF_UNSPEC;
  assert_int_equal(uv_ip_name((struct sockaddr*)&ss, out, sizeof out), UV_EAFNOSUPPORT);
  ss.ss_family = AF_NETLINK;
  assert_int_equal(uv_ip_name((struct sockaddr*)&ss, out, sizeof out), UV_EAFNOSUPPORT);
  assert_int_equal(out[0], 'x');
}

/* upstream: ip6_pton (text -> bytes -> text is stable) */
static void test_roundtrip(void** state) {
  (void)state;
  static const char* const v4[] = {"0.0.0.0", "1.2.3.4", "127.0.0.1", "255.0.255.0", "100.64.0.1"};
  for (size_t i = 0; i < COUNT(v4); i++) {
    unsigned char b[16] = {0};
    char out[64];
    assert_int_equal(pton(AF_INET, v4[i], b), 0);
    assert_int_equal(uv_inet_ntop(AF_INET, b, out, sizeof out), 0);
    assert_string_equal(out, v4[i]);
  }
  /* IPv6: canonical forms print back unchanged; every 16-bit pattern of
   * zero/non-zero groups prints a text that parses to the same bytes. */
  for (unsigned mask = 0; mask < 256; mask++) {
    unsigned char b[16] = {0}, back[16] = {0};
    for (int g = 0; g < 8; g++)
      if (mask & (1u << g)) {
        b[2 * g] = (unsigned char)(g * 17);
        b[2 * g + 1] = (unsigned char)(g + 1);
      }
    char out[64], again[64];
    assert_int_equal(uv_inet_ntop(AF_INET6, b, out, sizeof out), 0);
    assert_int_equal(pton(AF_INET6, out, back), 0);
    assert_memory_equal(b, back, 16);
    assert_int_equal(uv_inet_ntop(AF_INET6, back, again, sizeof again), 0);
    assert_string_equal(out, again);
  }
}

typedef int (*if_name_fn)(unsigned int, char*, size_t*);

/* The buffer contract uv_if_indextoname and uv_if_indextoiid share, on lo. */
static void check_if_name_buffers(if_name_fn fn) {
  unsigned lo = lo_index();
  char name[UV_IF_NAMESIZE];
  size_t size = sizeof name;
  assert_int_equal(fn(lo, name, &size), 0);
  assert_string_equal(name, "lo");
  assert_int_equal(size, 2); /* the length, without the NUL */

  /* too small: UV_ENOBUFS and the size needed, NUL included */
  char small[3];
  memset(small, 'x', sizeof small);
  size = 2;
  assert_int_equal(fn(lo, small, &size), UV_ENOBUFS);
  assert_int_equal(size, 3);
  size = 1;
  assert_int_equal(fn(lo, small, &size), UV_ENOBUFS);
  assert_int_equal(size, 3);
  assert_int_equal(small[0], 'x');
  size = 3;
  assert_int_equal(fn(lo, small, &size), 0);
  assert_string_equal(small, "lo");
  assert_int_equal(size, 2);

  size = 0;
  assert_int_equal(fn(lo, name, &size), UV_EINVAL);
  assert_int_equal(size, 0);
  size = sizeof name;
  assert_int_equal(fn(lo, NULL, &size), UV_EINVAL);
  assert_int_equal(fn(lo, name, NULL), UV_EINVAL);

  /* no such interface */
  size = sizeof name;
  assert_int_equal(fn(0, name, &size), UV_ENXIO);
  assert_int_equal(size, sizeof name);
  assert_int_equal(fn(0x7ffffff0u, name, &size), UV_ENXIO);
}

/* upstream: ip6_addr_link_local (uv_if_indextoname) */
static void test_if_indextoname(void** state) {
  (void)state;
  check_if_name_buffers(uv_if_indextoname);
}

/* upstream: ip6_addr_link_local (uv_if_indextoiid: on Unix the interface
 * name, for every interface; only Windows uses the decimal index) */
static void test_if_indextoiid(void** state) {
  (void)state;
  check_if_name_buffers(uv_if_indextoiid);
  struct if_nameindex* all = if_nameindex();
  assert_non_null(all);
  for (struct if_nameindex* it = all; it->if_index != 0; it++) {
    char iid[UV_IF_NAMESIZE], name[UV_IF_NAMESIZE];
    size_t iid_size = sizeof iid, name_size = sizeof name;
    assert_int_equal(uv_if_indextoiid(it->if_index, iid, &iid_size), 0);
    assert_int_equal(uv_if_indextoname(it->if_index, name, &name_size), 0);
    assert_string_equal(iid, it->if_name);
    assert_string_equal(name, it->if_name);
    assert_int_equal(iid_size, strlen(it->if_name));
  }
  if_freenameindex(all);
}

/* upstream: guess_handle (files and fds that are not open) */
static void test_guess_handle_files(void** state) {
  (void)state;
  assert_int_equal(uv_guess_handle(-1), UV_UNKNOWN_HANDLE);
  assert_int_equal(uv_guess_handle(INT_MIN), UV_UNKNOWN_HANDLE);

  int closed = dup(2);
  assert_true(closed >= 0);
  assert_int_equal(close(closed), 0);
  assert_int_equal(uv_guess_handle(closed), UV_UNKNOWN_HANDLE);

  FILE* f = tmpfile();
  assert_non_null(f);
  assert_int_equal(uv_guess_handle(fileno(f)), UV_FILE);
  fclose(f);

  /* libuv 1.44 calls every character device that is not a tty a file */
  int devnull = open("/dev/null", O_RDWR);
  int devzero = open("/dev/zero", O_RDONLY);
  assert_true(devnull >= 0 && devzero >= 0);
  assert_int_equal(uv_guess_handle(devnull), UV_FILE);
  assert_int_equal(uv_guess_handle(devzero), UV_FILE);
  close(devnull);
  close(devzero);

  int dir = open("/", O_RDONLY | O_DIRECTORY);
  assert_true(dir >= 0);
  assert_int_equal(uv_guess_handle(dir), UV_UNKNOWN_HANDLE);
  close(dir);
}

/* upstream: guess_handle (pipes and unix sockets) */
static void test_guess_handle_pipes(void** state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_int_equal(uv_guess_handle(p[0]), UV_NAMED_PIPE);
  assert_int_equal(uv_guess_handle(p[1]), UV_NAMED_PIPE);
  close(p[0]);
  close(p[1]);

  int sp[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
  assert_int_equal(uv_guess_handle(sp[0]), UV_NAMED_PIPE);
  assert_int_equal(uv_guess_handle(sp[1]), UV_NAMED_PIPE);
  close(sp[0]);
  close(sp[1]);

  /* only stream unix sockets are pipes */
  assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0);
  assert_int_equal(uv_guess_handle(sp[0]), UV_UNKNOWN_HANDLE);
  close(sp[0]);
  close(sp[1]);
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
  assert_int_equal(uv_guess_handle(sp[0]), UV_UNKNOWN_HANDLE);
  close(sp[0]);
  close(sp[1]);

  int unbound = socket(AF_UNIX, SOCK_STREAM, 0);
  assert_true(unbound >= 0);
  assert_int_equal(uv_guess_handle(unbound), UV_NAMED_PIPE);
  close(unbound);
}

/* upstream: guess_handle (tcp and udp sockets on loopback) */
static void test_guess_handle_inet(void** state) {
  (void)state;
  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(tcp >= 0 && udp >= 0);
  assert_int_equal(uv_guess_handle(tcp), UV_TCP); /* unbound */
  assert_int_equal(uv_guess_handle(udp), UV_UDP);

  struct sockaddr_in sa;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 0, &sa), 0);
  assert_int_equal(bind(tcp, (struct sockaddr*)&sa, sizeof sa), 0);
  assert_int_equal(listen(tcp, 1), 0);
  assert_int_equal(uv_guess_handle(tcp), UV_TCP);
  assert_int_equal(bind(udp, (struct sockaddr*)&sa, sizeof sa), 0);
  assert_int_equal(uv_guess_handle(udp), UV_UDP);

  /* a connected pair and the accepted end */
  socklen_t len = sizeof sa;
  assert_int_equal(getsockname(tcp, (struct sockaddr*)&sa, &len), 0);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(client >= 0);
  assert_int_equal(connect(client, (struct sockaddr*)&sa, sizeof sa), 0);
  int server = accept(tcp, NULL, NULL);
  assert_true(server >= 0);
  assert_int_equal(uv_guess_handle(client), UV_TCP);
  assert_int_equal(uv_guess_handle(server), UV_TCP);
  close(client);
  close(server);
  close(tcp);
  close(udp);

  int tcp6 = socket(AF_INET6, SOCK_STREAM, 0);
  int udp6 = socket(AF_INET6, SOCK_DGRAM, 0);
  if (tcp6 < 0 || udp6 < 0) {
    assert_int_equal(errno, EAFNOSUPPORT); /* no IPv6 in this kernel: nothing else to check */
  } else {
    assert_int_equal(uv_guess_handle(tcp6), UV_TCP);
    assert_int_equal(uv_guess_handle(udp6), UV_UDP);
  }
  if (tcp6 >= 0) close(tcp6);
  if (udp6 >= 0) close(udp6);
}

/* upstream: guess_handle (ttys: a pty pair) */
static void test_guess_handle_tty(void** state) {
  (void)state;
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  assert_true(master >= 0);
  assert_int_equal(grantpt(master), 0);
  assert_int_equal(unlockpt(master), 0);
  const char* name = ptsname(master);
  assert_non_null(name);
  int slave = open(name, O_RDWR | O_NOCTTY);
  assert_true(slave >= 0);
  assert_int_equal(uv_guess_handle(master), UV_TTY);
  assert_int_equal(uv_guess_handle(slave), UV_TTY);
  int copy = dup(slave);
  assert_int_equal(uv_guess_handle(copy), UV_TTY);
  close(copy);
  close(slave);
  close(master);
}

/* upstream: guess_handle (fds of kinds libuv does not classify) */
static void test_guess_handle_other(void** state) {
  (void)state;
  int ev = eventfd(0, 0);
  assert_true(ev >= 0);
  assert_int_equal(uv_guess_handle(ev), UV_UNKNOWN_HANDLE);
  close(ev);

  int nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  if (nl >= 0) {
    assert_int_equal(uv_guess_handle(nl), UV_UNKNOWN_HANDLE); /* a datagram-like socket, not inet */
    close(nl);
  }

  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_int_equal(close(p[1]), 0); /* a widowed pipe is still a pipe */
  assert_int_equal(uv_guess_handle(p[0]), UV_NAMED_PIPE);
  close(p[0]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ip4_addr),
      cmocka_unit_test(test_ip4_addr_malformed),
      cmocka_unit_test(test_ip4_addr_port),
      cmocka_unit_test(test_ip6_addr),
      cmocka_unit_test(test_ip6_addr_link_local),
      cmocka_unit_test(test_ip6_addr_unknown_zone),
      cmocka_unit_test(test_ip6_addr_malformed),
      cmocka_unit_test(test_ip6_pton_good),
      cmocka_unit_test(test_ip6_pton_bad),
      cmocka_unit_test(test_ip6_pton_ipv4_suffix),
      cmocka_unit_test(test_ip6_pton_zone),
      cmocka_unit_test(test_inet_pton_long_input),
      cmocka_unit_test(test_inet_pton_args),
      cmocka_unit_test(test_inet_ntop_ip4),
      cmocka_unit_test(test_inet_ntop_ip6),
      cmocka_unit_test(test_inet_ntop_ip6_enospc),
      cmocka_unit_test(test_inet_ntop_bad_family),
      cmocka_unit_test(test_ip_name),
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_if_indextoname),
      cmocka_unit_test(test_if_indextoiid),
      cmocka_unit_test(test_guess_handle_files),
      cmocka_unit_test(test_guess_handle_pipes),
      cmocka_unit_test(test_guess_handle_inet),
      cmocka_unit_test(test_guess_handle_tty),
      cmocka_unit_test(test_guess_handle_other),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
