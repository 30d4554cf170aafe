/* veloq_enosys.c -- UV_ENOSYS for the uv calls Veloq does not have yet.
 *
 * Linked into the bench_uv_*_veloq programs only. The TCP and fs workloads
 * are written against the full uv.h; until issue 5 (streams, TCP) and
 * issue 6 (fs) land these names are not defined in veloq_uv, and the
 * programs would not link. Each fallback here is WEAK, and veloq_uv is
 * linked whole-archive (see CMakeLists.txt), so as soon as compat_uv
 * defines a function -- a real implementation or its own stub -- that
 * strong definition is the one the program calls: the benchmark can never
 * silently measure this file.
 * Delete it once compat_uv defines all of them.
 */
#include <uv.h>

#define ENOSYS_FALLBACK __attribute__((weak))

ENOSYS_FALLBACK int uv_tcp_init(uv_loop_t* l, uv_tcp_t* h) { (void)l; (void)h; return UV_ENOSYS; }
ENOSYS_FALLBACK int uv_tcp_nodelay(uv_tcp_t* h, int on) { (void)h; (void)on; return UV_ENOSYS; }
ENOSYS_FALLBACK int uv_tcp_bind(uv_tcp_t* h, const struct sockaddr* a, unsigned int f) {
  (void)h; (void)a; (void)f;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_tcp_getsockname(const uv_tcp_t* h, struct sockaddr* a, int* len) {
  (void)h; (void)a; (void)len;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_tcp_connect(uv_connect_t* r, uv_tcp_t* h, const struct sockaddr* a, uv_connect_cb cb) {
  (void)r; (void)h; (void)a; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_listen(uv_stream_t* s, int backlog, uv_connection_cb cb) {
  (void)s; (void)backlog; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_accept(uv_stream_t* s, uv_stream_t* c) { (void)s; (void)c; return UV_ENOSYS; }
ENOSYS_FALLBACK int uv_read_start(uv_stream_t* s, uv_alloc_cb a, uv_read_cb r) {
  (void)s; (void)a; (void)r;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_write(uv_write_t* r, uv_stream_t* s, const uv_buf_t b[], unsigned int n, uv_write_cb cb) {
  (void)r; (void)s; (void)b; (void)n; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_shutdown(uv_shutdown_t* r, uv_stream_t* s, uv_shutdown_cb cb) {
  (void)r; (void)s; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_ip4_addr(const char* ip, int port, struct sockaddr_in* a) {
  (void)ip; (void)port; (void)a;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_fs_stat(uv_loop_t* l, uv_fs_t* r, const char* p, uv_fs_cb cb) {
  (void)l; (void)r; (void)p; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_fs_open(uv_loop_t* l, uv_fs_t* r, const char* p, int f, int m, uv_fs_cb cb) {
  (void)l; (void)r; (void)p; (void)f; (void)m; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_fs_fstat(uv_loop_t* l, uv_fs_t* r, uv_file fd, uv_fs_cb cb) {
  (void)l; (void)r; (void)fd; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_fs_read(uv_loop_t* l, uv_fs_t* r, uv_file fd, const uv_buf_t b[], unsigned int n, int64_t off,
                               uv_fs_cb cb) {
  (void)l; (void)r; (void)fd; (void)b; (void)n; (void)off; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK int uv_fs_close(uv_loop_t* l, uv_fs_t* r, uv_file fd, uv_fs_cb cb) {
  (void)l; (void)r; (void)fd; (void)cb;
  return UV_ENOSYS;
}
ENOSYS_FALLBACK void uv_fs_req_cleanup(uv_fs_t* r) { (void)r; }
