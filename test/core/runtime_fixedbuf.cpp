// A FixedBuf dropped on a foreign core is posted home to its pool, not freed
// into the wrong one; a buffer may outlive its pool's thread.
#include <criterion/criterion.h>

#include "runtime/scenarios.hpp"

using namespace veloq;
namespace sc = veloq::scenario;

Test(runtime_fixedbuf, cross_core_drop_returns_home, .timeout = 60) {
  std::string err = sc::fixedbuf_goes_home();
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_fixedbuf, same_thread_drop_stays_local) {
  BufPool& p = BufPool::local();
  const uint64_t remote0 = p.remote_returns();
  const size_t out0 = p.outstanding();
  {
    FixedBuf a = FixedBuf::allocate(4096);
    cr_assert_eq(p.outstanding(), out0 + 1);
  }
  cr_assert_eq(p.outstanding(), out0);
  cr_assert_eq(p.remote_returns(), remote0);
}

Test(runtime_fixedbuf, many_foreign_drops_all_reclaimed, .timeout = 60) {
  BufPool& p = BufPool::local();
  const size_t out0 = p.outstanding();
  std::vector<FixedBuf> bufs;
  for (int i = 0; i < 200; ++i) bufs.push_back(FixedBuf::allocate(4096u << (i % 4)));
  cr_assert_eq(p.outstanding(), out0 + 200);
  std::thread t([&bufs] { bufs.clear(); });  // all dropped on another thread
  t.join();
  cr_assert_eq(p.remote_returns() >= 200, true);
  cr_assert_eq(p.outstanding(), out0, "posted-home buffers still counted out");
  { FixedBuf x = FixedBuf::allocate(4096); }  // reclaim pass
  cr_assert_eq(p.outstanding(), out0);
}
