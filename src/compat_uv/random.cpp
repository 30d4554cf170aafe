// uv_random (libuv 1.44 src/random.c, src/unix/random-getrandom.c):
// getrandom(2) in chunks of at most 256 bytes (never interrupted by a
// signal), /dev/urandom when the kernel has no getrandom; on the threadpool
// when a callback is given.
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "compat_uv/stream.hpp"  // req_register / req_unregister
#include "compat_uv/threadpool.hpp"

using namespace veloq::uvc;

namespace {

int random_from_urandom(void* buf, size_t len) {
  int fd;
  do fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  while (fd == -1 && errno == EINTR);
  if (fd == -1) return -errno;
  size_t pos = 0;
  int err = 0;
  while (pos < len) {
    ssize_t n = read(fd, static_cast<char*>(buf) + pos, len - pos);
    if (n == -1 && errno == EINTR) continue;
    if (n == -1) {
      err = -errno;
      break;
    }
    if (n == 0) {
      err = UV_EIO;
      break;
    }
    pos += static_cast<size_t>(n);
  }
  close(fd);
  return err;
}

int fill_random(void* buf, size_t len) {
  for (size_t pos = 0; pos < len;) {
    size_t chunk = len - pos;
    if (chunk > 256) chunk = 256;
    ssize_t n;
    do n = getrandom(static_cast<char*>(buf) + pos, chunk, 0);
    while (n == -1 && errno == EINTR);
    if (n == -1 && errno == ENOSYS && pos == 0) return random_from_urandom(buf, len);
    if (n == -1) return -errno;
    if (n == 0) return UV_EIO;
    pos += static_cast<size_t>(n);
  }
  return 0;
}

WorkItem* work_of(uv_random_t* req) { return reinterpret_cast<WorkItem*>(&req->work_req); }
uv_random_t* req_of(WorkItem* w) {
  return reinterpret_cast<uv_random_t*>(reinterpret_cast<char*>(w) - offsetof(uv_random_t, work_req));
}

void random_work(WorkItem* w) {
  uv_random_t* req = req_of(w);
  req->status = fill_random(req->buf, req->buflen);
}

void random_done(WorkItem* w, int status) {
  uv_random_t* req = req_of(w);
  req_unregister(req->loop);
  if (status == 0) status = req->status;
  req->cb(req, status, req->buf, req->buflen);
}

}  // namespace

extern "C" {

int uv_random(uv_loop_t* loop, uv_random_t* req, void* buf, size_t buflen, unsigned flags, uv_random_cb cb) {
  if (buflen > 0x7FFFFFFFu) return UV_E2BIG;
  if (flags != 0) return UV_EINVAL;
  if (cb == nullptr) return fill_random(buf, buflen);
  if (loop == nullptr || req == nullptr) return UV_EINVAL;  // libuv would crash
  req->type = UV_RANDOM;
  req_register(loop);
  req->loop = loop;
  req->status = 0;
  req->cb = cb;
  req->buf = buf;
  req->buflen = buflen;
  work_submit(loop, work_of(req), WorkKind::Cpu, random_work, random_done);
  return 0;
}

}  // extern "C"
