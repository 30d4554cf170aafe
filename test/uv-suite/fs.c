/* uv_fs_*: files, buffers, metadata, links, copies, sendfile, cancel.
 * Each case runs in its own directory under /tmp (removed afterwards) and,
 * where libuv's test does both, in its sync form (cb == NULL) and its async
 * form. Directory listing cases are in fs_dir.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suite.h"

static uv_loop_t loop;
static char workdir[64];
static char olddir[PATH_MAX];

static int rm_entry(const char* p, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}

static int setup(void** state) {
  (void)state;
  if (getcwd(olddir, sizeof olddir) == NULL) return -1;
  strcpy(workdir, "/tmp/uvfs-XXXXXX");
  if (mkdtemp(workdir) == NULL) return -1;
  if (chdir(workdir) != 0) return -1;
  return uv_loop_init(&loop);
}

static int teardown(void** state) {
  (void)state;
  int bad = uv_run(&loop, UV_RUN_DEFAULT) != 0;
  bad |= uv_loop_close(&loop) != 0;
  if (chdir(olddir) != 0) bad = 1;
  nftw(workdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  return bad ? -1 : 0;
}

/* ---- helpers --------------------------------------------------------------- */

static int cb_calls;
static uv_fs_cb CB; /* NULL: sync pass; done_cb: async pass */

static void done_cb(uv_fs_t* req) {
  (void)req;
  cb_calls++;
}

/* Both passes: the sync return must equal req->result; the async call
 * returns 0 and its callback runs exactly once. Gives req->result. */
static ssize_t R(int r, uv_fs_t* req) {
  if (CB == NULL) {
    assert_int_equal(r, (int)req->result);
  } else {
    assert_int_equal(r, 0);
    cb_calls = 0;
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(cb_calls, 1);
  }
  return req->result;
}

#define EACH_MODE for (int pass_ = 0; pass_ < 2 && ((CB = pass_ ? done_cb : NULL), 1); pass_++)

static void put(const char* name, const char* data) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
  close(fd);
}

static ssize_t get(const char* name, char* buf, size_t cap) {
  int fd = open(name, O_RDONLY);
  if (fd < 0) return -errno;
  ssize_t n = read(fd, buf, cap - 1);
  close(fd);
  if (n >= 0) buf[n] = '\0';
  return n;
}

static int exists(const char* name) {
  struct stat sb;
  return lstat(name, &sb) == 0;
}

static int open_rw(const char* name) {
  int fd = open(name, O_RDWR | O_CREAT, 0644);
  assert_true(fd >= 0);
  return fd;
}

/* ---- open / close ------------------------------------------------------------ */

