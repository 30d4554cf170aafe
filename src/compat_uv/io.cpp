// Driver ops owned by uv handles: acquisition, and the last-completion rule
// that keeps a closed handle's close_cb waiting until the kernel is done.
#include "compat_uv/internal.hpp"

namespace veloq::uvc {

Op* handle_op(uv_handle_t* h, OpCode code, OpCompleteFn fn) {
  Op* op = loop_state(h->loop)->ops.acquire(code);
  op->owner = h;
  op->on_complete = fn;
  hstate(h)->ops++;
  return op;
}

void handle_op_done(Op* op, uint32_t flags) {
  if (flags & kOpMore) return;  // more completions of this op follow
  uv_handle_t* h = op_handle(op);
  loop_state(h->loop)->ops.release(op);
  handle_unhold(h);
}

void handle_unhold(uv_handle_t* h) {
  LoopState* ls = loop_state(h->loop);
  HandleState* hs = hstate(h);
  if (--hs->ops == 0 && (hs->flags & kDraining)) {
    // The closing phase skipped it while ops were out: its turn now.
    hs->flags &= ~kDraining;
    ls->draining--;
    hs->next_closing = ls->closing_handles;
    ls->closing_handles = h;
  }
}

}  // namespace veloq::uvc
