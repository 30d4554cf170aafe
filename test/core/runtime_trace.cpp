// Trace export: Chrome/Perfetto JSON that parses, with one track per worker
// and the task polls on the workers that ran them; off unless asked.
#include <criterion/criterion.h>

#include "runtime/scenarios.hpp"

using namespace veloq;
namespace sc = veloq::scenario;

Test(runtime_trace, json_parses_one_track_per_worker, .timeout = 60) {
  std::string err = sc::trace_export(3);
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_trace, json_checker_rejects_broken_json) {
  // The checker the trace test relies on must be able to say no.
  cr_assert(sc::JsonCheck("{\"a\":[1,2.5,\"x\\\"y\"],\"b\":{}}").valid());
  cr_assert(!sc::JsonCheck("{\"a\":[1,2,]}").valid());
  cr_assert(!sc::JsonCheck("{\"a\":\"unterminated}").valid());
  cr_assert(!sc::JsonCheck("{\"a\":1} trailing").valid());
}

Test(runtime_trace, ring_keeps_newest_when_full) {
  TraceRing r(4);
  for (uint64_t i = 1; i <= 10; ++i) r.add(TraceKind::Adopt, i, 0, i);
  cr_assert_eq(r.size(), 4u);
  std::vector<uint64_t> seen;
  r.for_each([&](const TraceEvent& e) { seen.push_back(e.arg); });
  cr_assert_eq(seen.size(), 4u);
  for (size_t k = 0; k < 4; ++k) cr_assert_eq(seen[k], 7 + k);
}
