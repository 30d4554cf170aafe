// Mesh: how Workers talk. An (N+1) x N grid of bounded lock-free SPSC rings,
// one per ordered pair (sender, receiver): row s < N is worker s's outbox to
// each worker, row N is shared by every thread that is not a worker of this
// runtime (its producers take a per-receiver lock, so the ring stays
// single-producer). A message is a closure to run on the receiver's thread, a
// new task to adopt, or the wake-up of one of the receiver's tasks.
//
// The rings only move messages; waking a parked receiver and the full-ring
// policy live in Runtime (runtime.cpp, docs/ARCHITECTURE.md §4).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <utility>
#include <vector>

#include "core/runtime/task.hpp"

namespace veloq {

struct MeshMsg {
  enum class Kind : uint8_t {
    Run,    // run `fn` on the receiver's thread (outside any task)
    Spawn,  // adopt `task` (new, unstarted) on the receiver's executor
    Wake,   // schedule `task` (one of the receiver's); carries one ref on it
  };
  Kind kind = Kind::Run;
  TaskHeader* task = nullptr;
  std::move_only_function<void()> fn;
};

// Bounded single-producer single-consumer ring. Capacity is a power of two.
// Slot storage is allocated by the producer on its first push (an N x N
// grid is mostly idle pairs), published with release before any index that
// covers it.
template <class T>
class SpscRing {
 public:
  explicit SpscRing(size_t capacity) {
    size_t c = 2;
    while (c < capacity) c <<= 1;
    mask_ = c - 1;
  }
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;
  ~SpscRing() { delete[] slots_.load(std::memory_order_acquire); }

  size_t capacity() const { return mask_ + 1; }

  // Producer. Moves from `v` only on success; false when full.
  bool try_push(T& v) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail - head_cache_ > mask_) {
      head_cache_ = head_.load(std::memory_order_acquire);
      if (tail - head_cache_ > mask_) return false;
    }
    T* s = slots_.load(std::memory_order_relaxed);
    if (s == nullptr) {
      s = new T[mask_ + 1];
      slots_.store(s, std::memory_order_release);
    }
    s[tail & mask_] = std::move(v);
    // seq_cst, not just release: the Runtime's parking protocol (Dekker
    // style: sender stores tail then loads `parked`; receiver stores
    // `parked` then loads tail) needs both stores in the single total order.
    // On x86 that is one xchg, the price of the fence it replaces.
    tail_.store(tail + 1, std::memory_order_seq_cst);
    return true;
  }

  // Consumer. False when empty.
  bool try_pop(T& out) {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head == tail_cache_) {
      tail_cache_ = tail_.load(std::memory_order_acquire);
      if (head == tail_cache_) return false;
    }
    T* s = slots_.load(std::memory_order_acquire);
    out = std::move(s[head & mask_]);
    s[head & mask_] = T{};  // drop what the moved-from slot may still hold
    head_.store(head + 1, std::memory_order_release);
    return true;
  }

  // Any thread; exact for the consumer, a snapshot for others.
  bool empty() const {
    return head_.load(std::memory_order_acquire) == tail_.load(std::memory_order_seq_cst);
  }

 private:
  // Consumer side and producer side on separate cache lines.
  alignas(64) std::atomic<size_t> head_{0};
  size_t tail_cache_ = 0;  // consumer's last view of tail_
  alignas(64) std::atomic<size_t> tail_{0};
  size_t head_cache_ = 0;  // producer's last view of head_
  alignas(64) std::atomic<T*> slots_{nullptr};
  size_t mask_ = 0;
};

class Mesh {
 public:
  Mesh(size_t workers, size_t capacity) : n_(workers), ext_mu_(workers) {
    rings_.reserve((n_ + 1) * n_);
    for (size_t i = 0; i < (n_ + 1) * n_; ++i) {
      rings_.push_back(std::make_unique<SpscRing<MeshMsg>>(capacity));
    }
  }
  size_t workers() const { return n_; }
  size_t external_row() const { return n_; }
  SpscRing<MeshMsg>& ring(size_t from, size_t to) { return *rings_[from * n_ + to]; }
  // Serializes the producers of ring(external_row(), to).
  std::mutex& external_lock(size_t to) { return ext_mu_[to]; }

 private:
  size_t n_;
  std::vector<std::unique_ptr<SpscRing<MeshMsg>>> rings_;
  std::vector<std::mutex> ext_mu_;
};

}  // namespace veloq
