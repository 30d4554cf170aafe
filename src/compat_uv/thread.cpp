// Threads and synchronisation (libuv 1.44 src/unix/thread.c, Linux/glibc).
//
// Every uv_* lock type is the plain pthread object (include/uv/unix.h), so a
// program may mix uv_ and pthread_ calls on it, as with libuv. Error policy is
// libuv's: init functions and trylocks return UV_E*; a failing lock, unlock,
// wait or destroy means a corrupted or misused object and aborts, because the
// void-returning API has no way to report it.
#include <uv.h>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

// libuv aborts wherever a pthread call in a void function fails.
inline void must(int rc) {
  if (rc != 0) std::abort();
}

// The try* functions: 0 when taken, UV_EBUSY when held elsewhere, abort on
// anything else (EINVAL, EDEADLK...), like libuv.
int try_result(int rc) {
  if (rc == 0) return 0;
  if (rc != EBUSY && rc != EAGAIN) std::abort();
  return UV_EBUSY;
}

std::size_t page_size() { return std::size_t(sysconf(_SC_PAGESIZE)); }

// The smallest stack libuv hands to pthread: 8 KiB (enough to take a signal
// on musl) but never below PTHREAD_STACK_MIN (16 KiB on glibc x86-64).
std::size_t min_stack_size() { return std::max<std::size_t>(8192, PTHREAD_STACK_MIN); }

// libuv's uv__thread_stack_size(): RLIMIT_STACK rounded down to the page size
// when it is finite and at least the minimum, else glibc's usual default, so
// uv threads get the same stack whatever libc or ulimit says.
std::size_t default_stack_size() {
  struct rlimit lim;
  if (getrlimit(RLIMIT_STACK, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
    const rlim_t cur = lim.rlim_cur - lim.rlim_cur % rlim_t(page_size());
    if (cur >= rlim_t(min_stack_size()) && cur <= rlim_t(SIZE_MAX)) return std::size_t(cur);
  }
#if defined(__PPC__) || defined(__ppc__) || defined(__powerpc__)
  return std::size_t(4) << 20;
#else
  return std::size_t(2) << 20;
#endif
}

// An explicit stack size: rounded up to whole pages and raised to the
// minimum, as libuv does. Where rounding up would overflow (libuv wraps to a
// tiny stack there), the largest page multiple is used instead, so an absurd
// request fails in pthread_create with UV_EAGAIN.
std::size_t explicit_stack_size(std::size_t requested) {
  const std::size_t page = page_size();
  const std::size_t rounded =
      requested > SIZE_MAX - (page - 1) ? SIZE_MAX & ~(page - 1) : (requested + page - 1) & ~(page - 1);
  return std::max(rounded, min_stack_size());
}

// libuv casts the void(void*) entry to pthread's void*(void*); Veloq passes
// it through a trampoline instead so the call has the right type.
struct ThreadStart {
  uv_thread_cb entry;
  void* arg;
};

void* thread_main(void* p) {
  const ThreadStart start = *static_cast<ThreadStart*>(p);
  delete static_cast<ThreadStart*>(p);
  start.entry(start.arg);
  return nullptr;
}

}  // namespace

static_assert(sizeof(uv_barrier_t) == sizeof(pthread_barrier_t), "uv_barrier_t is pthread_barrier_t on Linux");
static_assert(sizeof(uv_sem_t) == sizeof(sem_t), "uv_sem_t is sem_t on Linux");

extern "C" {

// ---- threads -------------------------------------------------------------

int uv_thread_create(uv_thread_t* tid, uv_thread_cb entry, void* arg) {
  uv_thread_options_t params;
  params.flags = UV_THREAD_NO_FLAGS;
  params.stack_size = 0;
  return uv_thread_create_ex(tid, &params, entry, arg);
}

// libuv dereferences tid, params and entry unchecked; Veloq answers UV_EINVAL
// for a null one instead of crashing (in the caller or in the new thread).
int uv_thread_create_ex(uv_thread_t* tid, const uv_thread_options_t* params, uv_thread_cb entry, void* arg) {
  if (tid == nullptr || params == nullptr || entry == nullptr) return UV_EINVAL;
  const bool has_size = (params->flags & UV_THREAD_HAS_STACK_SIZE) != 0 && params->stack_size != 0;
  const std::size_t stack_size = has_size ? explicit_stack_size(params->stack_size) : default_stack_size();

  pthread_attr_t attr;
  int err = pthread_attr_init(&attr);
  if (err != 0) return -err;
  err = pthread_attr_setstacksize(&attr, stack_size);
  if (err == 0) {
    auto* start = new (std::nothrow) ThreadStart{entry, arg};
    if (start == nullptr) {
      err = ENOMEM;
    } else {
      err = pthread_create(tid, &attr, thread_main, start);
      if (err != 0) delete start;
    }
  }
  pthread_attr_destroy(&attr);
  return -err;
}

uv_thread_t uv_thread_self(void) { return pthread_self(); }

int uv_thread_join(uv_thread_t* tid) { return -pthread_join(*tid, nullptr); }

int uv_thread_equal(const uv_thread_t* t1, const uv_thread_t* t2) { return pthread_equal(*t1, *t2); }

// ---- mutexes -------------------------------------------------------------

// A default (non-error-checking) mutex, as libuv release builds (the ones
// distributions ship) create; libuv debug builds use PTHREAD_MUTEX_ERRORCHECK.
int uv_mutex_init(uv_mutex_t* mutex) { return -pthread_mutex_init(mutex, nullptr); }

int uv_mutex_init_recursive(uv_mutex_t* mutex) {
  pthread_mutexattr_t attr;
  must(pthread_mutexattr_init(&attr));
  must(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE));
  const int err = pthread_mutex_init(mutex, &attr);
  must(pthread_mutexattr_destroy(&attr));
  return -err;
}

