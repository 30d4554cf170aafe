// System information (libuv 1.44 src/unix/core.c, linux-core.c,
// uv-common.c): environment, users, host, CPUs, interfaces, memory, the
// working directory. Every buffer protocol is libuv's: on success *size is
// the length without the NUL; when the buffer is too small the answer is
// UV_ENOBUFS with *size set to the length *including* the NUL.
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <pwd.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <initializer_list>

#include <uv.h>

#include "compat_uv/alloc.hpp"

using namespace veloq::uvc;

extern char** environ;

namespace {

// Copy `value` out by libuv's protocol (see the file comment).
int copy_out(const char* value, size_t len, char* buffer, size_t* size) {
  if (len >= *size) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  std::memcpy(buffer, value, len);
  buffer[len] = '\0';
  *size = len;
  return 0;
}

// A small file read whole (≤ cap - 1 bytes), NUL-terminated; -errno on error.
int slurp(const char* path, char* buf, size_t cap) {
  int fd;
  do fd = open(path, O_RDONLY | O_CLOEXEC);
  while (fd == -1 && errno == EINTR);
  if (fd == -1) return -errno;
  ssize_t n;
  do n = read(fd, buf, cap - 1);
  while (n == -1 && errno == EINTR);
  const int err = n == -1 ? -errno : 0;
  close(fd);
  if (err != 0) return err;
  buf[n] = '\0';
  return 0;
}

// libuv's uv__getpwuid_r for the effective user: one uv_malloc'ed block
// holding username, homedir and shell (uv_os_free_passwd frees it).
int passwd_of_euid(uv_passwd_t* pwd) {
  if (pwd == nullptr) return UV_EINVAL;
  const uid_t uid = geteuid();
  struct passwd pw;
  struct passwd* result = nullptr;
  char* buf = nullptr;
  int r;
  for (size_t bufsize = 2000;; bufsize *= 2) {
    buf = static_cast<char*>(uv_malloc(bufsize));
    if (buf == nullptr) return UV_ENOMEM;
    do r = getpwuid_r(uid, &pw, buf, bufsize, &result);
    while (r == EINTR);
    if (r != ERANGE) break;
    uv_free(buf);
  }
  if (r != 0) {
    uv_free(buf);
    return -r;
  }
  if (result == nullptr) {
    uv_free(buf);
    return UV_ENOENT;
  }
  const size_t name_size = std::strlen(pw.pw_name) + 1;
  const size_t home_size = std::strlen(pw.pw_dir) + 1;
  const size_t shell_size = std::strlen(pw.pw_shell) + 1;
  char* block = static_cast<char*>(uv_malloc(name_size + home_size + shell_size));
  if (block == nullptr) {
    uv_free(buf);
    return UV_ENOMEM;
  }
  pwd->username = static_cast<char*>(std::memcpy(block, pw.pw_name, name_size));
  pwd->homedir = static_cast<char*>(std::memcpy(block + name_size, pw.pw_dir, home_size));
  pwd->shell = static_cast<char*>(std::memcpy(block + name_size + home_size, pw.pw_shell, shell_size));
  pwd->uid = static_cast<long>(pw.pw_uid);
  pwd->gid = static_cast<long>(pw.pw_gid);
  uv_free(buf);
  return 0;
}

// /proc/meminfo's "<what> N kB" in bytes; 0 when unknown.
uint64_t meminfo_bytes(const char* what) {
  char buf[4096];
  if (slurp("/proc/meminfo", buf, sizeof buf) != 0) return 0;
  const char* p = std::strstr(buf, what);
  if (p == nullptr) return 0;
  uint64_t kb = 0;
  if (std::sscanf(p + std::strlen(what), "%" SCNu64 " kB", &kb) != 1) return 0;
  return kb * 1024;
}

// ---- uv_cpu_info (linux-core.c read_models / read_times / read_speeds) ----

// The "cpuN" lines of /proc/stat after the aggregate "cpu" line.
unsigned count_cpus(FILE* stat) {
  char line[1024];
  if (std::fgets(line, sizeof line, stat) == nullptr) return 0;  // the "cpu " total
  unsigned n = 0;
  while (std::fgets(line, sizeof line, stat) != nullptr && std::strncmp(line, "cpu", 3) == 0) n++;
  return n;
}

// Model names (and, on x86, speeds) from /proc/cpuinfo. A CPU with no model
// line gets the last model seen, or "unknown".
int read_models(unsigned ncpus, uv_cpu_info_t* ci) {
  static const char kModel[] = "model name\t: ";
  static const char kSpeed[] = "cpu MHz\t\t: ";
  unsigned models = 0;
  unsigned speeds = 0;
  if (FILE* fp = std::fopen("/proc/cpuinfo", "re")) {
    char line[1024];
    while (std::fgets(line, sizeof line, fp) != nullptr) {
      if (models < ncpus && std::strncmp(line, kModel, sizeof kModel - 1) == 0) {
        const char* model = line + sizeof kModel - 1;
        size_t len = std::strlen(model);
        if (len > 0 && model[len - 1] == '\n') len--;
        ci[models].model = uv_strndup(model, len);
        if (ci[models].model == nullptr) {
          std::fclose(fp);
          return UV_ENOMEM;
        }
        models++;
      } else if (speeds < ncpus && std::strncmp(line, kSpeed, sizeof kSpeed - 1) == 0) {
        ci[speeds++].speed = std::atoi(line + sizeof kSpeed - 1);
      }
    }
    std::fclose(fp);
  }
  const char* inferred = models > 0 ? ci[models - 1].model : "unknown";
  for (; models < ncpus; models++) {
    ci[models].model = uv_strdup(inferred);
    if (ci[models].model == nullptr) return UV_ENOMEM;
  }
  return 0;
}

// Per-CPU user, nice, sys, idle and irq times, clock ticks -> milliseconds.
int read_times(FILE* stat, unsigned ncpus, uv_cpu_info_t* ci) {
  long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return UV_EINVAL;
  const uint64_t ms_per_tick = 1000 / static_cast<uint64_t>(ticks);
  std::rewind(stat);
  char line[1024];
  if (std::fgets(line, sizeof line, stat) == nullptr) return UV_EIO;
  unsigned i = 0;
  while (i < ncpus && std::fgets(line, sizeof line, stat) != nullptr && std::strncmp(line, "cpu", 3) == 0) {
    unsigned cpu;
    uint64_t user, nice, sys, idle, iowait, irq;
    if (std::sscanf(line, "cpu%u %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &cpu, &user,
                    &nice, &sys, &idle, &iowait, &irq) != 7)
      return UV_EIO;
    ci[i].cpu_times.user = user * ms_per_tick;
    ci[i].cpu_times.nice = nice * ms_per_tick;
    ci[i].cpu_times.sys = sys * ms_per_tick;
    ci[i].cpu_times.idle = idle * ms_per_tick;
    ci[i].cpu_times.irq = irq * ms_per_tick;
    i++;
  }
  return i == ncpus ? 0 : UV_EIO;
}

// cpufreq's current frequency (kHz) in MHz, 0 when unknown.
int cpufreq_mhz(unsigned cpu) {
  char path[128];
  char buf[64];
  std::snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%u/cpufreq/scaling_cur_freq", cpu);
  if (slurp(path, buf, sizeof buf) != 0) return 0;
  uint64_t khz = 0;
  if (std::sscanf(buf, "%" SCNu64, &khz) != 1) return 0;
  return static_cast<int>(khz / 1000);
}

// ---- uv_interface_addresses (linux-core.c uv__ifaddr_exclude) ----------
// An entry counts when its interface is up and running and it has an
// address; AF_PACKET entries only give the hardware address of the others.
bool ifaddr_usable(const struct ifaddrs* ent, bool want_packet) {
  if (!((ent->ifa_flags & IFF_UP) && (ent->ifa_flags & IFF_RUNNING))) return false;
  if (ent->ifa_addr == nullptr) return false;
  return (ent->ifa_addr->sa_family == AF_PACKET) == want_packet;
}

}  // namespace

