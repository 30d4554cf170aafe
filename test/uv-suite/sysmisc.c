/* Small system functions: accessors of public fields, free functions,
 * process ids, parallelism, load average, OS handles, dl errors, tty vterm
 * state, stdio inheritance. Structs are filled by hand here so each case
 * checks one function alone. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suite.h"

static int saved_argc;
static char** saved_argv;

/* upstream: platform_output (pids) */
static void test_pids(void** state) {
  (void)state;
  assert_int_equal(uv_os_getpid(), getpid());
  assert_int_equal(uv_os_getppid(), getppid());
}

/* upstream: platform_output (available parallelism) */
static void test_available_parallelism(void** state) {
  (void)state;
  cpu_set_t set;
  CPU_ZERO(&set);
  assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
  assert_int_equal(uv_available_parallelism(), CPU_COUNT(&set));
  assert_true(uv_available_parallelism() >= 1);
}

/* upstream: get_loadavg */
static void test_loadavg(void** state) {
  (void)state;
  double avg[3] = {-1.0, -1.0, -1.0};
  uv_loadavg(avg);
  assert_true(avg[0] >= 0.0);
  assert_true(avg[1] >= 0.0);
  assert_true(avg[2] >= 0.0);
}

/* upstream: get_osfhandle_valid_handle, open_osfhandle_valid_handle */
static void test_osfhandle(void** state) {
  (void)state;
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  assert_true(fd >= 0);
  assert_int_equal(uv_get_osfhandle(fd), fd);
  assert_int_equal(uv_open_osfhandle(fd), fd);
  close(fd);
}

/* upstream: getters_setters (fs part; fields set as a finished uv_fs_stat would) */
static void test_fs_getters(void** state) {
  (void)state;
  uv_fs_t req;
  memset(&req, 0, sizeof req);
  req.fs_type = UV_FS_STAT;
  req.result = UV_ENOENT;
  req.path = "/no/such";
  req.ptr = &req.statbuf;
  assert_int_equal(uv_fs_get_type(&req), UV_FS_STAT);
  assert_int_equal(uv_fs_get_result(&req), UV_ENOENT);
  assert_int_equal(uv_fs_get_system_error(&req), ENOENT);
  assert_string_equal(uv_fs_get_path(&req), "/no/such");
  assert_ptr_equal(uv_fs_get_ptr(&req), &req.statbuf);
  assert_ptr_equal(uv_fs_get_statbuf(&req), &req.statbuf);
  uv_fs_req_cleanup(NULL); /* allowed */
}

/* upstream: getters_setters (handle fields: write queue, send queue, pid) */
static void test_handle_getters(void** state) {
  (void)state;
  uv_tcp_t tcp;
  uv_udp_t udp;
  uv_process_t process;
  memset(&tcp, 0, sizeof tcp);
  memset(&udp, 0, sizeof udp);
  memset(&process, 0, sizeof process);
  tcp.write_queue_size = 17;
  udp.send_queue_size = 300;
  udp.send_queue_count = 3;
  process.pid = 4242;
  assert_int_equal(uv_stream_get_write_queue_size((uv_stream_t*)&tcp), 17);
  assert_int_equal(uv_udp_get_send_queue_size(&udp), 300);
  assert_int_equal(uv_udp_get_send_queue_count(&udp), 3);
  assert_int_equal(uv_process_get_pid(&process), 4242);
}

/* upstream: none (uv_free_* and uv_freeaddrinfo accept what a failed call leaves) */
static void test_free_empty(void** state) {
  (void)state;
  uv_passwd_t pwd;
  memset(&pwd, 0, sizeof pwd);
  uv_free_cpu_info(NULL, 0);
  uv_free_interface_addresses(NULL, 0);
  uv_os_free_environ(NULL, 0);
  uv_os_free_passwd(&pwd);
  uv_os_free_passwd(NULL);
  uv_freeaddrinfo(NULL);
  assert_null(pwd.username);
  assert_null(pwd.homedir);
  assert_null(pwd.shell);
}

/* upstream: dlerror (no error yet; uv_dlclose of a never-opened lib) */
static void test_dlerror_no_error(void** state) {
  (void)state;
  uv_lib_t lib;
  lib.errmsg = NULL;
  lib.handle = NULL;
  assert_string_equal(uv_dlerror(&lib), "no error");
  uv_dlclose(&lib);
  assert_null(lib.errmsg);
  assert_null(lib.handle);
}

/* upstream: none (Linux libuv: vterm state is Windows-only; no mode was set) */
static void test_tty_without_mode(void** state) {
  (void)state;
  uv_tty_vtermstate_t vterm = UV_TTY_SUPPORTED;
  assert_int_equal(uv_tty_get_vterm_state(&vterm), UV_ENOTSUP);
  uv_tty_set_vterm_state(UV_TTY_UNSUPPORTED); /* ignored */
  assert_int_equal(uv_tty_reset_mode(), 0);
}

/* upstream: none (documented: close-on-exec on the inherited descriptors) */
static void test_disable_stdio_inheritance(void** state) {
  (void)state;
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  assert_true(fds[1] <= 15);
  for (int fd = 0; fd <= 2; fd++) assert_int_equal(fcntl(fd, F_SETFD, 0), 0);
  assert_int_equal(fcntl(fds[1], F_SETFD, 0), 0);
  uv_disable_stdio_inheritance();
  for (int fd = 0; fd <= 2; fd++) assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  assert_true(fcntl(fds[0], F_GETFD) & FD_CLOEXEC);
  assert_true(fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
  close(fds[0]);
  close(fds[1]);
}

/* upstream: none (run-tests main: uv_setup_args keeps the arguments) */
static void test_setup_args(void** state) {
  (void)state;
  char** args = uv_setup_args(saved_argc, saved_argv);
  assert_non_null(args);
  for (int i = 0; i < saved_argc; i++) assert_string_equal(args[i], saved_argv[i]);
}

int main(int argc, char** argv) {
  saved_argc = argc;
  saved_argv = argv;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pids),           cmocka_unit_test(test_available_parallelism),
      cmocka_unit_test(test_loadavg),        cmocka_unit_test(test_osfhandle),
      cmocka_unit_test(test_fs_getters),     cmocka_unit_test(test_handle_getters),
      cmocka_unit_test(test_free_empty),     cmocka_unit_test(test_dlerror_no_error),
      cmocka_unit_test(test_tty_without_mode), cmocka_unit_test(test_disable_stdio_inheritance),
      cmocka_unit_test(test_setup_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
