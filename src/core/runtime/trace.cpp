#include "core/runtime/trace.hpp"

#include <cinttypes>
#include <cstdio>

namespace veloq {

namespace {

void append_escaped(std::string& out, const char* s) {
  for (; *s != '\0'; ++s) {
    const unsigned char c = static_cast<unsigned char>(*s);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += char(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += char(c);
    }
  }
}

// Microseconds with nanosecond precision, as trace viewers expect.
void append_us(std::string& out, uint64_t ns) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%" PRIu64 ".%03u", ns / 1000, unsigned(ns % 1000));
  out += buf;
}

const char* kind_name(TraceKind k) {
  switch (k) {
    case TraceKind::Poll: return "poll";
    case TraceKind::Adopt: return "adopt";
    case TraceKind::Steal: return "steal";
    case TraceKind::MeshRecv: return "mesh_recv";
    case TraceKind::Park: return "park";
  }
  return "event";
}

}  // namespace

void trace_append_json(std::string& out, const TraceRing& ring, size_t tid, const std::string& track_name,
                       bool* first) {
  char buf[96];
  auto sep = [&] {
    if (!*first) out += ",\n";
    *first = false;
  };
  sep();
  std::snprintf(buf, sizeof buf, "{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":1,\"tid\":%zu,\"args\":{\"name\":\"", tid);
  out += buf;
  append_escaped(out, track_name.c_str());
  out += "\"}}";
  ring.for_each([&](const TraceEvent& e) {
    sep();
    const bool span = e.kind == TraceKind::Poll || e.kind == TraceKind::Park;
    out += "{\"ph\":\"";
    out += span ? "X" : "i";
    out += "\",\"cat\":\"";
    out += kind_name(e.kind);
    out += "\",\"name\":\"";
    if (e.kind == TraceKind::Poll && e.name[0] != '\0') {
      append_escaped(out, e.name);
    } else {
      out += kind_name(e.kind);
    }
    std::snprintf(buf, sizeof buf, "\",\"pid\":1,\"tid\":%zu,\"ts\":", tid);
    out += buf;
    append_us(out, e.ts_ns);
    if (span) {
      out += ",\"dur\":";
      append_us(out, e.dur_ns);
    } else {
      out += ",\"s\":\"t\"";
    }
    std::snprintf(buf, sizeof buf, ",\"args\":{\"%s\":%" PRIu64 "}}",
                  e.kind == TraceKind::Poll || e.kind == TraceKind::Adopt ? "task" : "count", e.arg);
    out += buf;
  });
}

}  // namespace veloq
