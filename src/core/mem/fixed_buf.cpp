#include "core/mem/fixed_buf.hpp"

#include <bit>
#include <cstdlib>
#include <cstring>
#include <new>

namespace veloq {

namespace {
size_t class_index(size_t cap) {
  return std::bit_width(cap - 1) - BufPool::kMinShift;
}
}  // namespace

FixedBuf FixedBuf::allocate(size_t capacity) { return BufPool::local().get(capacity); }

FixedBuf FixedBuf::copy_of(std::span<const std::byte> bytes) {
  FixedBuf b = allocate(bytes.empty() ? 1 : bytes.size());
  if (!bytes.empty()) std::memcpy(b.data(), bytes.data(), bytes.size());
  b.set_len(bytes.size());
  return b;
}

void FixedBuf::reset() {
  if (data_ == nullptr) return;
  if (pool_ != nullptr) {
    pool_->put(data_, cap_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  cap_ = len_ = 0;
  pool_ = nullptr;
}

// The thread's pool lives on the heap: buffers it handed out may outlive the
// thread. The holder gives up the thread's reference at thread exit.
struct BufPool::LocalHolder {
  BufPool* pool;
  LocalHolder() : pool(new BufPool()) { pool->counted_ = true; }
  ~LocalHolder() { pool->orphan(); }
};

BufPool& BufPool::local() {
  thread_local LocalHolder holder;
  return *holder.pool;
}

BufPool::BufPool() : owner_(std::this_thread::get_id()) {}

BufPool::~BufPool() {
  for (auto& head : free_) {
    while (head != nullptr) {
      FreeBlock* b = head;
      head = b->next;
      std::free(b);
    }
  }
  RemoteBlock* r = remote_.exchange(nullptr, std::memory_order_acquire);
  while (r != nullptr) {
    RemoteBlock* next = r->next;
    std::free(r);
    r = next;
  }
}

void BufPool::release_ref() {
  if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
}

void BufPool::orphan() {
  reclaim_remote();
  for (auto& head : free_) {
    while (head != nullptr) {
      FreeBlock* b = head;
      head = b->next;
      std::free(b);
    }
  }
  for (auto& n : free_count_) n = 0;
  // From now on every return frees its block (the owner thread is gone).
  orphaned_.store(true, std::memory_order_release);
  release_ref();  // the thread's reference
}

void BufPool::reclaim_remote() {
  if (remote_.load(std::memory_order_relaxed) == nullptr) return;
  RemoteBlock* r = remote_.exchange(nullptr, std::memory_order_acquire);
  size_t n = 0;
  while (r != nullptr) {
    RemoteBlock* next = r->next;
    put_local(reinterpret_cast<std::byte*>(r), r->cap);
    r = next;
    ++n;
  }
  remote_pending_.fetch_sub(n, std::memory_order_release);
}

FixedBuf BufPool::get(size_t capacity) {
  reclaim_remote();
  if (counted_) refs_.fetch_add(1, std::memory_order_relaxed);  // the buffer's reference
  if (capacity == 0) capacity = 1;
  size_t cap = size_t{1} << kMinShift;
  if (capacity > cap) cap = std::bit_ceil(capacity);
  ++outstanding_;
  if (cap > (size_t{1} << kMaxShift)) {
    // Large buffers bypass the free lists; round to a page multiple.
    size_t bytes = (capacity + 4095) & ~size_t{4095};
    void* p = std::aligned_alloc(4096, bytes);
    if (p == nullptr) {
      --outstanding_;
      if (counted_) release_ref();
      throw std::bad_alloc();
    }
    return FixedBuf(static_cast<std::byte*>(p), bytes, this);
  }
  size_t idx = class_index(cap);
  if (FreeBlock* b = free_[idx]) {
    free_[idx] = b->next;
    --free_count_[idx];
    return FixedBuf(reinterpret_cast<std::byte*>(b), cap, this);
  }
  void* p = std::aligned_alloc(4096, cap);
  if (p == nullptr) {
    --outstanding_;
    if (counted_) release_ref();
    throw std::bad_alloc();
  }
  return FixedBuf(static_cast<std::byte*>(p), cap, this);
}

void BufPool::put(std::byte* data, size_t cap) {
  const bool counted = counted_;
  if (orphaned_.load(std::memory_order_acquire)) {
    std::free(data);  // the owner thread is gone
  } else if (std::this_thread::get_id() == owner_) {
    put_local(data, cap);
  } else {
    // Post it home: a lock-free push the owner takes back at its next get().
    auto* r = reinterpret_cast<RemoteBlock*>(data);
    r->cap = cap;
    remote_pending_.fetch_add(1, std::memory_order_relaxed);
    remote_returns_.fetch_add(1, std::memory_order_relaxed);
    RemoteBlock* head = remote_.load(std::memory_order_relaxed);
    do {
      r->next = head;
    } while (!remote_.compare_exchange_weak(head, r, std::memory_order_release,
                                            std::memory_order_relaxed));
  }
  if (counted) release_ref();  // may delete this pool: last touch
}

void BufPool::put_local(std::byte* data, size_t cap) {
  --outstanding_;
  if (cap > (size_t{1} << kMaxShift) || !std::has_single_bit(cap)) {
    std::free(data);
    return;
  }
  size_t idx = class_index(cap);
  if (free_count_[idx] >= kMaxFreePerClass) {
    std::free(data);
    return;
  }
  auto* b = reinterpret_cast<FreeBlock*>(data);
  b->next = free_[idx];
  free_[idx] = b;
  ++free_count_[idx];
}

}  // namespace veloq
