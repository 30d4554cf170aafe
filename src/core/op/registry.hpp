// OpRegistry: where a Worker's in-flight operations live.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/op/op.hpp"
#include "core/op/slab.hpp"

namespace veloq {

class OpRegistry {
 public:
  Op* acquire(OpCode code) {
    Op* op = slab_.emplace();
    op->code = code;
    op->registry = this;
    op->id = ++next_id_;
    return op;
  }
  void release(Op* op) { slab_.release(op); }

  // Ops acquired and not yet released (tests use it to prove nothing leaks).
  size_t live() const { return slab_.live(); }
  // Leak every slot on purpose (see StableSlab::abandon).
  void abandon() { slab_.abandon(); }
  // Visit every op acquired and not yet released (slow; see StableSlab).
  template <class F>
  void for_each_live(F&& f) { slab_.for_each_live(f); }
  bool owns(const Op* op) const { return slab_.owns(op); }

 private:
  StableSlab<Op> slab_;
  uint64_t next_id_ = 0;
};

}  // namespace veloq