extern "C" {

// ---- environment ----------------------------------------------------------

int uv_os_getenv(const char* name, char* buffer, size_t* size) {
  if (name == nullptr || buffer == nullptr || size == nullptr || *size == 0) return UV_EINVAL;
  const char* value = std::getenv(name);
  if (value == nullptr) return UV_ENOENT;
  return copy_out(value, std::strlen(value), buffer, size);
}

int uv_os_setenv(const char* name, const char* value) {
  if (name == nullptr || value == nullptr) return UV_EINVAL;
  if (setenv(name, value, 1) != 0) return -errno;
  return 0;
}

int uv_os_unsetenv(const char* name) {
  if (name == nullptr) return UV_EINVAL;
  if (unsetenv(name) != 0) return -errno;
  return 0;
}

// One uv_strdup per entry: name and value share it (the '=' becomes NUL).
// Entries without '=' are skipped, as libuv does.
int uv_os_environ(uv_env_item_t** envitems, int* count) {
  if (envitems == nullptr || count == nullptr) return UV_EINVAL;  // libuv would crash
  *envitems = nullptr;
  *count = 0;
  size_t n = 0;
  while (environ[n] != nullptr) n++;
  uv_env_item_t* items = static_cast<uv_env_item_t*>(uv_calloc(n == 0 ? 1 : n, sizeof *items));
  if (items == nullptr) return UV_ENOMEM;
  int used = 0;
  for (size_t i = 0; i < n && environ[i] != nullptr; i++) {
    char* entry = uv_strdup(environ[i]);
    if (entry == nullptr) {
      for (int j = 0; j < used; j++) uv_free(items[j].name);
      uv_free(items);
      return UV_ENOMEM;
    }
    char* eq = std::strchr(entry, '=');
    if (eq == nullptr) {
      uv_free(entry);
      continue;
    }
    *eq = '\0';
    items[used].name = entry;
    items[used].value = eq + 1;
    used++;
  }
  *envitems = items;
  *count = used;
  return 0;
}

void uv_os_free_environ(uv_env_item_t* envitems, int count) {
  for (int i = 0; i < count; i++) uv_free(envitems[i].name);
  uv_free(envitems);
}

// ---- users and directories --------------------------------------------------

int uv_os_get_passwd(uv_passwd_t* pwd) { return passwd_of_euid(pwd); }

void uv_os_free_passwd(uv_passwd_t* pwd) {
  if (pwd == nullptr) return;
  uv_free(pwd->username);  // the block that holds all three strings
  pwd->username = nullptr;
  pwd->shell = nullptr;
  pwd->homedir = nullptr;
}

// $HOME when set (even empty), else the effective user's passwd entry.
int uv_os_homedir(char* buffer, size_t* size) {
  const int r = uv_os_getenv("HOME", buffer, size);  // validates the arguments
  if (r != UV_ENOENT) return r;
  uv_passwd_t pwd;
  if (int err = passwd_of_euid(&pwd); err != 0) return err;
  const int rc = copy_out(pwd.homedir, std::strlen(pwd.homedir), buffer, size);
  uv_os_free_passwd(&pwd);
  return rc;
}

// TMPDIR, TMP, TEMP, TEMPDIR, else /tmp; one trailing slash dropped (but
// "/" stays "/"). The size check comes before the slash is dropped, as in libuv.
int uv_os_tmpdir(char* buffer, size_t* size) {
  if (buffer == nullptr || size == nullptr || *size == 0) return UV_EINVAL;
  const char* dir = nullptr;
  for (const char* name : {"TMPDIR", "TMP", "TEMP", "TEMPDIR"}) {
    dir = std::getenv(name);
    if (dir != nullptr) break;
  }
  if (dir == nullptr) dir = "/tmp";
  size_t len = std::strlen(dir);
  if (len >= *size) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  if (len > 1 && dir[len - 1] == '/') len--;
  std::memcpy(buffer, dir, len);
  buffer[len] = '\0';
  *size = len;
  return 0;
}

int uv_cwd(char* buffer, size_t* size) {
  if (buffer == nullptr || size == nullptr) return UV_EINVAL;
  char scratch[PATH_MAX + 1];
  char* at = buffer;
  if (getcwd(buffer, *size) == nullptr) {
    if (errno != ERANGE) return -errno;
    // Too small: find out how much is needed, for the retry.
    if (getcwd(scratch, sizeof scratch) == nullptr) return -errno;
    at = scratch;
  }
  size_t len = std::strlen(at);
  if (len > 1 && at[len - 1] == '/') at[--len] = '\0';
  if (at == scratch) {
    *size = len + 1;
    return UV_ENOBUFS;
  }
  *size = len;
  return 0;
}

int uv_chdir(const char* dir) {
  if (dir == nullptr) return UV_EINVAL;  // libuv would pass it to chdir(2)
  if (chdir(dir) != 0) return -errno;
  return 0;
}

// /proc/self/exe, cut to fit (libuv does not report truncation).
int uv_exepath(char* buffer, size_t* size) {
  if (buffer == nullptr || size == nullptr || *size == 0) return UV_EINVAL;
  ssize_t n = static_cast<ssize_t>(*size - 1);
  if (n > 0) n = readlink("/proc/self/exe", buffer, static_cast<size_t>(n));
  if (n == -1) return -errno;
  buffer[n] = '\0';
  *size = static_cast<size_t>(n);
  return 0;
}

// ---- host -----------------------------------------------------------------

int uv_os_gethostname(char* buffer, size_t* size) {
  if (buffer == nullptr || size == nullptr || *size == 0) return UV_EINVAL;
  char name[UV_MAXHOSTNAMESIZE];
  if (gethostname(name, sizeof name) != 0) return -errno;
  name[sizeof name - 1] = '\0';
  return copy_out(name, std::strlen(name), buffer, size);
}

int uv_os_uname(uv_utsname_t* buffer) {
  if (buffer == nullptr) return UV_EINVAL;
  struct utsname u;
  int err = 0;
  if (uname(&u) == -1) {
    err = -errno;
  } else {
    // Each field fits (65 < 256 bytes): libuv's UV_E2BIG path cannot happen on Linux.
    std::snprintf(buffer->sysname, sizeof buffer->sysname, "%s", u.sysname);
    std::snprintf(buffer->release, sizeof buffer->release, "%s", u.release);
    std::snprintf(buffer->version, sizeof buffer->version, "%s", u.version);
    std::snprintf(buffer->machine, sizeof buffer->machine, "%s", u.machine);
    return 0;
  }
  buffer->sysname[0] = '\0';
  buffer->release[0] = '\0';
  buffer->version[0] = '\0';
  buffer->machine[0] = '\0';
  return err;
}

int uv_os_getpriority(uv_pid_t pid, int* priority) {
  if (priority == nullptr) return UV_EINVAL;
  errno = 0;
  const int r = getpriority(PRIO_PROCESS, static_cast<id_t>(pid));
  if (r == -1 && errno != 0) return -errno;
  *priority = r;
  return 0;
}

int uv_os_setpriority(uv_pid_t pid, int priority) {
  if (priority < UV_PRIORITY_HIGHEST || priority > UV_PRIORITY_LOW) return UV_EINVAL;
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(pid), priority) != 0) return -errno;
  return 0;
}

