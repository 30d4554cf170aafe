// Public umbrella header of Veloq's core networking API.
#pragma once

#include "core/net/socket.hpp"
#include "core/net/socket_addr.hpp"
#include "core/net/tcp.hpp"
#include "core/net/udp.hpp"
#include "core/net/unix.hpp"
