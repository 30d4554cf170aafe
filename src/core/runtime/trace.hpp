// TraceRing: an opt-in, per-worker ring of runtime events (task polls, task
// adoption, steals, mesh batches, parks), written only by its worker's
// thread, exported by Runtime::trace_json() as Chrome / Perfetto trace JSON
// (one track per worker; open it in ui.perfetto.dev or chrome://tracing).
// When full, the oldest events are overwritten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace veloq {

enum class TraceKind : uint8_t {
  Poll,      // span: one resumption of a task (arg = task id, name = task name)
  Adopt,     // instant: a task became this worker's (arg = task id)
  Steal,     // instant: unstarted tasks taken from another worker (arg = count)
  MeshRecv,  // instant: mesh messages handled in one drain (arg = count)
  Park,      // span: blocked in the driver with nothing to do
};

struct TraceEvent {
  uint64_t ts_ns = 0;
  uint64_t dur_ns = 0;
  uint64_t arg = 0;
  const char* name = "";
  TraceKind kind = TraceKind::Poll;
};

class TraceRing {
 public:
  explicit TraceRing(size_t capacity) : ev_(capacity == 0 ? 1 : capacity) {}
  void add(TraceKind k, uint64_t ts_ns, uint64_t dur_ns, uint64_t arg, const char* name = "") {
    ev_[next_] = TraceEvent{ts_ns, dur_ns, arg, name, k};
    if (++next_ == ev_.size()) {
      next_ = 0;
      wrapped_ = true;
    }
  }
  // Oldest first.
  template <class F>
  void for_each(F&& f) const {
    if (wrapped_) {
      for (size_t i = next_; i < ev_.size(); ++i) f(ev_[i]);
    }
    for (size_t i = 0; i < next_; ++i) f(ev_[i]);
  }
  size_t size() const { return wrapped_ ? ev_.size() : next_; }

 private:
  std::vector<TraceEvent> ev_;
  size_t next_ = 0;
  bool wrapped_ = false;
};

// Append `ring`'s events as trace JSON objects for track `tid` (each
// preceded by a comma unless *first), plus the track's name.
void trace_append_json(std::string& out, const TraceRing& ring, size_t tid, const std::string& track_name,
                       bool* first);

}  // namespace veloq