uv_pid_t uv_os_getpid(void) { return getpid(); }
uv_pid_t uv_os_getppid(void) { return getppid(); }

// ---- CPUs -------------------------------------------------------------------

int uv_cpu_info(uv_cpu_info_t** cpu_infos, int* count) {
  if (cpu_infos == nullptr || count == nullptr) return UV_EINVAL;  // libuv would crash
  *cpu_infos = nullptr;
  *count = 0;
  FILE* stat = std::fopen("/proc/stat", "re");
  if (stat == nullptr) return -errno;
  int err = 0;
  uv_cpu_info_t* ci = nullptr;
  const unsigned ncpus = count_cpus(stat);
  if (ncpus == 0) {
    err = UV_EIO;
  } else if ((ci = static_cast<uv_cpu_info_t*>(uv_calloc(ncpus, sizeof *ci))) == nullptr) {
    err = UV_ENOMEM;
  } else {
    err = read_models(ncpus, ci);
    if (err == 0) err = read_times(stat, ncpus, ci);
    if (err != 0) {
      uv_free_cpu_info(ci, static_cast<int>(ncpus));
    } else {
      // Not every machine has "cpu MHz" in /proc/cpuinfo: then cpufreq, or 0.
      if (ci[0].speed == 0)
        for (unsigned i = 0; i < ncpus; i++) ci[i].speed = cpufreq_mhz(i);
      *cpu_infos = ci;
      *count = static_cast<int>(ncpus);
    }
  }
  std::fclose(stat);
  return err;
}