/* follows libuv test-fs.c fs_file_noent */
static void test_fs_file_noent(void** state) {
  (void)state;
  uv_fs_t req;
  EACH_MODE {
    assert_int_equal(R(uv_fs_open(&loop, &req, "does_not_exist", O_RDONLY, 0, CB), &req), UV_ENOENT);
    assert_int_equal(uv_fs_get_type(&req), UV_FS_OPEN);
    assert_int_equal(uv_fs_get_system_error(&req), ENOENT);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_file_nametoolong */
static void test_fs_file_nametoolong(void** state) {
  (void)state;
  char name[PATH_MAX + 2];
  uv_fs_t req;
  memset(name, 'a', sizeof name - 1);
  name[sizeof name - 1] = '\0';
  EACH_MODE {
    assert_int_equal(R(uv_fs_open(&loop, &req, name, O_RDONLY, 0, CB), &req), UV_ENAMETOOLONG);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_file_loop */
static void test_fs_file_loop(void** state) {
  (void)state;
  uv_fs_t req;
  assert_int_equal(symlink("loop_link", "loop_link"), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_open(&loop, &req, "loop_link", O_RDONLY, 0, CB), &req), UV_ELOOP);
    uv_fs_req_cleanup(&req);
  }
}

/* The whole life of a file, in each mode: create, write, close, reopen,
 * read, close, rename, unlink. follows libuv test-fs.c fs_file_async / fs_file_sync */
static void file_life(void) {
  uv_fs_t req;
  char buf[32] = {0};
  uv_buf_t iov = uv_buf_init("hello world\n", 12);
  ssize_t fd = R(uv_fs_open(&loop, &req, "life", O_WRONLY | O_CREAT | O_TRUNC, 0644, CB), &req);
  assert_true(fd >= 0);
  assert_int_equal(fd, req.result);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_write(&loop, &req, (uv_file)fd, &iov, 1, -1, CB), &req), 12);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_close(&loop, &req, (uv_file)fd, CB), &req), 0);
  uv_fs_req_cleanup(&req);
  fd = R(uv_fs_open(&loop, &req, "life", O_RDONLY, 0, CB), &req);
  assert_true(fd >= 0);
  uv_fs_req_cleanup(&req);
  iov = uv_buf_init(buf, sizeof buf);
  assert_int_equal(R(uv_fs_read(&loop, &req, (uv_file)fd, &iov, 1, -1, CB), &req), 12);
  assert_string_equal(buf, "hello world\n");
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_close(&loop, &req, (uv_file)fd, CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_rename(&loop, &req, "life", "life2", CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_false(exists("life"));
  assert_int_equal(R(uv_fs_unlink(&loop, &req, "life2", CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_false(exists("life2"));
}

static void test_fs_file_sync(void** state) {
  (void)state;
  CB = NULL;
  file_life();
}

static void test_fs_file_async(void** state) {
  (void)state;
  CB = done_cb;
  file_life();
}

/* follows libuv test-fs.c fs_file_write_null_buffer */
static void test_fs_file_write_null_buffer(void** state) {
  (void)state;
  uv_fs_t req;
  int fd = open_rw("nullbuf");
  uv_buf_t iov = uv_buf_init(NULL, 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_write(&loop, &req, fd, &iov, 1, -1, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
}

/* follows libuv test-fs.c fs_read_write_null_arguments */
static void test_fs_read_write_null_arguments(void** state) {
  (void)state;
  uv_fs_t req;
  uv_buf_t iov = uv_buf_init(NULL, 0);
  assert_int_equal(uv_fs_read(NULL, &req, 0, NULL, 0, -1, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_write(NULL, &req, 0, NULL, 0, -1, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_read(NULL, &req, 0, &iov, 0, -1, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_write(NULL, &req, 0, &iov, 0, -1, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  /* async: refused at once, no callback, the loop stays empty */
  assert_int_equal(uv_fs_read(&loop, &req, 0, NULL, 0, -1, done_cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_write(&loop, &req, 0, &iov, 0, -1, done_cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  cb_calls = 0;
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(cb_calls, 0);
}

/* libuv's INIT: a NULL request is UV_EINVAL, for every function */
static void test_fs_null_req(void** state) {
  (void)state;
  uv_buf_t iov = uv_buf_init(NULL, 0);
  assert_int_equal(uv_fs_open(&loop, NULL, "x", O_RDONLY, 0, NULL), UV_EINVAL);
  assert_int_equal(uv_fs_close(&loop, NULL, 0, done_cb), UV_EINVAL);
  assert_int_equal(uv_fs_read(&loop, NULL, 0, &iov, 1, 0, NULL), UV_EINVAL);
  assert_int_equal(uv_fs_write(&loop, NULL, 0, &iov, 1, 0, NULL), UV_EINVAL);
  assert_int_equal(uv_fs_stat(&loop, NULL, "x", NULL), UV_EINVAL);
  assert_int_equal(uv_fs_fstat(&loop, NULL, 0, NULL), UV_EINVAL);
  assert_int_equal(uv_fs_scandir(&loop, NULL, ".", 0, NULL), UV_EINVAL);
  assert_int_equal(uv_fs_mkdtemp(&loop, NULL, "xXXXXXX", NULL), UV_EINVAL);
  assert_int_equal(uv_fs_copyfile(&loop, NULL, "a", "b", 0, NULL), UV_EINVAL);
  assert_int_equal(uv_fs_sendfile(&loop, NULL, 1, 0, 0, 0, NULL), UV_EINVAL);
  assert_int_equal(uv_fs_opendir(&loop, NULL, ".", NULL), UV_EINVAL);
  uv_fs_req_cleanup(NULL);
}

/* follows libuv test-fs.c fs_open_flags (a few of its combinations) */
static void test_fs_open_flags(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[32];
  uv_buf_t iov = uv_buf_init("tail", 4);
  put("flags", "head");
  EACH_MODE {
    /* O_EXCL on an existing file */
    assert_int_equal(R(uv_fs_open(&loop, &req, "flags", O_WRONLY | O_CREAT | O_EXCL, 0644, CB), &req), UV_EEXIST);
    uv_fs_req_cleanup(&req);
    /* O_DIRECTORY on a file */
    assert_int_equal(R(uv_fs_open(&loop, &req, "flags", O_RDONLY | O_DIRECTORY, 0, CB), &req), UV_ENOTDIR);
    uv_fs_req_cleanup(&req);
    /* writing an O_RDONLY descriptor */
    ssize_t fd = R(uv_fs_open(&loop, &req, "flags", O_RDONLY, 0, CB), &req);
    assert_true(fd >= 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_write(&loop, &req, (uv_file)fd, &iov, 1, -1, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
    close((int)fd);
  }
  /* O_APPEND writes at the end whatever the position */
  CB = done_cb;
  ssize_t fd = R(uv_fs_open(&loop, &req, "flags", O_WRONLY | O_APPEND, 0, CB), &req);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_write(&loop, &req, (uv_file)fd, &iov, 1, -1, CB), &req), 4);
  uv_fs_req_cleanup(&req);
  close((int)fd);
  assert_int_equal(get("flags", buf, sizeof buf), 8);
  assert_string_equal(buf, "headtail");
  /* O_TRUNC empties it */
  CB = NULL;
  fd = R(uv_fs_open(&loop, &req, "flags", O_WRONLY | O_TRUNC, 0, CB), &req);
  uv_fs_req_cleanup(&req);
  close((int)fd);
  assert_int_equal(get("flags", buf, sizeof buf), 0);
}

/* the mode of a created file is mode & ~umask */
static void test_fs_open_mode(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  mode_t old = umask(022);
  EACH_MODE {
    const char* name = CB ? "mode_async" : "mode_sync";
    ssize_t fd = R(uv_fs_open(&loop, &req, name, O_WRONLY | O_CREAT, 0666, CB), &req);
    assert_true(fd >= 0);
    uv_fs_req_cleanup(&req);
    close((int)fd);
    assert_int_equal(stat(name, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);
  }
  umask(old);
}

/* libuv opens every file O_CLOEXEC */
static void test_fs_open_cloexec(void** state) {
  (void)state;
  uv_fs_t req;
  put("cloexec", "x");
  EACH_MODE {
    ssize_t fd = R(uv_fs_open(&loop, &req, "cloexec", O_RDONLY, 0, CB), &req);
    assert_true(fd >= 0);
    uv_fs_req_cleanup(&req);
    assert_true(fcntl((int)fd, F_GETFD) & FD_CLOEXEC);
    close((int)fd);
  }
}

/* closing what is not open */
static void test_fs_close_bad_fd(void** state) {
  (void)state;
  uv_fs_t req;
  int fd = open_rw("closed");
  close(fd);
  EACH_MODE {
    assert_int_equal(R(uv_fs_close(&loop, &req, fd, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
  }
}

/* too many open files: libuv reports UV_EMFILE */
static void test_fs_open_emfile(void** state) {
  (void)state;
  struct rlimit old, lim;
  uv_fs_t req;
  int fds[64];
  int n = 0;
  put("emfile", "x");
  assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
  lim = old;
  lim.rlim_cur = 48;
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &lim), 0);
  for (;;) {
    int fd = open("emfile", O_RDONLY);
    if (fd < 0) break;
    assert_true(n < 64);
    fds[n++] = fd;
  }
  assert_int_equal(errno, EMFILE);
  EACH_MODE {
    assert_int_equal(R(uv_fs_open(&loop, &req, "emfile", O_RDONLY, 0, CB), &req), UV_EMFILE);
    uv_fs_req_cleanup(&req);
  }
  while (n > 0) close(fds[--n]);
  assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* ---- read / write ------------------------------------------------------------ */

/* follows libuv test-fs.c fs_read_bufs */
static void test_fs_read_bufs(void** state) {
  (void)state;
  uv_fs_t req;
  char a[4], b[3], c[10];
  put("bufs", "0123456789");
  int fd = open("bufs", O_RDONLY);
  EACH_MODE {
    uv_buf_t iov[3] = {uv_buf_init(a, 4), uv_buf_init(b, 3), uv_buf_init(c, 10)};
    memset(c, 0, sizeof c);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, iov, 3, 0, CB), &req), 10);
    assert_memory_equal(a, "0123", 4);
    assert_memory_equal(b, "456", 3);
    assert_memory_equal(c, "789", 3);
    uv_fs_req_cleanup(&req);
    /* from an offset: a short read across the buffers */
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, iov, 3, 5, CB), &req), 5);
    assert_memory_equal(a, "5678", 4);
    assert_memory_equal(b, "956", 3);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
}

/* follows libuv test-fs.c fs_write_multiple_bufs */
static void test_fs_write_multiple_bufs(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[64];
  EACH_MODE {
    const char* name = CB ? "wmb_async" : "wmb_sync";
    int fd = open_rw(name);
    uv_buf_t iov[2] = {uv_buf_init("hello ", 6), uv_buf_init("world", 5)};
    assert_int_equal(R(uv_fs_write(&loop, &req, fd, iov, 2, 0, CB), &req), 11);
    uv_fs_req_cleanup(&req);
    /* and back, into two buffers, with an offset */
    char x[3], y[16] = {0};
    uv_buf_t rio[2] = {uv_buf_init(x, 3), uv_buf_init(y, sizeof y)};
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, rio, 2, 2, CB), &req), 9);
    assert_memory_equal(x, "llo", 3);
    assert_string_equal(y, " world");
    uv_fs_req_cleanup(&req);
    close(fd);
    assert_int_equal(get(name, buf, sizeof buf), 11);
  }
}

/* follows libuv test-fs.c fs_write_alotof_bufs: more buffers than IOV_MAX,
 * written in full (libuv loops), the array copied (the caller's goes away) */
static void test_fs_write_alotof_bufs(void** state) {
  (void)state;
  enum { N = 1030 };
  uv_fs_t req;
  static uv_buf_t iov[N];
  static char rd[N * 3 + 8];
  EACH_MODE {
    const char* name = CB ? "alot_async" : "alot_sync";
    int fd = open_rw(name);
    for (int i = 0; i < N; i++) iov[i] = uv_buf_init("abc", 3);
    int r = uv_fs_write(&loop, &req, fd, iov, N, -1, CB);
    memset(iov, 0, sizeof iov); /* libuv copied the array */
    assert_int_equal(R(r, &req), N * 3);
    uv_fs_req_cleanup(&req);
    close(fd);
    assert_int_equal(get(name, rd, sizeof rd), N * 3);
    for (int i = 0; i < N; i++) assert_memory_equal(rd + i * 3, "abc", 3);
  }
}

/* follows libuv test-fs.c fs_write_alotof_bufs_with_offset */
static void test_fs_write_alotof_bufs_with_offset(void** state) {
  (void)state;
  enum { N = 1100 };
  uv_fs_t req;
  static uv_buf_t iov[N];
  static char rd[N * 2 + 64];
  EACH_MODE {
    const char* name = CB ? "alotoff_async" : "alotoff_sync";
    put(name, "prefix:");
    int fd = open(name, O_RDWR);
    for (int i = 0; i < N; i++) iov[i] = uv_buf_init(i % 2 ? "yz" : "xy", 2);
    assert_int_equal(R(uv_fs_write(&loop, &req, fd, iov, N, 7, CB), &req), N * 2);
    uv_fs_req_cleanup(&req);
    /* the position did not move: a -1 read starts at 0 */
    char head[8] = {0};
    uv_buf_t h = uv_buf_init(head, 7);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, &h, 1, -1, CB), &req), 7);
    assert_string_equal(head, "prefix:");
    uv_fs_req_cleanup(&req);
    close(fd);
    assert_int_equal(get(name, rd, sizeof rd), 7 + N * 2);
    assert_memory_equal(rd + 7, "xyyz", 4);
    assert_memory_equal(rd + 7 + (N - 2) * 2, "xyyz", 4);
  }
}

/* a read takes at most IOV_MAX buffers (libuv clamps nbufs to it) */
static void test_fs_read_alotof_bufs(void** state) {
  (void)state;
  enum { N = 1030 };
  uv_fs_t req;
  static uv_buf_t iov[N];
  static char bytes[N];
  char data[N + 10];
  memset(data, 'r', sizeof data - 1);
  data[sizeof data - 1] = '\0';
  put("alotread", data);
  int fd = open("alotread", O_RDONLY);
  EACH_MODE {
    for (int i = 0; i < N; i++) iov[i] = uv_buf_init(&bytes[i], 1);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, iov, N, 0, CB), &req), 1024);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
}

/* paths longer than the usual: the async copies take the slow storage */
static void test_fs_long_path(void** state) {
  (void)state;
  uv_fs_t req;
  char dir[256], file[400], file2[400];
  memset(dir, 'd', 250);
  dir[250] = '\0';
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(file, sizeof file, "%s/%0120d", dir, 7);
  snprintf(file2, sizeof file2, "%s/%0130d", dir, 8);
  EACH_MODE {
    ssize_t fd = R(uv_fs_open(&loop, &req, file, O_WRONLY | O_CREAT, 0644, CB), &req);
    assert_true(fd >= 0);
    uv_fs_req_cleanup(&req);
    close((int)fd);
    assert_int_equal(R(uv_fs_stat(&loop, &req, file, CB), &req), 0);
    assert_true(S_ISREG(req.statbuf.st_mode));
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_rename(&loop, &req, file, file2, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_lstat(&loop, &req, file2, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_unlink(&loop, &req, file2, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
}

/* offset -1 reads from the file position and moves it; an explicit
 * offset does neither. follows libuv test-fs.c fs_read_file_eof and friends */
static void test_fs_read_offset_minus_one(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[4];
  put("pos", "abcdefgh");
  EACH_MODE {
    int fd = open("pos", O_RDONLY);
    uv_buf_t iov = uv_buf_init(buf, 3);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, &iov, 1, -1, CB), &req), 3);
    assert_memory_equal(buf, "abc", 3);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, &iov, 1, 6, CB), &req), 2);
    assert_memory_equal(buf, "gh", 2);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, &iov, 1, -1, CB), &req), 3);
    assert_memory_equal(buf, "def", 3);
    uv_fs_req_cleanup(&req);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 6);
    close(fd);
  }
}

