// StableSlab<T>: address-stable slots.
//
// Slots are carved from fixed-size chunks that are never moved or freed while
// the slab lives, so a slot's address can be handed to the kernel as
// io_uring user_data and stay valid until the slot is released. Freed slots go
// to a LIFO free list (hot in cache). Single-threaded: one slab per Worker.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <unordered_set>
#include <new>
#include <utility>
#include <vector>

namespace veloq {

template <class T, size_t ChunkSlots = 256>
class StableSlab {
 public:
  StableSlab() = default;
  StableSlab(const StableSlab&) = delete;
  StableSlab& operator=(const StableSlab&) = delete;
  ~StableSlab() = default;  // live objects must have been released by the owner

  template <class... Args>
  T* emplace(Args&&... args) {
    if (free_ == nullptr) grow();
    Slot* s = free_;
    free_ = s->next_free;
    T* obj = ::new (static_cast<void*>(s->storage)) T(std::forward<Args>(args)...);
    ++live_;
    return obj;
  }

  void release(T* obj) {
    obj->~T();
    Slot* s = reinterpret_cast<Slot*>(obj);
    s->next_free = free_;
    free_ = s;
    --live_;
  }

  // Give up the memory without freeing it: for slots something outside our
  // control (the kernel) may still write to. Live objects are not destroyed.
  void abandon() {
    // Kept reachable for the life of the process, so leak checkers see the
    // memory as deliberately retained rather than lost.
    static std::mutex mu;
    static auto* graveyard = new std::vector<std::unique_ptr<Slot[]>>();
    {
      std::lock_guard lk(mu);
      for (auto& c : chunks_) graveyard->push_back(std::move(c));
    }
    chunks_.clear();
    free_ = nullptr;
    live_ = 0;
  }

  size_t live() const { return live_; }

  // Visit every live object. Slow (it first collects the free list): for
  // rare whole-slab passes, e.g. re-arming a forked child's ops.
  template <class F>
  void for_each_live(F&& f) {
    std::unordered_set<const Slot*> free_slots;
    for (const Slot* s = free_; s != nullptr; s = s->next_free) free_slots.insert(s);
    for (auto& c : chunks_) {
      for (size_t i = 0; i < ChunkSlots; i++) {
        if (!free_slots.contains(&c[i])) f(std::launder(reinterpret_cast<T*>(c[i].storage)));
      }
    }
  }

  size_t capacity() const { return chunks_.size() * ChunkSlots; }

  // True if `p` points at a slot of this slab (used by debug checks).
  bool owns(const void* p) const {
    auto* b = static_cast<const std::byte*>(p);
    for (const auto& c : chunks_) {
      auto* lo = reinterpret_cast<const std::byte*>(c.get());
      if (b >= lo && b < lo + sizeof(Slot) * ChunkSlots) return true;
    }
    return false;
  }

 private:
  union Slot {
    Slot* next_free;
    alignas(T) std::byte storage[sizeof(T)];
  };

  void grow() {
    auto chunk = std::make_unique<Slot[]>(ChunkSlots);
    for (size_t i = ChunkSlots; i-- > 0;) {
      chunk[i].next_free = free_;
      free_ = &chunk[i];
    }
    chunks_.push_back(std::move(chunk));
  }

  std::vector<std::unique_ptr<Slot[]>> chunks_;
  Slot* free_ = nullptr;
  size_t live_ = 0;
};

}  // namespace veloq