void uv_free_cpu_info(uv_cpu_info_t* cpu_infos, int count) {
  for (int i = 0; i < count; i++) uv_free(cpu_infos[i].model);
  uv_free(cpu_infos);
}

// libuv 1.44 on Linux: the affinity mask, else the online CPUs, at least 1.
unsigned int uv_available_parallelism(void) {
  cpu_set_t set;
  CPU_ZERO(&set);
  long rc = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
  return rc < 1 ? 1u : static_cast<unsigned>(rc);
}

// libuv 1.44 on Linux: /proc/loadavg, else sysinfo(2); untouched if both fail.
void uv_loadavg(double avg[3]) {
  if (avg == nullptr) return;
  char buf[128];
  if (slurp("/proc/loadavg", buf, sizeof buf) == 0 &&
      std::sscanf(buf, "%lf %lf %lf", &avg[0], &avg[1], &avg[2]) == 3)
    return;
  struct sysinfo info;
  if (sysinfo(&info) < 0) return;
  for (int i = 0; i < 3; i++) avg[i] = static_cast<double>(info.loads[i]) / 65536.0;
}

// ---- network interfaces ------------------------------------------------------

int uv_interface_addresses(uv_interface_address_t** addresses, int* count) {
  if (addresses == nullptr || count == nullptr) return UV_EINVAL;  // libuv would crash
  *addresses = nullptr;
  *count = 0;
  struct ifaddrs* addrs;
  if (getifaddrs(&addrs) != 0) return -errno;
  int n = 0;
  for (struct ifaddrs* ent = addrs; ent != nullptr; ent = ent->ifa_next)
    if (ifaddr_usable(ent, false)) n++;
  if (n == 0) {
    freeifaddrs(addrs);
    return 0;
  }
  uv_interface_address_t* out =
      static_cast<uv_interface_address_t*>(uv_calloc(static_cast<size_t>(n), sizeof(uv_interface_address_t)));
  if (out == nullptr) {
    freeifaddrs(addrs);
    return UV_ENOMEM;
  }
  int i = 0;
  for (struct ifaddrs* ent = addrs; ent != nullptr; ent = ent->ifa_next) {
    if (!ifaddr_usable(ent, false)) continue;
    uv_interface_address_t* a = &out[i++];
    a->name = uv_strdup(ent->ifa_name);
    if (a->name == nullptr) {
      uv_free_interface_addresses(out, i - 1);
      freeifaddrs(addrs);
      return UV_ENOMEM;
    }
    if (ent->ifa_addr->sa_family == AF_INET6)
      a->address.address6 = *reinterpret_cast<const sockaddr_in6*>(ent->ifa_addr);
    else
      a->address.address4 = *reinterpret_cast<const sockaddr_in*>(ent->ifa_addr);
    if (ent->ifa_netmask != nullptr) {
      if (ent->ifa_netmask->sa_family == AF_INET6)
        a->netmask.netmask6 = *reinterpret_cast<const sockaddr_in6*>(ent->ifa_netmask);
      else
        a->netmask.netmask4 = *reinterpret_cast<const sockaddr_in*>(ent->ifa_netmask);
    }
    a->is_internal = (ent->ifa_flags & IFF_LOOPBACK) != 0;
  }
  // Hardware addresses: an alias ("eth0:1") shares its device's.
  for (struct ifaddrs* ent = addrs; ent != nullptr; ent = ent->ifa_next) {
    if (!ifaddr_usable(ent, true)) continue;
    const size_t len = std::strlen(ent->ifa_name);
    const auto* sll = reinterpret_cast<const sockaddr_ll*>(ent->ifa_addr);
    for (int j = 0; j < n; j++) {
      const char* name = out[j].name;
      if (std::strncmp(name, ent->ifa_name, len) == 0 && (name[len] == '\0' || name[len] == ':'))
        std::memcpy(out[j].phys_addr, sll->sll_addr, sizeof out[j].phys_addr);
    }
  }
  freeifaddrs(addrs);
  *addresses = out;
  *count = n;
  return 0;
}

