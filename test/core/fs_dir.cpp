// Path operations: mkdir/rmdir, unlink, rename, hard links, symlinks, and
// read_dir (getdents64 on the blocking pool over a directory fd opened through
// the ring). Backend-neutral (VELOQ_BACKEND=uring|epoll).
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "core/fs/fs.hpp"
#include "core/runtime/worker.hpp"
#include "support/fs_helpers.hpp"

using namespace veloq;
using veloq::test::TempDir;
namespace vfs = veloq::fs;

namespace {

template <class T>
std::string errstr(const Result<T>& r) {
  return r ? std::string("ok") : r.error().message();
}
template <class T>
int errno_of(const Result<T>& r) {
  return r ? 0 : r.error().value();
}

template <class T>
void run(Task<T> t) {
  Worker w;
  w.block_on(std::move(t));
  cr_assert_eq(w.ops().live(), 0u, "op slots leaked: %zu", w.ops().live());
}

bool exists(const std::string& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0;
}

Task<void> mkdir_rmdir(std::string base) {
  const std::string d = base + "/sub";
  ::umask(022);
  Result<void> r = co_await vfs::create_dir(d, 0750);
  cr_assert(r, "create_dir: %s", errstr(r).c_str());
  Result<vfs::Metadata> md = co_await vfs::metadata(d);
  cr_assert(md);
  cr_assert(md->is_dir());
  cr_assert_eq(md->permissions(), 0750u);
  r = co_await vfs::create_dir(d);
  cr_assert_eq(errno_of(r), EEXIST);
  r = co_await vfs::create_dir(base + "/no/parent");
  cr_assert_eq(errno_of(r), ENOENT);

  // Not empty -> ENOTEMPTY; a file is not a dir and a dir is not a file.
  const std::string f = d + "/file";
  Result<void> w = co_await vfs::write(f, std::string_view("data"));
  cr_assert(w);
  r = co_await vfs::remove_dir(d);
  cr_assert_eq(errno_of(r), ENOTEMPTY);
  r = co_await vfs::remove_dir(f);
  cr_assert_eq(errno_of(r), ENOTDIR);
  r = co_await vfs::remove_file(d);
  cr_assert_eq(errno_of(r), EISDIR);

  r = co_await vfs::remove_file(f);
  cr_assert(r, "remove_file: %s", errstr(r).c_str());
  cr_assert(!exists(f));
  r = co_await vfs::remove_file(f);
  cr_assert_eq(errno_of(r), ENOENT);
  r = co_await vfs::remove_dir(d);
  cr_assert(r, "remove_dir: %s", errstr(r).c_str());
  cr_assert(!exists(d));
  md = co_await vfs::metadata(d);
  cr_assert_eq(errno_of(md), ENOENT);
  r = co_await vfs::remove_dir(d);
  cr_assert_eq(errno_of(r), ENOENT);
}

Task<void> rename_cases(std::string base) {
  const std::string a = base + "/a", b = base + "/b", c = base + "/c";
  cr_assert(co_await vfs::write(a, std::string_view("AAA")));
  cr_assert(co_await vfs::write(c, std::string_view("CCC")));
  Result<void> r = co_await vfs::rename(a, b);
  cr_assert(r, "rename: %s", errstr(r).c_str());
  cr_assert(!exists(a));
  Result<std::string> got = co_await vfs::read_to_end(b);
  cr_assert_eq(*got, "AAA");
  r = co_await vfs::rename(a, b);
  cr_assert_eq(errno_of(r), ENOENT);

  // NOREPLACE refuses an existing target; plain rename replaces it.
  r = co_await vfs::rename(b, c, RENAME_NOREPLACE);
  cr_assert_eq(errno_of(r), EEXIST);
  got = co_await vfs::read_to_end(c);
  cr_assert_eq(*got, "CCC");
  r = co_await vfs::rename(b, c, RENAME_EXCHANGE);
  cr_assert(r, "rename exchange: %s", errstr(r).c_str());
  got = co_await vfs::read_to_end(c);
  cr_assert_eq(*got, "AAA");
  got = co_await vfs::read_to_end(b);
  cr_assert_eq(*got, "CCC");
  r = co_await vfs::rename(b, c);
  cr_assert(r);
  got = co_await vfs::read_to_end(c);
  cr_assert_eq(*got, "CCC");
  cr_assert(!exists(b));

  // A directory cannot replace a file.
  cr_assert(co_await vfs::create_dir(base + "/dir"));
  r = co_await vfs::rename(base + "/dir", c);
  cr_assert_eq(errno_of(r), ENOTDIR);
}

// Two paths longer than the op's inline storage: both must survive (they are
// laid out in one op-owned block).
Task<void> long_paths(std::string base) {
  const std::string d1 = base + "/" + std::string(200, 'x');
  const std::string d2 = d1 + "/" + std::string(200, 'y');
  cr_assert(co_await vfs::create_dir(d1));
  cr_assert(co_await vfs::create_dir(d2));
  const std::string from = d2 + "/" + std::string(180, 'f');
  const std::string to = d2 + "/" + std::string(180, 't');
  cr_assert_gt(from.size(), 500u);
  cr_assert(co_await vfs::write(from, std::string_view("long")));
  Result<void> r = co_await vfs::rename(from, to);
  cr_assert(r, "rename long: %s", errstr(r).c_str());
  cr_assert(!exists(from));
  cr_assert(exists(to));
  r = co_await vfs::hard_link(to, from);
  cr_assert(r, "link long: %s", errstr(r).c_str());
  Result<vfs::Metadata> md = co_await vfs::metadata(from);
  cr_assert_eq(md->nlink, 2u);
  // Too long a component.
  r = co_await vfs::create_dir(base + "/" + std::string(300, 'z'));
  cr_assert_eq(errno_of(r), ENAMETOOLONG);
  r = co_await vfs::rename(std::string("a\0b", 3), to);
  cr_assert_eq(errno_of(r), EINVAL);
  r = co_await vfs::rename(to, std::string("a\0b", 3));
  cr_assert_eq(errno_of(r), EINVAL);
}

Task<void> links(std::string base) {
  const std::string t = base + "/target", h = base + "/hard", s = base + "/soft",
                    dangling = base + "/dangling";
  cr_assert(co_await vfs::write(t, std::string_view("0123456789")));
  Result<void> r = co_await vfs::hard_link(t, h);
  cr_assert(r, "hard_link: %s", errstr(r).c_str());
  Result<vfs::Metadata> mt = co_await vfs::metadata(t);
  Result<vfs::Metadata> mh = co_await vfs::metadata(h);
  cr_assert_eq(mt->ino, mh->ino);
  cr_assert_eq(mh->nlink, 2u);
  r = co_await vfs::hard_link(t, h);
  cr_assert_eq(errno_of(r), EEXIST);
  r = co_await vfs::hard_link(base + "/missing", base + "/x");
  cr_assert_eq(errno_of(r), ENOENT);

  r = co_await vfs::symlink("target", s);  // relative to the link's directory
  cr_assert(r, "symlink: %s", errstr(r).c_str());
  char buf[64] = {};
  cr_assert_eq(::readlink(s.c_str(), buf, sizeof buf - 1), 6);
  cr_assert_str_eq(buf, "target");
  Result<vfs::Metadata> follow = co_await vfs::metadata(s);
  cr_assert(follow);
  cr_assert(follow->is_file());
  cr_assert_eq(follow->ino, mt->ino);
  cr_assert_eq(follow->size, 10u);
  Result<vfs::Metadata> self = co_await vfs::metadata(s, false);
  cr_assert(self);
  cr_assert(self->is_symlink());
  cr_assert_eq(self->size, 6u);  // a symlink's size is its target's length
  r = co_await vfs::symlink("x", s);
  cr_assert_eq(errno_of(r), EEXIST);

  r = co_await vfs::symlink(base + "/nowhere", dangling);
  cr_assert(r);
  Result<vfs::Metadata> dm = co_await vfs::metadata(dangling);
  cr_assert_eq(errno_of(dm), ENOENT);
  dm = co_await vfs::metadata(dangling, false);
  cr_assert(dm);
  cr_assert(dm->is_symlink());

  // Unlinking one name keeps the other.
  r = co_await vfs::remove_file(t);
  cr_assert(r);
  mh = co_await vfs::metadata(h);
  cr_assert_eq(mh->nlink, 1u);
  Result<std::string> got = co_await vfs::read_to_end(h);
  cr_assert_eq(*got, "0123456789");
  // Unlinking a symlink removes the link, not the target.
  r = co_await vfs::remove_file(dangling);
  cr_assert(r);
  cr_assert(!exists(dangling));
}

Task<void> create_n(std::string base, int from, int to) {
  for (int i = from; i < to; ++i) {
    Result<vfs::File> f = co_await vfs::File::create(base + "/file-" + std::to_string(i));
    cr_assert(f, "create %d: %s", i, errstr(f).c_str());
  }
}

Task<void> read_dir_1000(std::string base) {
  // Create in 4 concurrent tasks: more opens in flight at once.
  std::vector<JoinHandle<void>> hs;
  for (int k = 0; k < 4; ++k) hs.push_back(spawn_local(create_n(base, k * 250, (k + 1) * 250)));
  for (auto& h : hs) cr_assert(co_await h);
  cr_assert(co_await vfs::create_dir(base + "/subdir"));
  cr_assert(co_await vfs::symlink("file-0", base + "/link"));

  Result<std::vector<vfs::DirEntry>> es = co_await vfs::read_dir(base);
  cr_assert(es, "read_dir: %s", errstr(es).c_str());
  cr_assert_eq(es->size(), 1002u, "got %zu entries", es->size());
  std::set<std::string> names;
  for (const vfs::DirEntry& e : *es) {
    cr_assert(e.name != "." && e.name != "..");
    cr_assert(names.insert(e.name).second, "duplicate entry %s", e.name.c_str());
    if (e.name == "subdir") {
      cr_assert(e.is_dir() || e.type == DT_UNKNOWN);
    } else if (e.name == "link") {
      cr_assert(e.is_symlink() || e.type == DT_UNKNOWN);
    } else {
      cr_assert(e.is_file() || e.type == DT_UNKNOWN, "%s type %d", e.name.c_str(), e.type);
    }
  }
  for (int i = 0; i < 1000; ++i) {
    cr_assert(names.count("file-" + std::to_string(i)), "file-%d missing", i);
  }
  // Inode numbers are the real ones.
  for (const vfs::DirEntry& e : *es) {
    if (e.name.size() > 7 && e.name.compare(0, 7, "file-99") == 0) {
      Result<vfs::Metadata> md = co_await vfs::metadata(base + "/" + e.name, false);
      cr_assert_eq(md->ino, e.ino);
    }
  }

  // Remove half; the listing follows.
  for (int i = 0; i < 1000; i += 2) {
    Result<void> r = co_await vfs::remove_file(base + "/file-" + std::to_string(i));
    cr_assert(r);
  }
  es = co_await vfs::read_dir(base);
  cr_assert_eq(es->size(), 502u);
}

Task<void> read_dir_edges(std::string base) {
  Result<std::vector<vfs::DirEntry>> es = co_await vfs::read_dir(base);
  cr_assert(es);
  cr_assert(es->empty(), "fresh dir lists %zu entries", es->size());
  es = co_await vfs::read_dir(base + "/missing");
  cr_assert_eq(errno_of(es), ENOENT);
  cr_assert(co_await vfs::write(base + "/f", std::string_view("x")));
  es = co_await vfs::read_dir(base + "/f");
  cr_assert_eq(errno_of(es), ENOTDIR);
  es = co_await vfs::read_dir(std::string("a\0b", 3));
  cr_assert_eq(errno_of(es), EINVAL);
  // Long names survive the round trip.
  const std::string longname(255, 'n');
  cr_assert(co_await vfs::write(base + "/" + longname, std::string_view("y")));
  es = co_await vfs::read_dir(base);
  cr_assert_eq(es->size(), 2u);
  cr_assert(std::any_of(es->begin(), es->end(),
                        [&](const vfs::DirEntry& e) { return e.name == longname; }));
}

}  // namespace

Test(fs_dir, create_dir_remove_dir_remove_file) {
  TempDir d;
  cr_assert(d.ok());
  run(mkdir_rmdir(d.path()));
}

Test(fs_dir, rename_variants) {
  TempDir d;
  run(rename_cases(d.path()));
}

Test(fs_dir, long_paths_in_two_path_ops) {
  TempDir d;
  run(long_paths(d.path()));
}

Test(fs_dir, hard_and_symbolic_links) {
  TempDir d;
  run(links(d.path()));
}

Test(fs_dir, read_dir_lists_1000_files) {
  TempDir d;
  const size_t fds = veloq::test::count_open_fds();
  run(read_dir_1000(d.path()));
  cr_assert_eq(veloq::test::count_open_fds(), fds, "read_dir leaked directory fds");
}

Test(fs_dir, read_dir_edge_cases) {
  TempDir d;
  run(read_dir_edges(d.path()));
}
