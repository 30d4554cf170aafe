// Bad input to the core gives a clear error (negative errno, an error
// Result, or a logic_error for programming mistakes), never a crash. Each
// case was a crash before the review that added this file.
#include <criterion/criterion.h>

#include <fcntl.h>

#include <stdexcept>

#include "core/runtime/io.hpp"
#include "core/runtime/worker.hpp"

using namespace veloq;

namespace {
Task<int32_t> run_code(OpCode code) {
  IoOp op(code);
  co_return co_await op;
}

Task<int32_t> open_null_path() {
  IoOp op(OpCode::OpenAt);
  op->own_path(nullptr);
  op->args.fd2 = AT_FDCWD;
  op->args.flags = O_RDONLY;
  co_return co_await op;
}

Task<int> join_empty_handle() {
  JoinHandle<int> h;
  Result<int> r = co_await h;
  co_return r ? 0 : r.error().value();
}

Task<bool> await_empty_task() {
  Task<int> empty;
  bool threw = false;
  try {
    (void)co_await std::move(empty);
  } catch (const std::logic_error&) {
    threw = true;
  }
  co_return threw;
}
}  // namespace

Test(bad_input, unknown_opcode_fails_the_op_with_einval) {
  Worker w;
  cr_assert_eq(w.block_on(run_code(OpCode(200))), -EINVAL);
  cr_assert_eq(w.block_on(run_code(OpCode::kCount)), -EINVAL);
  cr_assert_eq(w.ops().live(), 0u);
}

Test(bad_input, null_path_is_enoent_not_a_crash) {
  Worker w;
  cr_assert_eq(w.block_on(open_null_path()), -ENOENT);
}

Test(bad_input, joining_an_empty_handle_is_einval) {
  Worker w;
  cr_assert_eq(w.block_on(join_empty_handle()), EINVAL);
}

Test(bad_input, awaiting_an_empty_task_throws_logic_error) {
  Worker w;
  cr_assert(w.block_on(await_empty_task()));
}

Test(bad_input, io_outside_a_worker_throws_logic_error) {
  bool threw = false;
  try {
    IoOp op(OpCode::Nop);
  } catch (const std::logic_error&) {
    threw = true;
  }
  cr_assert(threw);
}
