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

BufPool& BufPool::local() {
  thread_local BufPool pool;
  return pool;
}

BufPool::~BufPool() {
  for (auto& head : free_) {
    while (head != nullptr) {
      FreeBlock* b = head;
      head = b->next;
      std::free(b);
    }
  }
}

FixedBuf BufPool::get(size_t capacity) {
  if (capacity == 0) capacity = 1;
  size_t cap = size_t{1} << kMinShift;
  if (capacity > cap) cap = std::bit_ceil(capacity);
  ++outstanding_;
  if (cap > (size_t{1} << kMaxShift)) {
    // Large buffers bypass the free lists; round to a page multiple.
    size_t bytes = (capacity + 4095) & ~size_t{4095};
    void* p = std::aligned_alloc(4096, bytes);
    if (p == nullptr) throw std::bad_alloc();
    return FixedBuf(static_cast<std::byte*>(p), bytes, this);
  }
  size_t idx = class_index(cap);
  if (FreeBlock* b = free_[idx]) {
    free_[idx] = b->next;
    --free_count_[idx];
    return FixedBuf(reinterpret_cast<std::byte*>(b), cap, this);
  }
  void* p = std::aligned_alloc(4096, cap);
  if (p == nullptr) throw std::bad_alloc();
  return FixedBuf(static_cast<std::byte*>(p), cap, this);
}

void BufPool::put(std::byte* data, size_t cap) {
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