/* vectored read at -1 also uses and moves the position */
static void test_fs_readv_offset_minus_one(void** state) {
  (void)state;
  uv_fs_t req;
  char a[2], b[2];
  put("posv", "abcdefgh");
  EACH_MODE {
    int fd = open("posv", O_RDONLY);
    assert_int_equal(lseek(fd, 2, SEEK_SET), 2);
    uv_buf_t iov[2] = {uv_buf_init(a, 2), uv_buf_init(b, 2)};
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, iov, 2, -1, CB), &req), 4);
    assert_memory_equal(a, "cd", 2);
    assert_memory_equal(b, "ef", 2);
    uv_fs_req_cleanup(&req);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 6);
    close(fd);
  }
}

/* write at -1 appends at the position and moves it; at an offset does not */
static void test_fs_write_offset_minus_one(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[32];
  EACH_MODE {
    const char* name = CB ? "wpos_async" : "wpos_sync";
    int fd = open_rw(name);
    uv_buf_t one = uv_buf_init("12345", 5);
    uv_buf_t two = uv_buf_init("AB", 2);
    assert_int_equal(R(uv_fs_write(&loop, &req, fd, &one, 1, -1, CB), &req), 5);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_write(&loop, &req, fd, &two, 1, 1, CB), &req), 2);
    uv_fs_req_cleanup(&req);
    assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);
    assert_int_equal(R(uv_fs_write(&loop, &req, fd, &two, 1, -1, CB), &req), 2);
    uv_fs_req_cleanup(&req);
    close(fd);
    assert_int_equal(get(name, buf, sizeof buf), 7);
    assert_string_equal(buf, "1AB45AB");
  }
}