void uv_free_interface_addresses(uv_interface_address_t* addresses, int count) {
  for (int i = 0; i < count; i++) uv_free(addresses[i].name);
  uv_free(addresses);
}

// ---- memory, time, usage -----------------------------------------------------

// The 24th field of /proc/self/stat (resident pages), in bytes.
int uv_resident_set_memory(size_t* rss) {
  if (rss == nullptr) return UV_EINVAL;  // libuv would crash
  char buf[1024];
  if (int err = slurp("/proc/self/stat", buf, sizeof buf); err != 0) return err;
  // Field 2 is "(comm)" and comm may hold spaces: count from its ')'.
  const char* s = std::strchr(buf, ' ');
  if (s == nullptr || s[1] != '(') return UV_EINVAL;
  s = std::strrchr(s, ')');
  if (s == nullptr) return UV_EINVAL;
  for (int field = 3; field <= 24; field++) {
    s = std::strchr(s + 1, ' ');
    if (s == nullptr) return UV_EINVAL;
  }
  errno = 0;
  const long pages = std::strtol(s, nullptr, 10);
  if (errno != 0 || pages < 0) return UV_EINVAL;
  *rss = static_cast<size_t>(pages) * static_cast<size_t>(getpagesize());
  return 0;
}

// /proc/uptime (right under containers), else CLOCK_BOOTTIME in whole seconds.
int uv_uptime(double* uptime) {
  if (uptime == nullptr) return UV_EINVAL;  // libuv would crash
  char buf[128];
  if (slurp("/proc/uptime", buf, sizeof buf) == 0 && std::sscanf(buf, "%lf", uptime) == 1) return 0;
  struct timespec now;
  if (clock_gettime(CLOCK_BOOTTIME, &now) != 0 && clock_gettime(CLOCK_MONOTONIC, &now) != 0) return -errno;
  *uptime = static_cast<double>(now.tv_sec);
  return 0;
}

