/* uv_fs_scandir / uv_fs_scandir_next and uv_fs_opendir / readdir / closedir.
 * Each case runs in its own directory under /tmp (removed afterwards), in
 * its sync form (cb == NULL) and its async form. */
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

static int exists(const char* name) {
  struct stat sb;
  return lstat(name, &sb) == 0;
}



static void make_tree(void) {
  put("b_file", "x");
  assert_int_equal(mkdir("a_dir", 0755), 0);
  assert_int_equal(symlink("b_file", "c_link"), 0);
  assert_int_equal(mkfifo("d_fifo", 0644), 0);
}

/* follows libuv test-fs.c fs_scandir_empty_dir */
static void test_fs_scandir_empty_dir(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ent;
  assert_int_equal(mkdir("empty", 0755), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_scandir(&loop, &req, "empty", 0, CB), &req), 0);
    assert_null(req.ptr);
    assert_int_equal(uv_fs_scandir_next(&req, &ent), UV_EOF);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_scandir_non_existent_dir */
static void test_fs_scandir_non_existent_dir(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ent;
  EACH_MODE {
    assert_int_equal(R(uv_fs_scandir(&loop, &req, "missing", 0, CB), &req), UV_ENOENT);
    assert_null(req.ptr);
    assert_int_equal(uv_fs_scandir_next(&req, &ent), UV_ENOENT);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs.c fs_scandir_file */
static void test_fs_scandir_file(void** state) {
  (void)state;
  uv_fs_t req;
  put("afile", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_scandir(&loop, &req, "afile", 0, CB), &req), UV_ENOTDIR);
    uv_fs_req_cleanup(&req);
  }
}

/* entries sorted by name, without . and .., with their types */
static void test_fs_scandir_entries(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ent;
  static const char* names[] = {"a_dir", "b_file", "c_link", "d_fifo"};
  static const uv_dirent_type_t types[] = {UV_DIRENT_DIR, UV_DIRENT_FILE, UV_DIRENT_LINK, UV_DIRENT_FIFO};
  make_tree();
  EACH_MODE {
    assert_int_equal(R(uv_fs_scandir(&loop, &req, ".", 0, CB), &req), 4);
    assert_non_null(req.ptr);
    for (int i = 0; i < 4; i++) {
      assert_int_equal(uv_fs_scandir_next(&req, &ent), 0);
      assert_string_equal(ent.name, names[i]);
      assert_int_equal(ent.type, types[i]);
    }
    assert_int_equal(uv_fs_scandir_next(&req, &ent), UV_EOF);
    assert_null(req.ptr);
    assert_int_equal(uv_fs_scandir_next(&req, &ent), UV_EOF);
    uv_fs_req_cleanup(&req);
  }
}

/* cleanup in the middle of a listing frees the rest (the leak checker
 * watches this one) */
static void test_fs_scandir_early_cleanup(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ent;
  make_tree();
  EACH_MODE {
    assert_int_equal(R(uv_fs_scandir(&loop, &req, ".", 0, CB), &req), 4);
    uv_fs_req_cleanup(&req); /* none taken */
    assert_null(req.ptr);
    assert_int_equal(R(uv_fs_scandir(&loop, &req, ".", 0, CB), &req), 4);
    assert_int_equal(uv_fs_scandir_next(&req, &ent), 0);
    assert_int_equal(uv_fs_scandir_next(&req, &ent), 0);
    assert_string_equal(ent.name, "b_file");
    uv_fs_req_cleanup(&req); /* two taken */
    assert_null(req.ptr);
  }
}

