// FixedBuf: a move-only, owned, 4 KiB-aligned I/O buffer.
//
// Ownership is what makes ring I/O safe: an operation that reads into a
// FixedBuf takes the buffer by value, keeps it inside its Op until the last
// completion, and hands it back with the result. Dropping a FixedBuf returns
// its memory to the pool it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <atomic>
#include <span>
#include <thread>
#include <string_view>
#include <utility>

namespace veloq {

class BufPool;

class FixedBuf {
 public:
  FixedBuf() = default;
  FixedBuf(const FixedBuf&) = delete;
  FixedBuf& operator=(const FixedBuf&) = delete;
  FixedBuf(FixedBuf&& o) noexcept { steal(o); }
  FixedBuf& operator=(FixedBuf&& o) noexcept {
    if (this != &o) {
      reset();
      steal(o);
    }
    return *this;
  }
  ~FixedBuf() { reset(); }

  // A buffer of at least `capacity` bytes from the calling thread's pool.
  static FixedBuf allocate(size_t capacity);
  // A buffer holding a copy of `bytes` (len() == bytes.size()).
  static FixedBuf copy_of(std::span<const std::byte> bytes);
  static FixedBuf copy_of(std::string_view s) {
    return copy_of(std::as_bytes(std::span(s.data(), s.size())));
  }

  std::byte* data() const { return data_; }
  size_t capacity() const { return cap_; }
  // Bytes of valid data (set by reads, or by the user before a write).
  size_t len() const { return len_; }
  void set_len(size_t n) { len_ = n < cap_ ? n : cap_; }
  bool empty() const { return data_ == nullptr; }
  explicit operator bool() const { return data_ != nullptr; }

  std::span<std::byte> filled() const { return {data_, len_}; }
  std::span<std::byte> whole() const { return {data_, cap_}; }
  std::string_view view() const {
    return {reinterpret_cast<const char*>(data_), len_};
  }

  // Give the memory back to its pool now.
  void reset();

 private:
  friend class BufPool;
  FixedBuf(std::byte* d, size_t cap, BufPool* pool) : data_(d), cap_(cap), pool_(pool) {}
  void steal(FixedBuf& o) {
    data_ = std::exchange(o.data_, nullptr);
    cap_ = std::exchange(o.cap_, 0);
    len_ = std::exchange(o.len_, 0);
    pool_ = std::exchange(o.pool_, nullptr);
  }

  std::byte* data_ = nullptr;
  size_t cap_ = 0;
  size_t len_ = 0;
  BufPool* pool_ = nullptr;
};

// A simple per-thread pool: power-of-two size classes from 4 KiB to 4 MiB,
// each with a free list of 4 KiB-aligned blocks; larger requests go straight
// to aligned_alloc. Good enough until the Buddy/Hybrid pools land.
//
// Cross-thread return: a FixedBuf may be dropped on any thread. On its pool's
// own thread the block goes straight back to a free list; on another thread
// (another core's worker, a pool thread) it is posted home on a lock-free
// list that the owner takes back at its next get(). The pools of
// BufPool::local() are reference counted (the thread + each buffer out), so
// a buffer may even outlive its pool's thread: the pool is freed by whoever
// drops the last reference.
class BufPool {
 public:
  static constexpr size_t kMinShift = 12;  // 4 KiB
  static constexpr size_t kMaxShift = 22;  // 4 MiB
  static constexpr size_t kMaxFreePerClass = 64;

  BufPool();  // owned by the calling thread
  BufPool(const BufPool&) = delete;
  BufPool& operator=(const BufPool&) = delete;
  ~BufPool();

  // Owner thread only.
  FixedBuf get(size_t capacity);
  // The pool of the calling thread.
  static BufPool& local();
  // Buffers handed out and not yet given back (posted-home ones count as
  // back). Owner thread.
  size_t outstanding() const {
    return outstanding_ - remote_pending_.load(std::memory_order_acquire);
  }
  // Buffers that came back from other threads so far (any thread).
  uint64_t remote_returns() const { return remote_returns_.load(std::memory_order_relaxed); }

 private:
  friend class FixedBuf;
  struct LocalHolder;
  void put(std::byte* data, size_t cap);        // any thread
  void put_local(std::byte* data, size_t cap);  // owner thread
  void reclaim_remote();                        // owner thread
  void release_ref();
  void orphan();                                // owner thread exits

  struct FreeBlock {
    FreeBlock* next;
  };
  struct RemoteBlock {  // written into a block posted home
    RemoteBlock* next;
    size_t cap;
  };
  FreeBlock* free_[kMaxShift - kMinShift + 1] = {};
  size_t free_count_[kMaxShift - kMinShift + 1] = {};
  size_t outstanding_ = 0;
  std::thread::id owner_;
  bool counted_ = false;  // a local() pool: refcounted, deletes itself
  std::atomic<RemoteBlock*> remote_{nullptr};
  std::atomic<size_t> remote_pending_{0};
  std::atomic<uint64_t> remote_returns_{0};
  std::atomic<size_t> refs_{1};
  std::atomic<bool> orphaned_{false};
};

}  // namespace veloq
