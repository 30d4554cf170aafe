/* uv_getaddrinfo / uv_getnameinfo, async and sync.  Only "localhost" and
 * numeric addresses, and failures the resolver finds without a network
 * (AI_NUMERICHOST, unknown service names). */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "suite.h"

static int gai_cb_count;
static int gai_last_status;
static uv_thread_t loop_thread;

static void check_loopback(const struct addrinfo* res) {
  assert_non_null(res);
  int found = 0;
  for (const struct addrinfo* ai = res; ai != NULL; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      const struct sockaddr_in* sin = (const struct sockaddr_in*)ai->ai_addr;
      if (ntohl(sin->sin_addr.s_addr) == INADDR_LOOPBACK) found = 1;
    } else if (ai->ai_family == AF_INET6) {
      const struct sockaddr_in6* sin6 = (const struct sockaddr_in6*)ai->ai_addr;
      if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) found = 1;
    }
  }
  assert_true(found);
}

static void gai_basic_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  uv_thread_t self = uv_thread_self();
  assert_true(uv_thread_equal(&self, &loop_thread));
  assert_int_equal(status, 0);
  assert_ptr_equal(res, req->addrinfo);
  check_loopback(res);
  gai_cb_count++;
  uv_freeaddrinfo(res);
}

/* follows libuv test-getaddrinfo.c getaddrinfo_basic */
static void test_getaddrinfo_basic(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  loop_thread = uv_thread_self();
  gai_cb_count = 0;
  assert_int_equal(uv_getaddrinfo(&loop, &req, gai_basic_cb, "localhost", NULL, NULL), 0);
  assert_int_equal(req.type, UV_GETADDRINFO);
  assert_int_equal(gai_cb_count, 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gai_cb_count, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* follows libuv test-getaddrinfo.c getaddrinfo_basic_sync */
static void test_getaddrinfo_basic_sync(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_getaddrinfo(&loop, &req, NULL, "localhost", NULL, NULL), 0);
  check_loopback(req.addrinfo);
  uv_freeaddrinfo(req.addrinfo);
  assert_int_equal(uv_loop_alive(&loop), 0); /* nothing left pending */
  suite_loop_done(&loop);
}

static void gai_fail_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  (void)req;
  assert_null(res);
  gai_last_status = status;
  gai_cb_count++;
}

/* follows libuv test-getaddrinfo.c getaddrinfo_fail (a name the resolver
 * rejects without asking the network) */
static void test_getaddrinfo_fail(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_NUMERICHOST;
  assert_int_equal(uv_loop_init(&loop), 0);
  gai_cb_count = 0;
  gai_last_status = 0;
  assert_int_equal(uv_getaddrinfo(&loop, &req, gai_fail_cb, "xyzzy.xyzzy.xyzzy.", NULL, &hints), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gai_cb_count, 1);
  assert_int_equal(gai_last_status, UV_EAI_NONAME);
  assert_string_equal(uv_err_name(gai_last_status), "EAI_NONAME");
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* follows libuv test-getaddrinfo.c getaddrinfo_fail_sync */
static void test_getaddrinfo_fail_sync(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_NUMERICHOST;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_getaddrinfo(&loop, &req, NULL, "xyzzy.xyzzy.xyzzy.", NULL, &hints), UV_EAI_NONAME);
  assert_null(req.addrinfo);
  suite_loop_done(&loop);
}

/* upstream: none (an unknown service name: UV_EAI_SERVICE, sync and async) */
static void test_getaddrinfo_bad_service(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_getaddrinfo(&loop, &req, NULL, "localhost", "no-such-service-veloq", NULL), UV_EAI_SERVICE);
  gai_cb_count = 0;
  assert_int_equal(uv_getaddrinfo(&loop, &req, gai_fail_cb, "localhost", "no-such-service-veloq", NULL), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gai_cb_count, 1);
  assert_int_equal(gai_last_status, UV_EAI_SERVICE);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* follows libuv test-getaddrinfo.c getaddrinfo_invalid (node and service both NULL) */
static void test_getaddrinfo_einval(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_getaddrinfo(&loop, &req, gai_fail_cb, NULL, NULL, NULL), UV_EINVAL);
  assert_int_equal(uv_getaddrinfo(&loop, NULL, gai_fail_cb, "localhost", NULL, NULL), UV_EINVAL);
  /* A host name that is not UTF-8 cannot be converted to ASCII (IDNA). */
  assert_int_equal(uv_getaddrinfo(&loop, &req, gai_fail_cb, "bad\xff\xfe.example", NULL, NULL), UV_EINVAL);
  assert_int_equal(uv_loop_alive(&loop), 0);
  suite_loop_done(&loop);
}