/* a big directory, every name once, in order */
static void test_fs_scandir_many(void** state) {
  (void)state;
  enum { N = 300 };
  uv_fs_t req;
  uv_dirent_t ent;
  char name[32];
  assert_int_equal(mkdir("big", 0755), 0);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof name, "big/f%04d", i);
    put(name, "");
  }
  EACH_MODE {
    assert_int_equal(R(uv_fs_scandir(&loop, &req, "big", 0, CB), &req), N);
    for (int i = 0; i < N; i++) {
      assert_int_equal(uv_fs_scandir_next(&req, &ent), 0);
      snprintf(name, sizeof name, "f%04d", i);
      assert_string_equal(ent.name, name);
    }
    assert_int_equal(uv_fs_scandir_next(&req, &ent), UV_EOF);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs-readdir.c fs_readdir_empty_dir */
static void test_fs_readdir_empty_dir(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ents[2];
  assert_int_equal(mkdir("empty", 0755), 0);
  EACH_MODE {
    assert_int_equal(R(uv_fs_opendir(&loop, &req, "empty", CB), &req), 0);
    uv_dir_t* dir = req.ptr;
    assert_non_null(dir);
    uv_fs_req_cleanup(&req);
    assert_null(req.ptr);
    dir->dirents = ents;
    dir->nentries = 2;
    assert_int_equal(R(uv_fs_readdir(&loop, &req, dir, CB), &req), 0);
    assert_ptr_equal(req.ptr, dir);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_closedir(&loop, &req, dir, CB), &req), 0);
    assert_null(req.ptr);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs-readdir.c fs_readdir_non_existing_dir */
static void test_fs_readdir_non_existing_dir(void** state) {
  (void)state;
  uv_fs_t req;
  EACH_MODE {
    assert_int_equal(R(uv_fs_opendir(&loop, &req, "missing", CB), &req), UV_ENOENT);
    assert_null(req.ptr);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs-readdir.c fs_readdir_file */
static void test_fs_readdir_file(void** state) {
  (void)state;
  uv_fs_t req;
  put("afile", "x");
  EACH_MODE {
    assert_int_equal(R(uv_fs_opendir(&loop, &req, "afile", CB), &req), UV_ENOTDIR);
    assert_null(req.ptr);
    uv_fs_req_cleanup(&req);
  }
}

static int cmp_names(const void* a, const void* b) { return strcmp(*(const char* const*)a, *(const char* const*)b); }

/* follows libuv test-fs-readdir.c fs_readdir_non_empty_dir: chunks of two,
 * every entry once, names freed by uv_fs_req_cleanup */
static void test_fs_readdir_non_empty_dir(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ents[2];
  make_tree();
  EACH_MODE {
    const char* seen[8];
    uv_dirent_type_t seen_type[8];
    int n = 0;
    assert_int_equal(R(uv_fs_opendir(&loop, &req, ".", CB), &req), 0);
    uv_dir_t* dir = req.ptr;
    uv_fs_req_cleanup(&req);
    dir->dirents = ents;
    dir->nentries = 2;
    for (;;) {
      ssize_t got = R(uv_fs_readdir(&loop, &req, dir, CB), &req);
      assert_true(got >= 0 && got <= 2);
      if (got == 0) {
        uv_fs_req_cleanup(&req);
        break;
      }
      for (int i = 0; i < got; i++) {
        assert_true(n < 8);
        seen[n] = strdup(ents[i].name);
        seen_type[n] = ents[i].type;
        n++;
      }
      uv_fs_req_cleanup(&req);
      assert_null(ents[0].name); /* freed and cleared */
    }
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++) {
      if (strcmp(seen[i], "a_dir") == 0) assert_int_equal(seen_type[i], UV_DIRENT_DIR);
      if (strcmp(seen[i], "b_file") == 0) assert_int_equal(seen_type[i], UV_DIRENT_FILE);
      if (strcmp(seen[i], "c_link") == 0) assert_int_equal(seen_type[i], UV_DIRENT_LINK);
      if (strcmp(seen[i], "d_fifo") == 0) assert_int_equal(seen_type[i], UV_DIRENT_FIFO);
    }
    qsort(seen, (size_t)n, sizeof seen[0], cmp_names);
    assert_string_equal(seen[0], "a_dir");
    assert_string_equal(seen[3], "d_fifo");
    for (int i = 0; i < n; i++) free((void*)seen[i]);
    assert_int_equal(R(uv_fs_closedir(&loop, &req, dir, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs-readdir.c: closing a directory mid-listing */
static void test_fs_readdir_close_early(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ents[1];
  make_tree();
  EACH_MODE {
    assert_int_equal(R(uv_fs_opendir(&loop, &req, ".", CB), &req), 0);
    uv_dir_t* dir = req.ptr;
    uv_fs_req_cleanup(&req);
    dir->dirents = ents;
    dir->nentries = 1;
    assert_int_equal(R(uv_fs_readdir(&loop, &req, dir, CB), &req), 1);
    uv_fs_req_cleanup(&req);
    assert_int_equal(R(uv_fs_closedir(&loop, &req, dir, CB), &req), 0);
    uv_fs_req_cleanup(&req);
  }
}

/* follows libuv test-fs-readdir.c (argument checks): no entry buffer, no dir */
static void test_fs_readdir_null_args(void** state) {
  (void)state;
  uv_fs_t req;
  assert_int_equal(uv_fs_opendir(NULL, &req, ".", NULL), 0);
  uv_dir_t* dir = req.ptr;
  uv_fs_req_cleanup(&req);
  dir->dirents = NULL;
  dir->nentries = 0;
  assert_int_equal(uv_fs_readdir(NULL, &req, dir, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_readdir(&loop, &req, dir, done_cb), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_readdir(NULL, &req, NULL, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_closedir(NULL, &req, NULL, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  assert_int_equal(uv_fs_closedir(NULL, &req, dir, NULL), 0);
  uv_fs_req_cleanup(&req);
  cb_calls = 0;
  assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
  assert_int_equal(cb_calls, 0);
}

/* follows libuv test-fs.c fs_async_dir: mkdir, files, scandir, stat,
 * unlink, rmdir, all async */
static void test_fs_async_dir(void** state) {
  (void)state;
  uv_fs_t req;
  uv_dirent_t ent;
  CB = done_cb;
  assert_int_equal(R(uv_fs_mkdir(&loop, &req, "test_dir", 0755, CB), &req), 0);
  uv_fs_req_cleanup(&req);
  ssize_t fd = R(uv_fs_open(&loop, &req, "test_dir/file1", O_WRONLY | O_CREAT, 0644, CB), &req);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_close(&loop, &req, (uv_file)fd, CB), &req), 0);
  uv_fs_req_cleanup(&req);
  fd = R(uv_fs_open(&loop, &req, "test_dir/file2", O_WRONLY | O_CREAT, 0644, CB), &req);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_close(&loop, &req, (uv_file)fd, CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_scandir(&loop, &req, "test_dir", 0, CB), &req), 2);
  assert_int_equal(uv_fs_scandir_next(&req, &ent), 0);
  assert_string_equal(ent.name, "file1");
  assert_int_equal(uv_fs_scandir_next(&req, &ent), 0);
  assert_string_equal(ent.name, "file2");
  assert_int_equal(uv_fs_scandir_next(&req, &ent), UV_EOF);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_stat(&loop, &req, "test_dir", CB), &req), 0);
  assert_true(S_ISDIR(req.statbuf.st_mode));
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_lstat(&loop, &req, "test_dir", CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_unlink(&loop, &req, "test_dir/file1", CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_unlink(&loop, &req, "test_dir/file2", CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_int_equal(R(uv_fs_rmdir(&loop, &req, "test_dir", CB), &req), 0);
  uv_fs_req_cleanup(&req);
  assert_false(exists("test_dir"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_fs_scandir_empty_dir),
      T(test_fs_scandir_non_existent_dir),
      T(test_fs_scandir_file),
      T(test_fs_scandir_entries),
      T(test_fs_scandir_early_cleanup),
      T(test_fs_scandir_many),
      T(test_fs_readdir_empty_dir),
      T(test_fs_readdir_non_existing_dir),
      T(test_fs_readdir_file),
      T(test_fs_readdir_non_empty_dir),
      T(test_fs_readdir_close_early),
      T(test_fs_readdir_null_args),
      T(test_fs_async_dir),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
