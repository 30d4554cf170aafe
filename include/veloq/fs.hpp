// Public face of Veloq's filesystem API: File, OpenOptions, Metadata and the
// path functions (veloq::fs). See src/core/fs/file.hpp and fs.hpp.
#pragma once

#include "core/fs/file.hpp"
#include "core/fs/fs.hpp"
