/* Veloq -- uv/threadpool.h
 *
 * struct uv__work is named in the public uv_random_t layout (its work_req
 * member), so its shape is ABI.  Veloq's blocking pool may use the storage as
 * it likes; only the size and member offsets must stay libuv's.
 */
#ifndef UV_THREADPOOL_H_
#define UV_THREADPOOL_H_

struct uv_loop_s;

struct uv__work {
  void (*work)(struct uv__work* w);
  void (*done)(struct uv__work* w, int status);
  struct uv_loop_s* loop;
  void* wq[2];
};

#endif /* UV_THREADPOOL_H_ */
