// Open-fd accounting shared by the leak checks of every core test area.
#pragma once

#include <cstddef>

namespace veloq::test {

// Number of fds this process has open (entries of /proc/self/fd, not
// counting the one used to list them).
size_t count_open_fds();

// Highest fd number open in this process (-1 if none).
int highest_open_fd();

}  // namespace veloq::test