void uv_mutex_destroy(uv_mutex_t* mutex) { must(pthread_mutex_destroy(mutex)); }
void uv_mutex_lock(uv_mutex_t* mutex) { must(pthread_mutex_lock(mutex)); }
int uv_mutex_trylock(uv_mutex_t* mutex) { return try_result(pthread_mutex_trylock(mutex)); }
void uv_mutex_unlock(uv_mutex_t* mutex) { must(pthread_mutex_unlock(mutex)); }

// ---- read-write locks ----------------------------------------------------

int uv_rwlock_init(uv_rwlock_t* rwlock) { return -pthread_rwlock_init(rwlock, nullptr); }
void uv_rwlock_destroy(uv_rwlock_t* rwlock) { must(pthread_rwlock_destroy(rwlock)); }
void uv_rwlock_rdlock(uv_rwlock_t* rwlock) { must(pthread_rwlock_rdlock(rwlock)); }
int uv_rwlock_tryrdlock(uv_rwlock_t* rwlock) { return try_result(pthread_rwlock_tryrdlock(rwlock)); }
void uv_rwlock_rdunlock(uv_rwlock_t* rwlock) { must(pthread_rwlock_unlock(rwlock)); }
void uv_rwlock_wrlock(uv_rwlock_t* rwlock) { must(pthread_rwlock_wrlock(rwlock)); }
int uv_rwlock_trywrlock(uv_rwlock_t* rwlock) { return try_result(pthread_rwlock_trywrlock(rwlock)); }
void uv_rwlock_wrunlock(uv_rwlock_t* rwlock) { must(pthread_rwlock_unlock(rwlock)); }

// ---- semaphores ----------------------------------------------------------
// POSIX semaphores: libuv only substitutes its own for glibc < 2.21.

int uv_sem_init(uv_sem_t* sem, unsigned int value) { return sem_init(sem, 0, value) == 0 ? 0 : -errno; }
void uv_sem_destroy(uv_sem_t* sem) { must(sem_destroy(sem)); }
void uv_sem_post(uv_sem_t* sem) { must(sem_post(sem)); }

void uv_sem_wait(uv_sem_t* sem) {
  int r;
  do r = sem_wait(sem);
  while (r == -1 && errno == EINTR);
  must(r);
}

int uv_sem_trywait(uv_sem_t* sem) {
  int r;
  do r = sem_trywait(sem);
  while (r == -1 && errno == EINTR);
  if (r == 0) return 0;
  if (errno != EAGAIN) std::abort();
  return UV_EAGAIN;
}

// ---- condition variables -------------------------------------------------

// The condition waits on CLOCK_MONOTONIC so uv_cond_timedwait is immune to
// wall-clock jumps (libuv on Linux).
int uv_cond_init(uv_cond_t* cond) {
  pthread_condattr_t attr;
  int err = pthread_condattr_init(&attr);
  if (err != 0) return -err;
  err = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  if (err == 0) err = pthread_cond_init(cond, &attr);
  pthread_condattr_destroy(&attr);
  return -err;
}

void uv_cond_destroy(uv_cond_t* cond) { must(pthread_cond_destroy(cond)); }
void uv_cond_signal(uv_cond_t* cond) { must(pthread_cond_signal(cond)); }
void uv_cond_broadcast(uv_cond_t* cond) { must(pthread_cond_broadcast(cond)); }
void uv_cond_wait(uv_cond_t* cond, uv_mutex_t* mutex) { must(pthread_cond_wait(cond, mutex)); }

// `timeout` is relative, in nanoseconds. The deadline saturates instead of
// wrapping (libuv wraps, turning a huge timeout into an immediate timeout).
int uv_cond_timedwait(uv_cond_t* cond, uv_mutex_t* mutex, uint64_t timeout) {
  const uint64_t now = uv_hrtime();
  const uint64_t deadline = timeout > UINT64_MAX - now ? UINT64_MAX : now + timeout;
  struct timespec ts;
  ts.tv_sec = time_t(deadline / 1'000'000'000u);
  ts.tv_nsec = long(deadline % 1'000'000'000u);
  const int r = pthread_cond_timedwait(cond, mutex, &ts);
  if (r == 0) return 0;
  if (r == ETIMEDOUT) return UV_ETIMEDOUT;
  std::abort();
}

// ---- barriers ------------------------------------------------------------
// glibc has pthread barriers, so uv_barrier_t is one (see include/uv/unix.h).

int uv_barrier_init(uv_barrier_t* barrier, unsigned int count) {
  return -pthread_barrier_init(barrier, nullptr, count);
}

void uv_barrier_destroy(uv_barrier_t* barrier) { must(pthread_barrier_destroy(barrier)); }

// >0 in exactly one of the threads released together (the "serial" one).
int uv_barrier_wait(uv_barrier_t* barrier) {
  const int r = pthread_barrier_wait(barrier);
  if (r != 0 && r != PTHREAD_BARRIER_SERIAL_THREAD) std::abort();
  return r == PTHREAD_BARRIER_SERIAL_THREAD;
}

// ---- once and thread-local keys ------------------------------------------

void uv_once(uv_once_t* guard, void (*callback)(void)) { must(pthread_once(guard, callback)); }

int uv_key_create(uv_key_t* key) { return -pthread_key_create(key, nullptr); }
void uv_key_delete(uv_key_t* key) { must(pthread_key_delete(*key)); }
void* uv_key_get(uv_key_t* key) { return pthread_getspecific(*key); }
void uv_key_set(uv_key_t* key, void* value) { must(pthread_setspecific(*key, value)); }

}  // extern "C"
