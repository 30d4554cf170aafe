// Internal to src/core/fs: copying paths into an Op, and the statx op shared
// by File::metadata and fs::metadata.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/fs/file.hpp"
#include "core/op/op.hpp"

namespace veloq::fs::detail {

// Lay out [prefix bytes][path1 NUL][path2 NUL] in ONE op-owned block and
// point args.addr at path1 (and args.addr2 at path2 when given).
// Op::own_bytes keeps a single heap block per op, so everything an op owns
// must be asked for at once (two long paths asked for separately would free
// the first). `*prefix` (if non-null) receives 16-byte aligned memory of
// `prefix_bytes`. Returns false (nothing set) if a path contains a NUL byte.
bool own_op_memory(Op& op, std::string_view path1, const std::string_view* path2,
                   size_t prefix_bytes = 0, std::byte** prefix = nullptr);

// statx(dirfd, path, flags) through the driver. `keep` rides on the op
// (a File's fd handle for AT_EMPTY_PATH on an fd).
Task<Result<Metadata>> statx_at(int dirfd, std::string path, int flags,
                                std::shared_ptr<void> keep);

}  // namespace veloq::fs::detail