/* upstream: none (numeric host and port, hints copied by the request) */
static void test_getaddrinfo_numeric(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  char host[16] = "127.0.0.1";
  char port[8] = "8080";
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  assert_int_equal(uv_loop_init(&loop), 0);
  gai_cb_count = 0;
  assert_int_equal(uv_getaddrinfo(&loop, &req, gai_basic_cb, host, port, &hints), 0);
  /* libuv copies node, service and hints: the caller may reuse them at once. */
  memset(host, 'x', sizeof host - 1);
  memset(port, 'y', sizeof port - 1);
  memset(&hints, 0xff, sizeof hints);
  loop_thread = uv_thread_self();
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gai_cb_count, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
  /* the same lookup, sync, checked in detail */
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  assert_int_equal(uv_getaddrinfo(uv_default_loop(), &req, NULL, "127.0.0.1", "8080", &hints), 0);
  assert_non_null(req.addrinfo);
  assert_int_equal(req.addrinfo->ai_family, AF_INET);
  assert_int_equal(req.addrinfo->ai_socktype, SOCK_STREAM);
  assert_int_equal(ntohs(((struct sockaddr_in*)req.addrinfo->ai_addr)->sin_port), 8080);
  uv_freeaddrinfo(req.addrinfo);
}

#define CONCURRENT 10
static int concurrent_ok[CONCURRENT];
static void gai_concurrent_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  int* slot = req->data;
  assert_int_equal(status, 0);
  check_loopback(res);
  *slot = 1;
  uv_freeaddrinfo(res);
}

