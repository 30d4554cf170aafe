// Registered buffer arena: Read/Write into it use READ_FIXED/WRITE_FIXED;
// when the kernel refuses the registration (RLIMIT_MEMLOCK exhausted, no
// CAP_IPC_LOCK) the same I/O runs unregistered and callers see no error.
// Criterion forks every test, so dropping the capability and the rlimit only
// affects this test's process.
#include <criterion/criterion.h>
#include <linux/capability.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "core/driver/uring/uring_driver.hpp"
#include "support/driver_helpers.hpp"

using namespace veloq;
using namespace veloq::test;

namespace {
// Root is exempt from the memlock limit through CAP_IPC_LOCK: drop it from
// this process's effective set so RLIMIT_MEMLOCK applies. The limit is not 0:
// without CAP_IPC_LOCK the kernel (6.13+) also charges the ring's own SQ/CQ
// memory to it, so leave room for a small ring but not for the arena.
constexpr size_t kMemlock = 256 * 1024;
constexpr size_t kArena = 4 * 1024 * 1024;

void drop_ipc_lock() {
  __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  cr_assert_eq(::syscall(SYS_capget, &hdr, data), 0);
  data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
  cr_assert_eq(::syscall(SYS_capset, &hdr, data), 0, "capset: %s", std::strerror(errno));
  rlimit rl{kMemlock, kMemlock};
  cr_assert_eq(::setrlimit(RLIMIT_MEMLOCK, &rl), 0);
}

// Write then read back through the driver, with buffers inside `arena`.
void roundtrip(Driver& d, FixedBuf& arena) {
  char tmpl[] = "/tmp/veloq_regbuf_XXXXXX";
  int fd = ::mkstemp(tmpl);
  cr_assert_geq(fd, 0);
  ::unlink(tmpl);
  OpRegistry reg;
  std::byte* out = arena.data();
  std::byte* in = arena.data() + 8192;
  for (int i = 0; i < 4096; ++i) out[i] = std::byte(i * 7);
  std::memset(in, 0, 4096);
  Seen ws, rs;
  Op* w = make_op(reg, OpCode::Write, &ws);
  w->args = {};
  w->args.fd = fd;
  w->args.addr = out;
  w->args.len = 4096;
  w->args.off = 0;
  d.prepare(w);
  cr_assert(poll_until(d, [&] { return ws.finals > 0; }));
  cr_assert_eq(ws.last_res, 4096, "write: %d", ws.last_res);
  Op* r = make_op(reg, OpCode::Read, &rs);
  r->args.fd = fd;
  r->args.addr = in;
  r->args.len = 4096;
  r->args.off = 0;
  d.prepare(r);
  cr_assert(poll_until(d, [&] { return rs.finals > 0; }));
  cr_assert_eq(rs.last_res, 4096, "read: %d", rs.last_res);
  cr_assert_eq(std::memcmp(in, out, 4096), 0);
  reg.release(w);
  reg.release(r);
  ::close(fd);
}
}  // namespace

Test(driver_uring_regbuf, registered_arena_uses_fixed_io) {
  auto d = driver_from_env();
  auto* u = dynamic_cast<UringDriver*>(d.get());
  if (u == nullptr) cr_skip("io_uring backend not in use");
  FixedBuf arena = FixedBuf::allocate(64 * 1024);
  cr_assert(u->register_buffer_arena(arena.data(), arena.capacity()));
  cr_assert(u->arena_registered());
  roundtrip(*d, arena);
  cr_assert_eq(u->fixed_io_count(), 2u, "I/O inside the arena did not use fixed buffers");
}

Test(driver_uring_regbuf, memlock_refusal_degrades_to_plain_io) {
  if (!backend_is_uring()) cr_skip("io_uring backend not in use");
  drop_ipc_lock();
  auto d = driver_from_env(8);
  auto* u = dynamic_cast<UringDriver*>(d.get());
  cr_assert(u != nullptr, "a small ring should fit in RLIMIT_MEMLOCK");
  FixedBuf arena = FixedBuf::allocate(kArena);
  cr_assert(!u->register_buffer_arena(arena.data(), arena.capacity()),
            "registration succeeded past RLIMIT_MEMLOCK: test proves nothing");
  cr_assert(!u->arena_registered());
  roundtrip(*d, arena);  // same calls, no error visible
  cr_assert_eq(u->fixed_io_count(), 0u);
}