uint64_t uv_get_free_memory(void) {
  if (uint64_t bytes = meminfo_bytes("MemAvailable:"); bytes != 0) return bytes;
  struct sysinfo info;
  if (sysinfo(&info) == 0) return static_cast<uint64_t>(info.freeram) * info.mem_unit;
  return 0;
}

uint64_t uv_get_total_memory(void) {
  if (uint64_t bytes = meminfo_bytes("MemTotal:"); bytes != 0) return bytes;
  struct sysinfo info;
  if (sysinfo(&info) == 0) return static_cast<uint64_t>(info.totalram) * info.mem_unit;
  return 0;
}

// libuv 1.44 reads only the cgroup v1 limit; 0 means unknown (also on a
// cgroup v2-only host, where that file does not exist).
uint64_t uv_get_constrained_memory(void) {
  char buf[32];
  uint64_t limit = 0;
  if (slurp("/sys/fs/cgroup/memory/memory.limit_in_bytes", buf, sizeof buf) == 0)
    std::sscanf(buf, "%" SCNu64, &limit);
  return limit;
}

int uv_getrusage(uv_rusage_t* rusage) {
  if (rusage == nullptr) return UV_EINVAL;  // libuv would crash
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return -errno;
  rusage->ru_utime.tv_sec = u.ru_utime.tv_sec;
  rusage->ru_utime.tv_usec = u.ru_utime.tv_usec;
  rusage->ru_stime.tv_sec = u.ru_stime.tv_sec;
  rusage->ru_stime.tv_usec = u.ru_stime.tv_usec;
  rusage->ru_maxrss = static_cast<uint64_t>(u.ru_maxrss);
  rusage->ru_ixrss = static_cast<uint64_t>(u.ru_ixrss);
  rusage->ru_idrss = static_cast<uint64_t>(u.ru_idrss);
  rusage->ru_isrss = static_cast<uint64_t>(u.ru_isrss);
  rusage->ru_minflt = static_cast<uint64_t>(u.ru_minflt);
  rusage->ru_majflt = static_cast<uint64_t>(u.ru_majflt);
  rusage->ru_nswap = static_cast<uint64_t>(u.ru_nswap);
  rusage->ru_inblock = static_cast<uint64_t>(u.ru_inblock);
  rusage->ru_oublock = static_cast<uint64_t>(u.ru_oublock);
  rusage->ru_msgsnd = static_cast<uint64_t>(u.ru_msgsnd);
  rusage->ru_msgrcv = static_cast<uint64_t>(u.ru_msgrcv);
  rusage->ru_nsignals = static_cast<uint64_t>(u.ru_nsignals);
  rusage->ru_nvcsw = static_cast<uint64_t>(u.ru_nvcsw);
  rusage->ru_nivcsw = static_cast<uint64_t>(u.ru_nivcsw);
  return 0;
}

}  // extern "C"
