/* Preprocessed by check_names.cmake: the set of uv/UV identifiers and macro
 * names that <uv.h> introduces must be the same for libuv's and Veloq's. */
#include <uv.h>
