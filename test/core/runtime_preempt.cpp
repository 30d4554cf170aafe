// Cooperative preemption (a task past its time slice yields at its next
// await point, so a timer on the same worker fires) and the watchdog (a task
// holding its worker too long is reported with its spawn location, not
// killed). Scenarios in test/runtime/scenarios.hpp.
#include <criterion/criterion.h>

#include "runtime/scenarios.hpp"

using namespace veloq;
namespace sc = veloq::scenario;

Test(runtime_preempt, spinning_task_yields_for_timer_standalone_worker, .timeout = 60) {
  WorkerOptions wo;
  wo.time_slice_ns = 1'000'000;
  Worker w(wo);
  cr_assert(w.block_on(sc::preempt_root()), "spinning task never preempted");
  cr_assert_gt(w.executor().preemptions(), 0u);
}

Test(runtime_preempt, spinning_task_yields_for_timer_in_runtime, .timeout = 60) {
  std::string err = sc::preemption_in_runtime();
  cr_assert(err.empty(), "%s", err.c_str());
}

Test(runtime_preempt, preemption_off_by_default_on_plain_worker) {
  Worker w;
  cr_assert_eq(w.executor().time_slice(), 0u);
}

Test(runtime_preempt, watchdog_reports_not_kills, .timeout = 60) {
  std::string err = sc::watchdog_reports();
  cr_assert(err.empty(), "%s", err.c_str());
}
