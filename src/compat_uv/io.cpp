// Driver ops owned by uv handles: acquisition, and the last-completion rule
// that keeps a closed handle's close_cb waiting until the kernel is done.
#include "compat_uv/internal.hpp"

#include <algorithm>
#include <unordered_set>
#include <vector>

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

// uv_loop_fork, in the child, right after the driver swap. The ops the old
// driver held for handles (stream/pipe/tty reads, accepts, UDP recv and
// send, uv_poll, writes, shutdowns) would never complete there: a reading
// stream would never read again and a closed one never reach its close_cb
// (hs->ops stays counted). Hand each to the new driver as it was, in the
// order they were started; one that was being cancelled (read stopped,
// handle closing) is cancelled again there, so its last completion still
// arrives and the usual handler re-arms or finishes it. Like libuv's child,
// whose watchers are re-registered with the new epoll set, the child then
// does the I/O again: a write the parent's kernel was still sending also
// goes out from the child. Ops the loop owns itself (signal pipe, inotify)
// are re-made by signal_loop_fork / fs_event_loop_fork; fs requests are
// left alone (their owner is a request, not a handle of the loop).
void handle_ops_fork(uv_loop_t* loop) {
  LoopState* ls = loop_state(loop);
  std::unordered_set<const void*> handles;
  Queue* hq = loop_handle_queue(loop);
  for (Queue* q = hq->next; q != hq; q = q->next) handles.insert(handle_of_queue_node(q));
  std::vector<Op*> lost;
  ls->ops.for_each_live([&](Op* op) {
    // Idle: never handed to a driver (a stream's held data).
    const bool held_by_driver = op->state == OpState::Queued || op->state == OpState::InFlight;
    if (held_by_driver && handles.contains(op->owner)) lost.push_back(op);
  });
  std::sort(lost.begin(), lost.end(), [](const Op* a, const Op* b) { return a->id < b->id; });
  for (Op* op : lost) {
    const bool cancelling = op->cancel_requested;
    op->state = OpState::Idle;
    op->next = nullptr;
    op->cancel_requested = false;
    if (op->code == OpCode::Recv && op->multishot) {
      // Its buffer group was the old ring's: receive into a buffer of its own
      // (what a reading stream does without buffer rings); the stream's next
      // recv sets the group up on the new ring.
      op->multishot = false;
      op->buf = FixedBuf::allocate(64 * 1024);
      op->args.addr = op->buf.data();
      op->args.len = 64 * 1024;
      op->args.mask = 0;
    }
    if (op->code == OpCode::Accept && !ls->driver->features().multishot_accept) op->multishot = false;
    ls->driver->prepare(op);
    if (cancelling) ls->driver->cancel(op);
  }
}

void loop_op_cancel_wait(LoopState* ls, Op** slot) {
  if (*slot == nullptr) return;
  ls->driver->cancel(*slot);
  while (*slot != nullptr) {
    if (ls->driver->poll(-1) < 0) *slot = nullptr;
  }
}

}  // namespace veloq::uvc
