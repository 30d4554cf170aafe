// Filesystem operations by path, through the Worker's ring (AT_FDCWD-relative:
// a relative path is resolved against the process's working directory).
//
// Each call copies its path(s) into the op, so an aborted task leaves nothing
// dangling; each returns Result<...> with a positive errno on failure. A path
// containing a NUL byte is EINVAL. read_dir has no ring opcode for getdents64
// and runs that part on the blocking pool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/fs/file.hpp"

namespace veloq::fs {

// statx(path): follows a final symlink unless `follow_symlinks` is false
// (then a symlink reports itself: is_symlink()).
Task<Result<Metadata>> metadata(std::string path, bool follow_symlinks = true);

Task<Result<void>> remove_file(std::string path);  // unlinkat(path, 0)
Task<Result<void>> remove_dir(std::string path);   // unlinkat(path, AT_REMOVEDIR): must be empty
Task<Result<void>> create_dir(std::string path, uint32_t mode = 0777);
// renameat2; flags: RENAME_NOREPLACE, RENAME_EXCHANGE, or 0.
Task<Result<void>> rename(std::string from, std::string to, uint32_t flags = 0);
// New name `link` for the existing file `target`.
Task<Result<void>> hard_link(std::string target, std::string link);
// Symlink `link` pointing at `target` (target is not resolved).
Task<Result<void>> symlink(std::string target, std::string link);

struct DirEntry {
  std::string name;   // file name only, never "." or ".."
  uint64_t ino = 0;
  uint8_t type = 0;   // DT_* from getdents64 (DT_UNKNOWN on some filesystems)

  bool is_file() const;
  bool is_dir() const;
  bool is_symlink() const;
};

// Every entry of directory `path` except "." and "..", in the order the
// filesystem returns them.
Task<Result<std::vector<DirEntry>>> read_dir(std::string path);

// The whole content of the file at `path`.
Task<Result<std::string>> read_to_end(std::string path);
// Create or truncate `path` and write `bytes` to it (then close it, reporting
// close's error). The bytes are copied when the call is made (the returned
// Task does not refer to the caller's memory).
Task<Result<void>> write(std::string path, std::span<const std::byte> bytes);
Task<Result<void>> write(std::string path, std::string_view bytes);

}  // namespace veloq::fs