/* follows libuv test-getaddrinfo.c getaddrinfo_concurrent */
static void test_getaddrinfo_concurrent(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t reqs[CONCURRENT];
  assert_int_equal(uv_loop_init(&loop), 0);
  for (int i = 0; i < CONCURRENT; i++) {
    concurrent_ok[i] = 0;
    reqs[i].data = &concurrent_ok[i];
    assert_int_equal(uv_getaddrinfo(&loop, &reqs[i], gai_concurrent_cb, "localhost", NULL, NULL), 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (int i = 0; i < CONCURRENT; i++) assert_int_equal(concurrent_ok[i], 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- getnameinfo ---------------------------------------------------------------- */

static int gni_cb_count;
static void gni_numeric_cb(uv_getnameinfo_t* req, int status, const char* host, const char* service) {
  assert_int_equal(status, 0);
  assert_ptr_equal(host, req->host);
  assert_ptr_equal(service, req->service);
  assert_string_equal(host, (const char*)req->data);
  assert_string_equal(service, "80");
  gni_cb_count++;
}

static void gni_name_cb(uv_getnameinfo_t* req, int status, const char* host, const char* service) {
  (void)req;
  assert_int_equal(status, 0);
  assert_non_null(host);
  assert_non_null(service);
  assert_true(strlen(host) > 0);
  assert_true(strlen(service) > 0);
  gni_cb_count++;
}

/* follows libuv test-getnameinfo.c getnameinfo_basic_ip4 */
static void test_getnameinfo_basic_ip4(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_in addr;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 80, &addr), 0);
  assert_int_equal(uv_loop_init(&loop), 0);
  gni_cb_count = 0;
  assert_int_equal(uv_getnameinfo(&loop, &req, gni_name_cb, (const struct sockaddr*)&addr, 0), 0);
  assert_int_equal(req.type, UV_GETNAMEINFO);
  req.data = "127.0.0.1";
  uv_getnameinfo_t numeric;
  numeric.data = "127.0.0.1";
  assert_int_equal(
      uv_getnameinfo(&loop, &numeric, gni_numeric_cb, (const struct sockaddr*)&addr, NI_NUMERICHOST | NI_NUMERICSERV),
      0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gni_cb_count, 2);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* follows libuv test-getnameinfo.c getnameinfo_basic_ip6 */
static void test_getnameinfo_basic_ip6(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_in6 addr;
  assert_int_equal(uv_ip6_addr("::1", 80, &addr), 0);
  assert_int_equal(uv_loop_init(&loop), 0);
  gni_cb_count = 0;
  req.data = "::1";
  assert_int_equal(
      uv_getnameinfo(&loop, &req, gni_numeric_cb, (const struct sockaddr*)&addr, NI_NUMERICHOST | NI_NUMERICSERV), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gni_cb_count, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* follows libuv test-getnameinfo.c getnameinfo_basic_ip4_sync */
static void test_getnameinfo_sync(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_in addr;
  assert_int_equal(uv_ip4_addr("127.0.0.1", 443, &addr), 0);
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(
      uv_getnameinfo(&loop, &req, NULL, (const struct sockaddr*)&addr, NI_NUMERICHOST | NI_NUMERICSERV), 0);
  assert_string_equal(req.host, "127.0.0.1");
  assert_string_equal(req.service, "443");
  assert_int_equal(uv_getnameinfo(&loop, &req, NULL, (const struct sockaddr*)&addr, 0), 0);
  assert_true(req.host[0] != '\0');
  assert_true(req.service[0] != '\0');
  suite_loop_done(&loop);
}

/* follows libuv test-getnameinfo.c getnameinfo_invalid (NULL and non-IP addresses) */
static void test_getnameinfo_einval(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_family = AF_UNIX;
  assert_int_equal(uv_loop_init(&loop), 0);
  assert_int_equal(uv_getnameinfo(&loop, &req, gni_name_cb, NULL, 0), UV_EINVAL);
  assert_int_equal(uv_getnameinfo(&loop, NULL, gni_name_cb, (const struct sockaddr*)&ss, 0), UV_EINVAL);
  assert_int_equal(uv_getnameinfo(&loop, &req, gni_name_cb, (const struct sockaddr*)&ss, 0), UV_EINVAL);
  assert_int_equal(uv_loop_alive(&loop), 0);
  suite_loop_done(&loop);
}


/* follows libuv test-idna.c (the ideographic full stop U+3002 and its
 * width variants separate labels like '.', so this numeric address parses) */
static void test_getaddrinfo_idna_separators(void** state) {
  (void)state;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET;
  hints.ai_flags = AI_NUMERICHOST;
  /* 127 U+3002 0 U+FF0E 0 U+FF61 1 */
  const char* host = "127\xe3\x80\x82" "0\xef\xbc\x8e" "0\xef\xbd\xa1" "1";
  assert_int_equal(uv_getaddrinfo(uv_default_loop(), &req, NULL, host, NULL, &hints), 0);
  assert_non_null(req.addrinfo);
  assert_int_equal(ntohl(((struct sockaddr_in*)req.addrinfo->ai_addr)->sin_addr.s_addr), INADDR_LOOPBACK);
  uv_freeaddrinfo(req.addrinfo);
}

/* follows libuv test-getaddrinfo.c (node NULL: the service on loopback) */
static void test_getaddrinfo_service_only(void** state) {
  (void)state;
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  assert_int_equal(uv_loop_init(&loop), 0);
  loop_thread = uv_thread_self();
  gai_cb_count = 0;
  assert_int_equal(uv_getaddrinfo(&loop, &req, gai_basic_cb, NULL, "4242", &hints), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(gai_cb_count, 1);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* upstream: none (IPv6 numeric lookup, sync) */
static void test_getaddrinfo_ip6_numeric(void** state) {
  (void)state;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_INET6;
  hints.ai_flags = AI_NUMERICHOST;
  assert_int_equal(uv_getaddrinfo(uv_default_loop(), &req, NULL, "::1", NULL, &hints), 0);
  assert_non_null(req.addrinfo);
  assert_int_equal(req.addrinfo->ai_family, AF_INET6);
  check_loopback(req.addrinfo);
  uv_freeaddrinfo(req.addrinfo);
  /* an IPv4 literal is not an IPv6 address (glibc: EAI_ADDRFAMILY) */
  assert_int_equal(uv_getaddrinfo(uv_default_loop(), &req, NULL, "127.0.0.1", NULL, &hints), UV_EAI_ADDRFAMILY);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_getaddrinfo_basic),      cmocka_unit_test(test_getaddrinfo_basic_sync),
      cmocka_unit_test(test_getaddrinfo_fail),       cmocka_unit_test(test_getaddrinfo_fail_sync),
      cmocka_unit_test(test_getaddrinfo_bad_service), cmocka_unit_test(test_getaddrinfo_einval),
      cmocka_unit_test(test_getaddrinfo_numeric),    cmocka_unit_test(test_getaddrinfo_concurrent),
      cmocka_unit_test(test_getnameinfo_basic_ip4),  cmocka_unit_test(test_getnameinfo_basic_ip6),
      cmocka_unit_test(test_getnameinfo_sync),       cmocka_unit_test(test_getnameinfo_einval),
      cmocka_unit_test(test_getaddrinfo_idna_separators), cmocka_unit_test(test_getaddrinfo_service_only),
      cmocka_unit_test(test_getaddrinfo_ip6_numeric),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