/* follows libuv test-fs.c fs_read_file_eof: reading past the end gives 0 */
static void test_fs_read_file_eof(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[8];
  put("eof", "abc");
  int fd = open("eof", O_RDONLY);
  EACH_MODE {
    uv_buf_t iov = uv_buf_init(buf, sizeof buf);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, &iov, 1, 3, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, &iov, 1, 100, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
}

/* follows libuv test-fs.c fs_read_dir: reading a directory is EISDIR */
static void test_fs_read_dir(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[8];
  assert_int_equal(mkdir("rdir", 0755), 0);
  int fd = open("rdir", O_RDONLY | O_DIRECTORY);
  assert_true(fd >= 0);
  EACH_MODE {
    uv_buf_t iov = uv_buf_init(buf, sizeof buf);
    assert_int_equal(R(uv_fs_read(&loop, &req, fd, &iov, 1, -1, CB), &req), UV_EISDIR);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
}

/* reading and writing a closed descriptor */
static void test_fs_read_write_bad_fd(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[8];
  uv_buf_t iov = uv_buf_init(buf, sizeof buf);
  EACH_MODE {
    assert_int_equal(R(uv_fs_read(&loop, &req, 987, &iov, 1, -1, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_write(&loop, &req, 987, &iov, 1, 0, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
  }
}

/* a 4 MiB write in one request is written in full */
static void test_fs_write_large(void** state) {
  (void)state;
  enum { SIZE = 4 << 20 };
  uv_fs_t req;
  char* data = malloc(SIZE);
  assert_non_null(data);
  for (int i = 0; i < SIZE; i++) data[i] = (char)(i * 7);
  EACH_MODE {
    int fd = open_rw(CB ? "large_async" : "large_sync");
    uv_buf_t iov = uv_buf_init(data, SIZE);
    assert_int_equal(R(uv_fs_write(&loop, &req, fd, &iov, 1, 0, CB), &req), SIZE);
    uv_fs_req_cleanup(&req);
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    assert_int_equal(sb.st_size, SIZE);
    close(fd);
  }
  free(data);
}

/* a pipe: read and write work on non-seekable files at -1. (An explicit
 * offset is ESPIPE in libuv's pwrite; io_uring ignores the offset of a
 * stream, so Veloq's async form writes: a known difference, not tested.) */
static void test_fs_pipe_io(void** state) {
  (void)state;
  uv_fs_t req;
  int p[2];
  char buf[8] = {0};
  assert_int_equal(pipe(p), 0);
  EACH_MODE {
    uv_buf_t w = uv_buf_init("ping", 4);
    uv_buf_t r = uv_buf_init(buf, sizeof buf);
    assert_int_equal(R(uv_fs_write(&loop, &req, p[1], &w, 1, -1, CB), &req), 4);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_read(&loop, &req, p[0], &r, 1, -1, CB), &req), 4);
    assert_memory_equal(buf, "ping", 4);
    uv_fs_req_cleanup(&req);
  }
  CB = NULL;
  uv_buf_t w = uv_buf_init("ping", 4);
  assert_int_equal(R(uv_fs_write(&loop, &req, p[1], &w, 1, 0, CB), &req), UV_ESPIPE);
  uv_fs_req_cleanup(&req);
  close(p[0]);
  close(p[1]);
}

/* ---- temp files and dirs ---------------------------------------------------- */

/* follows libuv test-fs.c fs_mkdtemp */
static void test_fs_mkdtemp(void** state) {
  (void)state;
  uv_fs_t req;
  const char* tpl = "tmpdir_XXXXXX";
  EACH_MODE {
    assert_int_equal(R(uv_fs_mkdtemp(&loop, &req, tpl, CB), &req), 0);
    assert_non_null(req.path);
    assert_int_equal(strlen(req.path), strlen(tpl));
    assert_memory_equal(req.path, "tmpdir_", 7);
    assert_string_not_equal(req.path, tpl);
    struct stat sb;
    assert_int_equal(stat(req.path, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(sb.st_mode & 0777, 0700);
    uv_fs_req_cleanup(&req);
    assert_null(req.path);
  }
}

/* a template without XXXXXX is EINVAL */
static void test_fs_mkdtemp_bad_template(void** state) {
  (void)state;
  uv_fs_t req;
  EACH_MODE {
    assert_int_equal(R(uv_fs_mkdtemp(&loop, &req, "no_pattern", CB), &req), UV_EINVAL);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_mkstemp */
static void test_fs_mkstemp(void** state) {
  (void)state;
  uv_fs_t req;
  char first[32] = {0};
  EACH_MODE {
    ssize_t fd = R(uv_fs_mkstemp(&loop, &req, "tmpfile_XXXXXX", CB), &req);
    assert_true(fd >= 0);
    assert_int_equal(strlen(req.path), 14);
    assert_memory_equal(req.path, "tmpfile_", 8);
    assert_true(exists(req.path));
    assert_string_not_equal(req.path, first); /* a new name each time */
    strcpy(first, req.path);
    assert_true(fcntl((int)fd, F_GETFD) & FD_CLOEXEC);
    uv_buf_t iov = uv_buf_init("x", 1);
    uv_fs_t w;
    assert_int_equal(uv_fs_write(NULL, &w, (uv_file)fd, &iov, 1, -1, NULL), 1);
    uv_fs_req_cleanup(&w);
    close((int)fd);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_mkstemp (bad templates: EINVAL, path cleared) */
static void test_fs_mkstemp_bad_template(void** state) {
  (void)state;
  uv_fs_t req;
  EACH_MODE {
    assert_int_equal(R(uv_fs_mkstemp(&loop, &req, "bad_XXXXX", CB), &req), UV_EINVAL);
    assert_string_equal(req.path, "");
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_mkstemp(&loop, &req, "missing_dir/f_XXXXXX", CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
  }
}

/* ---- metadata --------------------------------------------------------------- */

/* follows libuv test-fs.c fs_stat_missing_path */
static void test_fs_stat_missing_path(void** state) {
  (void)state;
  uv_fs_t req;
  EACH_MODE {
    assert_int_equal(R(uv_fs_stat(&loop, &req, "missing", CB), &req), UV_ENOENT);
    assert_null(req.ptr);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_lstat(&loop, &req, "missing", CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_stat(&loop, &req, "", CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
  }
}

static void check_stat_matches(const uv_stat_t* s, const struct stat* sb) {
  assert_int_equal(s->st_dev, sb->st_dev);
  assert_int_equal(s->st_ino, sb->st_ino);
  assert_int_equal(s->st_mode, sb->st_mode);
  assert_int_equal(s->st_nlink, sb->st_nlink);
  assert_int_equal(s->st_uid, sb->st_uid);
  assert_int_equal(s->st_gid, sb->st_gid);
  assert_int_equal(s->st_rdev, sb->st_rdev);
  assert_int_equal(s->st_size, sb->st_size);
  assert_int_equal(s->st_blksize, sb->st_blksize);
  assert_int_equal(s->st_blocks, sb->st_blocks);
  assert_int_equal(s->st_mtim.tv_sec, sb->st_mtim.tv_sec);
  assert_int_equal(s->st_mtim.tv_nsec, sb->st_mtim.tv_nsec);
  assert_int_equal(s->st_ctim.tv_sec, sb->st_ctim.tv_sec);
  assert_int_equal(s->st_ctim.tv_nsec, sb->st_ctim.tv_nsec);
  assert_int_equal(s->st_atim.tv_sec, sb->st_atim.tv_sec);
  assert_int_equal(s->st_flags, 0);
  assert_int_equal(s->st_gen, 0);
}

/* stat fills every field; ptr points at req->statbuf and cleanup keeps it */
static void test_fs_stat_file(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  put("statme", "0123456789");
  assert_int_equal(stat("statme", &sb), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_stat(&loop, &req, "statme", CB), &req), 0);
    assert_ptr_equal(req.ptr, &req.statbuf);
    assert_ptr_equal(uv_fs_get_statbuf(&req), &req.statbuf);
    check_stat_matches(&req.statbuf, &sb);
    uv_fs_req_cleanup(&req);
    assert_null(req.ptr);
  }
}

/* the sync and async stat of the same file are identical, birth time too */
static void test_fs_stat_sync_async_equal(void** state) {
  (void)state;
  uv_fs_t a, b;
  assert_int_equal(mkdir("statdir", 0700), 0);
  assert_int_equal(uv_fs_stat(NULL, &a, "statdir", NULL), 0);
  assert_int_equal(uv_fs_stat(&loop, &b, "statdir", done_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(b.result, 0);
  assert_memory_equal(&a.statbuf, &b.statbuf, sizeof a.statbuf);
  assert_true(S_ISDIR(a.statbuf.st_mode));
  assert_true(a.statbuf.st_birthtim.tv_sec <= a.statbuf.st_ctim.tv_sec + 1);
  uv_fs_req_cleanup(&a);
  uv_fs_req_cleanup(&b);
}

/* follows libuv test-fs.c fs_fstat */
static void test_fs_fstat(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  int fd = open_rw("fstatme");
  assert_int_equal(write(fd, "12345", 5), 5);
  assert_int_equal(fstat(fd, &sb), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_fstat(&loop, &req, fd, CB), &req), 0);
    assert_ptr_equal(req.ptr, &req.statbuf);
    assert_null(req.path);
    check_stat_matches(&req.statbuf, &sb);
    assert_int_equal(req.statbuf.st_size, 5);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
  EACH_MODE {
    assert_int_equal(R(uv_fs_fstat(&loop, &req, fd, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_lstat: a symlink itself, not its target */
static void test_fs_lstat(void** state) {
  (void)state;
  uv_fs_t req;
  put("target", "1234");
  assert_int_equal(symlink("target", "link"), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_lstat(&loop, &req, "link", CB), &req), 0);
    assert_true(S_ISLNK(req.statbuf.st_mode));
    assert_int_equal(req.statbuf.st_size, 6); /* strlen("target") */
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_stat(&loop, &req, "link", CB), &req), 0);
    assert_true(S_ISREG(req.statbuf.st_mode));
    assert_int_equal(req.statbuf.st_size, 4);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_stat_root */
static void test_fs_stat_root(void** state) {
  (void)state;
  uv_fs_t req;
  EACH_MODE {
    assert_int_equal(R(uv_fs_stat(&loop, &req, "/", CB), &req), 0);
    assert_true(S_ISDIR(req.statbuf.st_mode));
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_stat(&loop, &req, "..", CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
}

/* a component that is a file: ENOTDIR */
static void test_fs_stat_enotdir(void** state) {
  (void)state;
  uv_fs_t req;
  put("plain", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_stat(&loop, &req, "plain/inside", CB), &req), UV_ENOTDIR);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_statfs */
static void test_fs_statfs(void** state) {
  (void)state;
  uv_fs_t req;
  EACH_MODE {
    assert_int_equal(R(uv_fs_statfs(&loop, &req, ".", CB), &req), 0);
    uv_statfs_t* s = req.ptr;
    assert_non_null(s);
    assert_true(s->f_bsize > 0);
    assert_true(s->f_blocks >= s->f_bfree);
    uv_fs_req_cleanup(&req);
    assert_null(req.ptr);
    assert_int_equal(R(uv_fs_statfs(&loop, &req, "missing", CB), &req), UV_ENOENT);
    assert_null(req.ptr);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_chmod (and fchmod) */
static void test_fs_chmod(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  put("chmodme", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_chmod(&loop, &req, "chmodme", 0600, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(stat("chmodme", &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    int fd = open("chmodme", O_RDONLY);
    assert_int_equal(R(uv_fs_fchmod(&loop, &req, fd, 0640, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    close(fd);
    assert_int_equal(stat("chmodme", &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    assert_int_equal(R(uv_fs_chmod(&loop, &req, "missing", 0600, CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_fchmod(&loop, &req, 9999, 0600, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_chown: -1/-1 changes nothing and succeeds */
static void test_fs_chown(void** state) {
  (void)state;
  uv_fs_t req;
  put("chownme", "x");
  assert_int_equal(symlink("chownme", "chownlink"), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_chown(&loop, &req, "chownme", (uv_uid_t)-1, (uv_gid_t)-1, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_chown(&loop, &req, "chownme", getuid(), getgid(), CB), &req), 0);
    uv_fs_req_cleanup(&req);
    int fd = open("chownme", O_RDONLY);
    assert_int_equal(R(uv_fs_fchown(&loop, &req, fd, (uv_uid_t)-1, (uv_gid_t)-1, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    close(fd);
    assert_int_equal(R(uv_fs_lchown(&loop, &req, "chownlink", (uv_uid_t)-1, (uv_gid_t)-1, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_chown(&loop, &req, "missing", (uv_uid_t)-1, (uv_gid_t)-1, CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_access */
static void test_fs_access(void** state) {
  (void)state;
  uv_fs_t req;
  put("accessme", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_access(&loop, &req, "missing", F_OK, CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_access(&loop, &req, "accessme", F_OK, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_access(&loop, &req, "accessme", R_OK | W_OK, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_access(&loop, &req, "accessme", X_OK, CB), &req), UV_EACCES);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_access(&loop, &req, ".", X_OK, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_fsync / fs_fdatasync */
static void test_fs_fsync_fdatasync(void** state) {
  (void)state;
  uv_fs_t req;
  int fd = open_rw("syncme");
  assert_int_equal(write(fd, "data", 4), 4);
  EACH_MODE {
    assert_int_equal(R(uv_fs_fsync(&loop, &req, fd, CB), &req), 0);
    assert_int_equal(uv_fs_get_type(&req), UV_FS_FSYNC);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_fdatasync(&loop, &req, fd, CB), &req), 0);
    assert_int_equal(uv_fs_get_type(&req), UV_FS_FDATASYNC);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_fsync(&loop, &req, 9999, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_fdatasync(&loop, &req, 9999, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
}

/* follows libuv test-fs.c fs_ftruncate */
static void test_fs_ftruncate(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  char buf[32];
  put("trunc", "0123456789");
  int fd = open("trunc", O_RDWR);
  EACH_MODE {
    assert_int_equal(R(uv_fs_ftruncate(&loop, &req, fd, 4, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(get("trunc", buf, sizeof buf), 4);
    assert_string_equal(buf, "0123");
    assert_int_equal(R(uv_fs_ftruncate(&loop, &req, fd, 100, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(fstat(fd, &sb), 0);
    assert_int_equal(sb.st_size, 100);
    assert_int_equal(R(uv_fs_ftruncate(&loop, &req, fd, 10, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
  close(fd);
  int ro = open("trunc", O_RDONLY);
  EACH_MODE {
    assert_int_equal(R(uv_fs_ftruncate(&loop, &req, ro, 0, CB), &req), UV_EINVAL);
    uv_fs_req_cleanup(&req);
  }
  close(ro);
}

/* follows libuv test-fs.c fs_utime */
static void test_fs_utime(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  put("utimeme", "x");
  EACH_MODE {
    const double atime = CB ? 400497753.25 : 1291404900.25; /* both exact in binary */
    const double mtime = atime + 1000.5;
    assert_int_equal(R(uv_fs_utime(&loop, &req, "utimeme", atime, mtime, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(stat("utimeme", &sb), 0);
    assert_int_equal(sb.st_atim.tv_sec, (time_t)atime);
    assert_int_equal(sb.st_atim.tv_nsec, 250000000);
    assert_int_equal(sb.st_mtim.tv_sec, (time_t)mtime);
    assert_int_equal(sb.st_mtim.tv_nsec, 750000000);
    assert_int_equal(R(uv_fs_utime(&loop, &req, "missing", atime, mtime, CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_futime */
static void test_fs_futime(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  int fd = open_rw("futimeme");
  EACH_MODE {
    const double atime = CB ? 1500000000.5 : 1400000000.0;
    assert_int_equal(R(uv_fs_futime(&loop, &req, fd, atime, atime, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(fstat(fd, &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, (time_t)atime);
    assert_int_equal(sb.st_mtim.tv_nsec, CB ? 500000000 : 0);
  }
  close(fd);
}

/* follows libuv test-fs.c fs_lutime: the link's times, not the target's */
static void test_fs_lutime(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb, tsb;
  put("lutarget", "x");
  assert_int_equal(stat("lutarget", &tsb), 0);
  assert_int_equal(symlink("lutarget", "lutlink"), 0);
  EACH_MODE {
    const double t = CB ? 1200000000.0 : 1100000000.0;
    assert_int_equal(R(uv_fs_lutime(&loop, &req, "lutlink", t, t, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(lstat("lutlink", &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, (time_t)t);
    assert_int_equal(stat("lutarget", &sb), 0);
    assert_int_equal(sb.st_mtim.tv_sec, tsb.st_mtim.tv_sec);
  }
}

/* ---- links and names ---------------------------------------------------------- */

/* follows libuv test-fs.c fs_link */
static void test_fs_link(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  char buf[16];
  put("orig", "linked");
  EACH_MODE {
    const char* name = CB ? "hard_async" : "hard_sync";
    assert_int_equal(R(uv_fs_link(&loop, &req, "orig", name, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(get(name, buf, sizeof buf), 6);
    assert_string_equal(buf, "linked");
    assert_int_equal(R(uv_fs_link(&loop, &req, "orig", name, CB), &req), UV_EEXIST);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_link(&loop, &req, "missing", "x", CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
  }
  assert_int_equal(stat("orig", &sb), 0);
  assert_int_equal(sb.st_nlink, 3);
}

/* follows libuv test-fs.c fs_symlink */
static void test_fs_symlink(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[16];
  put("symtarget", "via link");
  EACH_MODE {
    const char* name = CB ? "sym_async" : "sym_sync";
    assert_int_equal(R(uv_fs_symlink(&loop, &req, "symtarget", name, 0, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(get(name, buf, sizeof buf), 8);
    assert_int_equal(R(uv_fs_symlink(&loop, &req, "symtarget", name, 0, CB), &req), UV_EEXIST);
    uv_fs_req_cleanup(&req);
    /* a dangling link is fine to create */
    assert_int_equal(R(uv_fs_symlink(&loop, &req, "nowhere", CB ? "dang_a" : "dang_s", 0, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_readlink */
static void test_fs_readlink(void** state) {
  (void)state;
  uv_fs_t req;
  assert_int_equal(symlink("some/where/else", "rl"), 0);
  put("notalink", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_readlink(&loop, &req, "rl", CB), &req), 0);
    assert_string_equal(req.ptr, "some/where/else");
    uv_fs_req_cleanup(&req);
    assert_null(req.ptr);
    assert_int_equal(R(uv_fs_readlink(&loop, &req, "missing", CB), &req), UV_ENOENT);
    assert_null(req.ptr);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_readlink(&loop, &req, "notalink", CB), &req), UV_EINVAL);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_realpath */
static void test_fs_realpath(void** state) {
  (void)state;
  uv_fs_t req;
  char expect[PATH_MAX];
  assert_int_equal(mkdir("rp", 0755), 0);
  put("rp/file", "x");
  assert_int_equal(symlink("rp/file", "rplink"), 0);
  assert_non_null(realpath("rp/file", expect));
  EACH_MODE {
    assert_int_equal(R(uv_fs_realpath(&loop, &req, "rplink", CB), &req), 0);
    assert_string_equal(req.ptr, expect);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_realpath(&loop, &req, "./rp/../rp/file", CB), &req), 0);
    assert_string_equal(req.ptr, expect);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_realpath(&loop, &req, "rp/missing", CB), &req), UV_ENOENT);
    assert_null(req.ptr);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_rename_to_existing_file */
static void test_fs_rename_to_existing_file(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[16];
  EACH_MODE {
    put("from", "new");
    put("to", "old");
    assert_int_equal(R(uv_fs_rename(&loop, &req, "from", "to", CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_false(exists("from"));
    assert_int_equal(get("to", buf, sizeof buf), 3);
    assert_string_equal(buf, "new");
    assert_int_equal(R(uv_fs_rename(&loop, &req, "from", "to", CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
  }
}

/* renaming a directory over a non-empty one, or a file over a directory */
static void test_fs_rename_errors(void** state) {
  (void)state;
  uv_fs_t req;
  assert_int_equal(mkdir("d1", 0755), 0);
  assert_int_equal(mkdir("d2", 0755), 0);
  put("d2/f", "x");
  put("file", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_rename(&loop, &req, "d1", "d2", CB), &req), UV_ENOTEMPTY);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_rename(&loop, &req, "file", "d1", CB), &req), UV_EISDIR);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_rename(&loop, &req, "d1", "file", CB), &req), UV_ENOTDIR);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_async_dir (mkdir/rmdir part) */
static void test_fs_mkdir_rmdir(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  EACH_MODE {
    assert_int_equal(R(uv_fs_mkdir(&loop, &req, "newdir", 0750, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(stat("newdir", &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(R(uv_fs_mkdir(&loop, &req, "newdir", 0750, CB), &req), UV_EEXIST);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_mkdir(&loop, &req, "no/such/parent", 0750, CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
    put("newdir/f", "x");
    assert_int_equal(R(uv_fs_rmdir(&loop, &req, "newdir", CB), &req), UV_ENOTEMPTY);
    uv_fs_req_cleanup(&req);
    unlink("newdir/f");
    assert_int_equal(R(uv_fs_rmdir(&loop, &req, "newdir", CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_false(exists("newdir"));
    put("aplainfile", "x");
    assert_int_equal(R(uv_fs_rmdir(&loop, &req, "aplainfile", CB), &req), UV_ENOTDIR);
    uv_fs_req_cleanup(&req);
  }
}

/* unlink: a missing name, a directory (EISDIR on Linux) */
static void test_fs_unlink_errors(void** state) {
  (void)state;
  uv_fs_t req;
  assert_int_equal(mkdir("adir", 0755), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_unlink(&loop, &req, "missing", CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_unlink(&loop, &req, "adir", CB), &req), UV_EISDIR);
    uv_fs_req_cleanup(&req);
  }
}

/* ---- copyfile, sendfile ------------------------------------------------------ */

static void fill(const char* name, size_t size) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0640);
  char chunk[4096];
  assert_true(fd >= 0);
  for (size_t off = 0; off < size;) {
    size_t n = size - off < sizeof chunk ? size - off : sizeof chunk;
    for (size_t i = 0; i < n; i++) chunk[i] = (char)((off + i) * 13 + 1);
    assert_int_equal(write(fd, chunk, n), (ssize_t)n);
    off += n;
  }
  close(fd);
}

static int same_content(const char* a, const char* b) {
  FILE* fa = fopen(a, "rb");
  FILE* fb = fopen(b, "rb");
  int same = fa && fb;
  while (same) {
    int ca = fgetc(fa), cb = fgetc(fb);
    if (ca != cb) same = 0;
    if (ca == EOF || cb == EOF) break;
  }
  if (fa) fclose(fa);
  if (fb) fclose(fb);
  return same;
}

/* follows libuv test-fs-copyfile.c fs_copyfile (basic copy, overwrite, mode) */
static void test_fs_copyfile(void** state) {
  (void)state;
  uv_fs_t req;
  struct stat sb;
  fill("src", 300000);
  EACH_MODE {
    const char* dst = CB ? "dst_async" : "dst_sync";
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, "src", dst, 0, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_true(same_content("src", dst));
    assert_int_equal(stat(dst, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0640);
    /* over an existing, longer file: truncated first */
    fill(dst, 500000);
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, "src", dst, 0, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(stat(dst, &sb), 0);
    assert_int_equal(sb.st_size, 300000);
    assert_true(same_content("src", dst));
  }
}

/* follows libuv test-fs-copyfile.c (UV_FS_COPYFILE_EXCL) */
static void test_fs_copyfile_excl(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[16];
  put("src", "source");
  put("dst", "keep");
  EACH_MODE {
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, "src", "dst", UV_FS_COPYFILE_EXCL, CB), &req), UV_EEXIST);
    uv_fs_req_cleanup(&req);
    assert_int_equal(get("dst", buf, sizeof buf), 4); /* untouched, not unlinked */
  }
  assert_int_equal(uv_fs_copyfile(NULL, &req, "src", "fresh", UV_FS_COPYFILE_EXCL, NULL), 0);
  uv_fs_req_cleanup(&req);
  assert_true(same_content("src", "fresh"));
}

/* follows libuv test-fs-copyfile.c: copying a file onto itself leaves it whole */
static void test_fs_copyfile_same_file(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[16];
  put("self", "intact");
  EACH_MODE {
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, "self", "self", 0, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_int_equal(get("self", buf, sizeof buf), 6);
    assert_string_equal(buf, "intact");
  }
}

/* follows libuv test-fs-copyfile.c: a missing source, a bad target, bad flags */
static void test_fs_copyfile_errors(void** state) {
  (void)state;
  uv_fs_t req;
  put("src", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, "missing", "dst", 0, CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
    assert_false(exists("dst"));
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, "src", "no/dir/dst", 0, CB), &req), UV_ENOENT);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, ".", "dst", 0, CB), &req), UV_EISDIR);
    uv_fs_req_cleanup(&req);
  }
  assert_int_equal(uv_fs_copyfile(&loop, &req, "src", "dst", 0x100, done_cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_copyfile(NULL, &req, "src", "dst", -1, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
}

/* follows libuv test-fs-copyfile.c (FICLONE falls back to a copy; FICLONE_FORCE
 * either clones or fails and leaves no target behind) */
static void test_fs_copyfile_ficlone(void** state) {
  (void)state;
  uv_fs_t req;
  fill("src", 70000);
  EACH_MODE {
    const char* a = CB ? "clone_a" : "clone_s";
    const char* f = CB ? "force_a" : "force_s";
    assert_int_equal(R(uv_fs_copyfile(&loop, &req, "src", a, UV_FS_COPYFILE_FICLONE, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    assert_true(same_content("src", a));
    ssize_t r = R(uv_fs_copyfile(&loop, &req, "src", f, UV_FS_COPYFILE_FICLONE_FORCE, CB), &req);
    uv_fs_req_cleanup(&req);
    if (r == 0) {
      assert_true(same_content("src", f));
    } else {
      assert_true(r < 0);
      assert_false(exists(f));
    }
  }
}

/* follows libuv test-fs.c fs_sendfile (file to file, from an offset) */
static void test_fs_sendfile(void** state) {
  (void)state;
  uv_fs_t req;
  char buf[32];
  put("sfsrc", "0123456789abcdef");
  EACH_MODE {
    const char* name = CB ? "sfdst_a" : "sfdst_s";
    int in = open("sfsrc", O_RDONLY);
    int out = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(R(uv_fs_sendfile(&loop, &req, out, in, 4, 8, CB), &req), 8);
    uv_fs_req_cleanup(&req);
    /* the source position is not used or moved */
    assert_int_equal(lseek(in, 0, SEEK_CUR), 0);
    /* past the end: a short count, then 0 */
    assert_int_equal(R(uv_fs_sendfile(&loop, &req, out, in, 12, 100, CB), &req), 4);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_sendfile(&loop, &req, out, in, 16, 100, CB), &req), 0);
    uv_fs_req_cleanup(&req);
    close(in);
    close(out);
    assert_int_equal(get(name, buf, sizeof buf), 12);
    assert_string_equal(buf, "456789abcdef");
  }
}

/* sendfile into a pipe (sendfile proper), and from a closed fd */
static void test_fs_sendfile_pipe(void** state) {
  (void)state;
  uv_fs_t req;
  int p[2];
  char buf[16] = {0};
  put("sfp", "hello pipe");
  assert_int_equal(pipe(p), 0);
  EACH_MODE {
    int in = open("sfp", O_RDONLY);
    assert_int_equal(R(uv_fs_sendfile(&loop, &req, p[1], in, 6, 4, CB), &req), 4);
    uv_fs_req_cleanup(&req);
    assert_int_equal(read(p[0], buf, sizeof buf), 4);
    assert_memory_equal(buf, "pipe", 4);
    close(in);
    assert_int_equal(R(uv_fs_sendfile(&loop, &req, p[1], in, 0, 4, CB), &req), UV_EBADF);
    uv_fs_req_cleanup(&req);
  }
  close(p[0]);
  close(p[1]);
}

/* ---- the request and the loop ------------------------------------------------- */

/* follows libuv test-fs.c (uv_fs_get_* accessors) */
static void test_fs_get_accessors(void** state) {
  (void)state;
  uv_fs_t req;
  put("acc", "x");
  assert_int_equal(uv_fs_stat(&loop, &req, "acc", done_cb), 0);
  assert_int_equal(uv_fs_get_type(&req), UV_FS_STAT);
  assert_int_equal(uv_req_get_type((uv_req_t*)&req), UV_FS);
  assert_string_equal(uv_fs_get_path(&req), "acc");
  assert_ptr_equal(req.loop, &loop);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(uv_fs_get_result(&req), 0);
  assert_ptr_equal(uv_fs_get_ptr(&req), &req.statbuf);
  assert_int_equal(uv_fs_get_system_error(&req), 0);
  assert_int_equal(uv_fs_get_statbuf(&req)->st_size, 1);
  uv_fs_req_cleanup(&req);
  assert_null(uv_fs_get_path(&req));
  assert_null(uv_fs_get_ptr(&req));
  /* a sync request keeps the caller's path */
  const char* mine = "acc";
  assert_int_equal(uv_fs_stat(NULL, &req, mine, NULL), 0);
  assert_ptr_equal(uv_fs_get_path(&req), mine);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_stat(NULL, &req, "missing", NULL), UV_ENOENT);
  assert_int_equal(uv_fs_get_system_error(&req), ENOENT);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_get_osfhandle(5), 5);
  assert_int_equal(uv_open_osfhandle(7), 7);
}

/* an async copy of the path: the caller's buffer may change right away */
static void test_fs_async_path_copied(void** state) {
  (void)state;
  uv_fs_t req;
  char name[16];
  strcpy(name, "copied");
  put("copied", "x");
  assert_int_equal(uv_fs_stat(&loop, &req, name, done_cb), 0);
  strcpy(name, "XXXXXX");
  assert_ptr_not_equal(req.path, name);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(req.result, 0);
  assert_string_equal(req.path, "copied");
  uv_fs_req_cleanup(&req);
  /* two paths */
  strcpy(name, "copied");
  assert_int_equal(uv_fs_rename(&loop, &req, name, "moved", done_cb), 0);
  strcpy(name, "XXXXXX");
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(req.result, 0);
  assert_true(exists("moved"));
  uv_fs_req_cleanup(&req);
}

/* a pending request keeps the loop alive and the loop cannot close */
static void test_fs_req_keeps_loop_alive(void** state) {
  (void)state;
  uv_fs_t req;
  put("alive", "x");
  cb_calls = 0;
  assert_int_equal(uv_fs_stat(&loop, &req, "alive", done_cb), 0);
  assert_int_equal(uv_loop_alive(&loop), 1);
  assert_int_equal(uv_loop_close(&loop), UV_EBUSY);
  assert_int_equal(cb_calls, 0); /* never from inside the call */
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(cb_calls, 1);
  assert_int_equal(uv_loop_alive(&loop), 0);
  uv_fs_req_cleanup(&req);
}

static int phase_prepare, phase_check, seen_prepare, seen_check;
static void on_prepare(uv_prepare_t* h) { (void)h, phase_prepare++; }
static void on_check(uv_check_t* h) { (void)h, phase_check++; }
static void phase_cb(uv_fs_t* req) {
  (void)req;
  seen_prepare = phase_prepare;
  seen_check = phase_check;
  cb_calls++;
}

/* the callback runs in the poll phase: after prepare, before check */
static void test_fs_cb_in_poll_phase(void** state) {
  (void)state;
  uv_prepare_t prep;
  uv_check_t chk;
  uv_fs_t req;
  put("phase", "x");
  phase_prepare = phase_check = 0;
  cb_calls = 0;
  assert_int_equal(uv_prepare_init(&loop, &prep), 0);
  assert_int_equal(uv_check_init(&loop, &chk), 0);
  assert_int_equal(uv_prepare_start(&prep, on_prepare), 0);
  assert_int_equal(uv_check_start(&chk, on_check), 0);
  uv_unref((uv_handle_t*)&prep);
  uv_unref((uv_handle_t*)&chk);
  assert_int_equal(uv_fs_stat(&loop, &req, "phase", phase_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(cb_calls, 1);
  assert_true(seen_prepare >= 1);
  assert_int_equal(seen_check, seen_prepare - 1);
  uv_fs_req_cleanup(&req);
  uv_close((uv_handle_t*)&prep, NULL);
  uv_close((uv_handle_t*)&chk, NULL);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0); /* the handles live on this stack */
}

/* UV_RUN_ONCE waits for the request and runs its callback */
static void test_fs_run_once(void** state) {
  (void)state;
  uv_fs_t req;
  put("once", "x");
  cb_calls = 0;
  assert_int_equal(uv_fs_open(&loop, &req, "once", O_RDONLY, 0, done_cb), 0);
  while (cb_calls == 0) uv_run(&loop, UV_RUN_ONCE);
  assert_true(req.result >= 0);
  close((int)req.result);
  uv_fs_req_cleanup(&req);
}

/* the same request used again from its own callback (libuv's read loop idiom) */
static uv_fs_t chain_req;
static int chain_fd, chain_steps;
static char chain_buf[4];
static uv_buf_t chain_iov;
static void chain_read_cb(uv_fs_t* req) {
  assert_ptr_equal(req, &chain_req);
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n > 0) {
    chain_steps++;
    assert_int_equal(uv_fs_read(&loop, &chain_req, chain_fd, &chain_iov, 1, -1, chain_read_cb), 0);
  } else {
    assert_int_equal(n, 0);
  }
}

static void test_fs_req_reuse_in_cb(void** state) {
  (void)state;
  put("chain", "0123456789"); /* 3 + 3 + 3 + 1 */
  chain_fd = open("chain", O_RDONLY);
  chain_steps = 0;
  chain_iov = uv_buf_init(chain_buf, 3);
  assert_int_equal(uv_fs_read(&loop, &chain_req, chain_fd, &chain_iov, 1, -1, chain_read_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(chain_steps, 4);
  close(chain_fd);
}

/* many requests in flight at once, each with its own file: every callback
 * runs once with its own result */
enum { MANY = 96 };
static uv_fs_t many_req[MANY];
static int many_done[MANY];
static void many_cb(uv_fs_t* req) {
  int i = (int)(req - many_req);
  many_done[i]++;
}

static void test_fs_many_in_flight(void** state) {
  (void)state;
  char name[32];
  int fds[MANY];
  static char data[MANY][16];
  memset(many_done, 0, sizeof many_done);
  for (int i = 0; i < MANY; i++) {
    snprintf(name, sizeof name, "many%d", i);
    assert_int_equal(uv_fs_open(&loop, &many_req[i], name, O_RDWR | O_CREAT, 0644, many_cb), 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (int i = 0; i < MANY; i++) {
    assert_int_equal(many_done[i], 1);
    assert_true(many_req[i].result >= 0);
    fds[i] = (int)many_req[i].result;
    uv_fs_req_cleanup(&many_req[i]);
  }
  for (int i = 0; i < MANY; i++) {
    snprintf(data[i], sizeof data[i], "file %d", i);
    uv_buf_t iov = uv_buf_init(data[i], (unsigned)strlen(data[i]));
    assert_int_equal(uv_fs_write(&loop, &many_req[i], fds[i], &iov, 1, 0, many_cb), 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (int i = 0; i < MANY; i++) {
    assert_int_equal(many_done[i], 2);
    assert_int_equal(many_req[i].result, (ssize_t)strlen(data[i]));
    uv_fs_req_cleanup(&many_req[i]);
    assert_int_equal(uv_fs_close(&loop, &many_req[i], fds[i], many_cb), 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (int i = 0; i < MANY; i++) {
    assert_int_equal(many_done[i], 3);
    assert_int_equal(many_req[i].result, 0);
    uv_fs_req_cleanup(&many_req[i]);
    char buf[32];
    snprintf(name, sizeof name, "many%d", i);
    assert_int_equal(get(name, buf, sizeof buf), (ssize_t)strlen(data[i]));
    assert_string_equal(buf, data[i]);
  }
}

/* many kinds of requests at once, pool and ring mixed */
static void test_fs_mixed_in_flight(void** state) {
  (void)state;
  uv_fs_t r[8];
  put("mix", "mixed");
  assert_int_equal(symlink("mix", "mixlink"), 0);
  cb_calls = 0;
  assert_int_equal(uv_fs_stat(&loop, &r[0], "mix", done_cb), 0);
  assert_int_equal(uv_fs_readlink(&loop, &r[1], "mixlink", done_cb), 0);
  assert_int_equal(uv_fs_access(&loop, &r[2], "mix", R_OK, done_cb), 0);
  assert_int_equal(uv_fs_mkdir(&loop, &r[3], "mixdir", 0755, done_cb), 0);
  assert_int_equal(uv_fs_realpath(&loop, &r[4], "mixlink", done_cb), 0);
  assert_int_equal(uv_fs_copyfile(&loop, &r[5], "mix", "mixcopy", 0, done_cb), 0);
  assert_int_equal(uv_fs_lstat(&loop, &r[6], "mixlink", done_cb), 0);
  assert_int_equal(uv_fs_statfs(&loop, &r[7], ".", done_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(cb_calls, 8);
  for (int i = 0; i < 8; i++) {
    assert_int_equal(r[i].result, 0);
    uv_fs_req_cleanup(&r[i]);
  }
  assert_true(same_content("mix", "mixcopy"));
}

/* follows libuv test-threadpool-cancel.c fs_cancel: requests still queued
 * behind a busy pool can be cancelled; their callbacks get UV_ECANCELED.
 * The pool is kept busy by copyfiles from FIFOs nobody writes (open(2)
 * blocks until a writer appears); opening each FIFO O_RDWR lets them go. */
enum { BLOCKERS = 8, VICTIMS = 6 };
static int cancel_seen, blocker_seen;
static void cancelled_cb(uv_fs_t* req) {
  assert_int_equal(req->result, UV_ECANCELED);
  assert_null(req->ptr);
  cancel_seen++;
  uv_fs_req_cleanup(req);
}
static void blocker_cb(uv_fs_t* req) {
  assert_int_equal(req->result, 0);
  blocker_seen++;
  uv_fs_req_cleanup(req);
}

static void test_fs_cancel_queued(void** state) {
  (void)state;
  uv_fs_t blockers[BLOCKERS], victims[VICTIMS];
  int writers[BLOCKERS];
  char fifo[32], copy[32];
  put("victim", "x");
  cancel_seen = blocker_seen = 0;
  for (int i = 0; i < BLOCKERS; i++) {
    snprintf(fifo, sizeof fifo, "fifo%d", i);
    snprintf(copy, sizeof copy, "fifocopy%d", i);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(uv_fs_copyfile(&loop, &blockers[i], fifo, copy, 0, blocker_cb), 0);
  }
  assert_int_equal(uv_fs_access(&loop, &victims[0], "victim", F_OK, cancelled_cb), 0);
  assert_int_equal(uv_fs_chmod(&loop, &victims[1], "victim", 0600, cancelled_cb), 0);
  assert_int_equal(uv_fs_readlink(&loop, &victims[2], "victim", cancelled_cb), 0);
  assert_int_equal(uv_fs_realpath(&loop, &victims[3], "victim", cancelled_cb), 0);
  assert_int_equal(uv_fs_scandir(&loop, &victims[4], ".", 0, cancelled_cb), 0);
  assert_int_equal(uv_fs_copyfile(&loop, &victims[5], "victim", "victim2", 0, cancelled_cb), 0);
  /* (libuv answers a second uv_cancel of the same request with 0 and then
   * runs its callback twice: not a case to test) */
  int rc[VICTIMS];
  for (int i = 0; i < VICTIMS; i++) rc[i] = uv_cancel((uv_req_t*)&victims[i]);
  /* let the pool go before asserting anything: the loop must drain */
  for (int i = 0; i < BLOCKERS; i++) {
    snprintf(fifo, sizeof fifo, "fifo%d", i);
    writers[i] = open(fifo, O_RDWR);
    assert_true(writers[i] >= 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (int i = 0; i < BLOCKERS; i++) close(writers[i]);
  for (int i = 0; i < VICTIMS; i++) assert_int_equal(rc[i], 0);
  assert_int_equal(cancel_seen, VICTIMS);
  assert_int_equal(blocker_seen, BLOCKERS);
  assert_false(exists("victim2"));
  struct stat sb;
  assert_int_equal(stat("victim", &sb), 0);
  assert_int_equal(sb.st_mode & 0777, 0644); /* the chmod never ran */
}

/* follows libuv test-threadpool-cancel.c fs_cancel, one step further: the
 * UV_ECANCELED callback comes on the next loop turn while every pool thread
 * is still blocked (review fs_cancel_delay), and the request may be freed
 * in it: nothing touches it when a pool thread later drops the job. */
static int cancel_guard_fired;
static void on_cancel_guard(uv_timer_t* t) {
  (void)t;
  cancel_guard_fired = 1;
}
static void cancelled_free_cb(uv_fs_t* req) {
  assert_int_equal(req->result, UV_ECANCELED);
  cancel_seen++;
  uv_fs_req_cleanup(req);
  memset(req, 0xAB, sizeof *req); /* what a freed and reused request looks like */
  free(req);
}

static void test_fs_cancel_reported_while_pool_busy(void** state) {
  (void)state;
  uv_fs_t blockers[BLOCKERS];
  uv_timer_t guard;
  int writers[BLOCKERS];
  char fifo[32], copy[32];
  cancel_seen = blocker_seen = cancel_guard_fired = 0;
  for (int i = 0; i < BLOCKERS; i++) {
    snprintf(fifo, sizeof fifo, "fifo%d", i);
    snprintf(copy, sizeof copy, "fifocopy%d", i);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(uv_fs_copyfile(&loop, &blockers[i], fifo, copy, 0, blocker_cb), 0);
  }
  uv_fs_t* victim = malloc(sizeof *victim);
  assert_non_null(victim);
  assert_int_equal(uv_fs_scandir(&loop, victim, ".", 0, cancelled_free_cb), 0);
  assert_int_equal(uv_cancel((uv_req_t*)victim), 0);
  assert_int_equal(uv_timer_init(&loop, &guard), 0);
  assert_int_equal(uv_timer_start(&guard, on_cancel_guard, 5000, 0), 0);
  while (cancel_seen == 0 && !cancel_guard_fired) uv_run(&loop, UV_RUN_ONCE);
  int seen_while_busy = cancel_seen;
  uv_close((uv_handle_t*)&guard, NULL);
  for (int i = 0; i < BLOCKERS; i++) {
    snprintf(fifo, sizeof fifo, "fifo%d", i);
    writers[i] = open(fifo, O_RDWR);
    assert_true(writers[i] >= 0);
  }
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  for (int i = 0; i < BLOCKERS; i++) close(writers[i]);
  assert_int_equal(seen_while_busy, 1);
  assert_int_equal(cancel_seen, 1);
  assert_int_equal(blocker_seen, BLOCKERS);
}

/* a finished request cannot be cancelled (libuv reads the loop of the
 * request, so a sync one is not a case to try) */
static void test_fs_cancel_done(void** state) {
  (void)state;
  uv_fs_t req;
  put("done", "x");
  assert_int_equal(uv_fs_access(&loop, &req, "done", F_OK, done_cb), 0);
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(req.result, 0);
  assert_int_equal(uv_cancel((uv_req_t*)&req), UV_EBUSY);
  uv_fs_req_cleanup(&req);
}

/* sync calls from another thread while the loop thread works */
static int sync_worker_failed;
static int sync_worker_body(void);
static void sync_worker(void* arg) {
  (void)arg;
  sync_worker_failed = sync_worker_body();
}
static int sync_worker_body(void) {
  uv_fs_t req;
  char name[32];
  for (int i = 0; i < 50; i++) {
    snprintf(name, sizeof name, "thr%d", i);
    int fd = uv_fs_open(NULL, &req, name, O_WRONLY | O_CREAT, 0644, NULL);
    uv_fs_req_cleanup(&req);
    if (fd < 0) return 1;
    uv_buf_t iov = uv_buf_init("t", 1);
    if (uv_fs_write(NULL, &req, fd, &iov, 1, -1, NULL) != 1) return 1;
    uv_fs_req_cleanup(&req);
    uv_fs_close(NULL, &req, fd, NULL);
    uv_fs_req_cleanup(&req);
    if (uv_fs_unlink(NULL, &req, name, NULL) != 0) return 1;
    uv_fs_req_cleanup(&req);
  }
  return 0;
}

static void test_fs_sync_from_other_thread(void** state) {
  (void)state;
  uv_thread_t t;
  uv_fs_t req[4];
  put("busy", "x");
  assert_int_equal(uv_thread_create(&t, sync_worker, NULL), 0);
  for (int round = 0; round < 10; round++) {
    cb_calls = 0;
    for (int i = 0; i < 4; i++) assert_int_equal(uv_fs_stat(&loop, &req[i], "busy", done_cb), 0);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(cb_calls, 4);
    for (int i = 0; i < 4; i++) uv_fs_req_cleanup(&req[i]);
  }
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(sync_worker_failed, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_fs_file_noent),
      T(test_fs_file_nametoolong),
      T(test_fs_file_loop),
      T(test_fs_file_sync),
      T(test_fs_file_async),
      T(test_fs_file_write_null_buffer),
      T(test_fs_read_write_null_arguments),
      T(test_fs_null_req),
      T(test_fs_open_flags),
      T(test_fs_open_mode),
      T(test_fs_open_cloexec),
      T(test_fs_close_bad_fd),
      T(test_fs_open_emfile),
      T(test_fs_read_bufs),
      T(test_fs_write_multiple_bufs),
      T(test_fs_write_alotof_bufs),
      T(test_fs_write_alotof_bufs_with_offset),
      T(test_fs_read_alotof_bufs),
      T(test_fs_long_path),
      T(test_fs_read_offset_minus_one),
      T(test_fs_readv_offset_minus_one),
      T(test_fs_write_offset_minus_one),
      T(test_fs_read_file_eof),
      T(test_fs_read_dir),
      T(test_fs_read_write_bad_fd),
      T(test_fs_write_large),
      T(test_fs_pipe_io),
      T(test_fs_mkdtemp),
      T(test_fs_mkdtemp_bad_template),
      T(test_fs_mkstemp),
      T(test_fs_mkstemp_bad_template),
      T(test_fs_stat_missing_path),
      T(test_fs_stat_file),
      T(test_fs_stat_sync_async_equal),
      T(test_fs_fstat),
      T(test_fs_lstat),
      T(test_fs_stat_root),
      T(test_fs_stat_enotdir),
      T(test_fs_statfs),
      T(test_fs_chmod),
      T(test_fs_chown),
      T(test_fs_access),
      T(test_fs_fsync_fdatasync),
      T(test_fs_ftruncate),
      T(test_fs_utime),
      T(test_fs_futime),
      T(test_fs_lutime),
      T(test_fs_link),
      T(test_fs_symlink),
      T(test_fs_readlink),
      T(test_fs_realpath),
      T(test_fs_rename_to_existing_file),
      T(test_fs_rename_errors),
      T(test_fs_mkdir_rmdir),
      T(test_fs_unlink_errors),
      T(test_fs_copyfile),
      T(test_fs_copyfile_excl),
      T(test_fs_copyfile_same_file),
      T(test_fs_copyfile_errors),
      T(test_fs_copyfile_ficlone),
      T(test_fs_sendfile),
      T(test_fs_sendfile_pipe),
      T(test_fs_get_accessors),
      T(test_fs_async_path_copied),
      T(test_fs_req_keeps_loop_alive),
      T(test_fs_cb_in_poll_phase),
      T(test_fs_run_once),
      T(test_fs_req_reuse_in_cb),
      T(test_fs_many_in_flight),
      T(test_fs_mixed_in_flight),
      T(test_fs_cancel_queued),
      T(test_fs_cancel_reported_while_pool_busy),
      T(test_fs_cancel_done),
      T(test_fs_sync_from_other_thread),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
