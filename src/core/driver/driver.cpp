#include "core/driver/driver.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace veloq {

const char* backend_name(Backend b) { return b == Backend::Uring ? "uring" : "epoll"; }

std::string DriverFeatures::describe() const {
  std::string s;
  auto add = [&](const char* name, bool on) {
    if (!s.empty()) s += ' ';
    s += name;
    s += on ? "=1" : "=0";
  };
  add("single_issuer", single_issuer);
  add("defer_taskrun", defer_taskrun);
  add("coop_taskrun", coop_taskrun);
  add("ext_arg", ext_arg);
  add("msg_ring", msg_ring);
  add("multishot_accept", multishot_accept);
  add("multishot_recv", multishot_recv);
  add("buf_ring", buf_ring);
  add("send_zc", send_zc);
  add("registered_files", registered_files);
  add("registered_buffers", registered_buffers);
  add("nodrop", nodrop);
  std::string missing;
  for (size_t i = 0; i < size_t(OpCode::kCount); ++i) {
    if (!opcode[i]) {
      if (!missing.empty()) missing += ',';
      missing += opcode_name(OpCode(i));
    }
  }
  // On io_uring these are the ops without a ring opcode: sockets, pipes and
  // ttys among them are served by readiness, the rest by the blocking pool.
  s += " pool_ops=";
  s += missing.empty() ? "-" : missing;
  if (!fallback.empty()) {
    s += " fallback=";
    s += fallback;
  }
  return s;
}

namespace {
bool list_has(std::string_view s, std::string_view name, bool all_counts) {
  while (!s.empty()) {
    size_t comma = s.find(',');
    std::string_view item = s.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item == name || (all_counts && item == "all")) return true;
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return false;
}
}  // namespace

bool DriverOptions::disables(std::string_view name) const { return list_has(disable, name, true); }

bool DriverOptions::names(std::string_view name) const { return list_has(disable, name, false); }

DriverOptions DriverOptions::from_env() {
  DriverOptions o;
  if (const char* b = std::getenv("VELOQ_BACKEND")) {
    if (std::strcmp(b, "epoll") == 0) {
      o.backend = Backend::Epoll;
    } else if (std::strcmp(b, "uring") == 0) {
      o.backend = Backend::Uring;
    }
  }
  if (const char* d = std::getenv("VELOQ_URING_DISABLE")) o.disable = d;
  return o;
}

std::unique_ptr<Driver> make_driver(const DriverOptions& opts, int* err) {
  int e = 0;
  if (opts.backend == Backend::Uring) {
    std::string why;
    if (auto d = make_uring_driver(opts, &e, &why)) return d;
    if (!opts.allow_fallback) {
      if (err) *err = e;
      return nullptr;
    }
    // The disable list described the ring; epoll serves every op itself
    // (an epoll told "poll_add" would have no way to wait for readiness).
    DriverOptions eo = opts;
    eo.backend = Backend::Epoll;
    eo.disable.clear();
    eo.fallback_reason = why;
    auto d = make_epoll_driver(eo, &e);
    if (!d && err) *err = e;
    return d;
  }
  auto d = make_epoll_driver(opts, &e);
  if (!d && err) *err = e;
  return d;
}

}  // namespace veloq
