/* Veloq ABI layout table.
 *
 * X-macro lists of everything whose binary shape must equal libuv 1.44 on
 * Linux x86_64.  layout_dump.c (C) and signature_dump.cpp (C++) expand these
 * lists and print them; CMake builds each dumper twice -- once against the
 * installed libuv headers (/usr/include, the oracle) and once against Veloq's
 * include/ -- and the `abi` tests require identical output.
 *
 * The lists are written by hand from the libuv 1.44 API.  "Public" fields
 * are the ones libuv declares in uv.h struct bodies (plus the few its own
 * comments call "not really private": getaddrinfo.addrinfo, getnameinfo
 * host/service).  Everything libuv hides in its *_PRIVATE_FIELDS macros is
 * Veloq's own storage and is checked only through sizeof/alignof.
 */
#ifndef VELOQ_TEST_ABI_LAYOUT_TABLE_H
#define VELOQ_TEST_ABI_LAYOUT_TABLE_H

/* T(type): sizeof and alignof are printed. */
#define VELOQ_ABI_TYPES(T) \
  T(uv_loop_t) T(uv_handle_t) T(uv_stream_t) T(uv_tcp_t) T(uv_udp_t) \
  T(uv_pipe_t) T(uv_tty_t) T(uv_poll_t) T(uv_timer_t) T(uv_prepare_t) \
  T(uv_check_t) T(uv_idle_t) T(uv_async_t) T(uv_process_t) \
  T(uv_fs_event_t) T(uv_fs_poll_t) T(uv_signal_t) \
  T(uv_req_t) T(uv_getaddrinfo_t) T(uv_getnameinfo_t) T(uv_shutdown_t) \
  T(uv_write_t) T(uv_connect_t) T(uv_udp_send_t) T(uv_fs_t) T(uv_work_t) \
  T(uv_random_t) \
  T(uv_dir_t) T(uv_dirent_t) T(uv_stat_t) T(uv_timespec_t) T(uv_timeval_t) \
  T(uv_timeval64_t) T(uv_rusage_t) T(uv_cpu_info_t) T(struct uv_cpu_times_s) \
  T(uv_interface_address_t) T(uv_passwd_t) T(uv_utsname_t) T(uv_statfs_t) \
  T(uv_env_item_t) T(uv_process_options_t) T(uv_stdio_container_t) \
  T(uv_buf_t) T(uv_lib_t) T(uv_thread_options_t) T(struct uv__work) \
  T(union uv_any_handle) T(union uv_any_req) \
  T(uv_file) T(uv_os_sock_t) T(uv_os_fd_t) T(uv_pid_t) T(uv_uid_t) \
  T(uv_gid_t) T(uv__dirent_t) \
  T(uv_once_t) T(uv_thread_t) T(uv_mutex_t) T(uv_rwlock_t) T(uv_sem_t) \
  T(uv_cond_t) T(uv_key_t) T(uv_barrier_t) \
  T(uv_errno_t) T(uv_handle_type) T(uv_req_type) T(uv_loop_option) \
  T(uv_run_mode) T(uv_membership) T(enum uv_tcp_flags) T(enum uv_udp_flags) \
  T(uv_tty_mode_t) T(uv_tty_vtermstate_t) T(enum uv_poll_event) \
  T(uv_stdio_flags) T(enum uv_process_flags) T(uv_dirent_type_t) \
  T(uv_fs_type) T(enum uv_fs_event) T(enum uv_fs_event_flags) \
  T(uv_thread_create_flags) \
  T(uv_malloc_func) T(uv_alloc_cb) T(uv_read_cb) T(uv_exit_cb)

/* Integer typedefs whose exact C type matters (printed via _Generic). */
#define VELOQ_ABI_INT_TYPEDEFS(I) \
  I(uv_file) I(uv_os_sock_t) I(uv_os_fd_t) I(uv_pid_t) I(uv_uid_t) \
  I(uv_gid_t) I(uv_key_t) I(uv_thread_t) I(uv_once_t)

/* Fields of the uv_handle_t header, repeated in every handle type. */
#define VELOQ_ABI_HANDLE_FIELDS(F, ty) \
  F(ty, data) F(ty, loop) F(ty, type) F(ty, close_cb) \
  F(ty, handle_queue) F(ty, u) F(ty, u.fd) F(ty, u.reserved)

/* Fields uv_stream_t adds (tcp, pipe and tty repeat them). */
#define VELOQ_ABI_STREAM_FIELDS(F, ty) \
  VELOQ_ABI_HANDLE_FIELDS(F, ty) \
  F(ty, write_queue_size) F(ty, alloc_cb) F(ty, read_cb)

/* Fields of the uv_req_t header, repeated in every request type. */
#define VELOQ_ABI_REQ_FIELDS(F, ty) \
  F(ty, data) F(ty, type) F(ty, reserved)

/* F(type, member): offsetof and sizeof(member) are printed. */
#define VELOQ_ABI_FIELDS(F) \
  F(uv_loop_t, data) F(uv_loop_t, active_handles) F(uv_loop_t, handle_queue) \
  F(uv_loop_t, active_reqs) F(uv_loop_t, active_reqs.unused) \
  F(uv_loop_t, active_reqs.count) F(uv_loop_t, internal_fields) \
  F(uv_loop_t, stop_flag) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_handle_t) \
  VELOQ_ABI_STREAM_FIELDS(F, uv_stream_t) \
  VELOQ_ABI_STREAM_FIELDS(F, uv_tcp_t) \
  VELOQ_ABI_STREAM_FIELDS(F, uv_pipe_t) F(uv_pipe_t, ipc) \
  VELOQ_ABI_STREAM_FIELDS(F, uv_tty_t) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_udp_t) \
  F(uv_udp_t, send_queue_size) F(uv_udp_t, send_queue_count) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_poll_t) F(uv_poll_t, poll_cb) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_timer_t) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_prepare_t) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_check_t) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_idle_t) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_async_t) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_process_t) \
  F(uv_process_t, exit_cb) F(uv_process_t, pid) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_fs_event_t) F(uv_fs_event_t, path) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_fs_poll_t) F(uv_fs_poll_t, poll_ctx) \
  VELOQ_ABI_HANDLE_FIELDS(F, uv_signal_t) \
  F(uv_signal_t, signal_cb) F(uv_signal_t, signum) \
  VELOQ_ABI_REQ_FIELDS(F, uv_req_t) \
  VELOQ_ABI_REQ_FIELDS(F, uv_getaddrinfo_t) \
  F(uv_getaddrinfo_t, loop) F(uv_getaddrinfo_t, addrinfo) \
  VELOQ_ABI_REQ_FIELDS(F, uv_getnameinfo_t) \
  F(uv_getnameinfo_t, loop) F(uv_getnameinfo_t, host) \
  F(uv_getnameinfo_t, service) \
  VELOQ_ABI_REQ_FIELDS(F, uv_shutdown_t) \
  F(uv_shutdown_t, handle) F(uv_shutdown_t, cb) \
  VELOQ_ABI_REQ_FIELDS(F, uv_write_t) \
  F(uv_write_t, cb) F(uv_write_t, send_handle) F(uv_write_t, handle) \
  VELOQ_ABI_REQ_FIELDS(F, uv_connect_t) \
  F(uv_connect_t, cb) F(uv_connect_t, handle) \
  VELOQ_ABI_REQ_FIELDS(F, uv_udp_send_t) \
  F(uv_udp_send_t, handle) F(uv_udp_send_t, cb) \
  VELOQ_ABI_REQ_FIELDS(F, uv_fs_t) \
  F(uv_fs_t, fs_type) F(uv_fs_t, loop) F(uv_fs_t, cb) F(uv_fs_t, result) \
  F(uv_fs_t, ptr) F(uv_fs_t, path) F(uv_fs_t, statbuf) \
  VELOQ_ABI_REQ_FIELDS(F, uv_work_t) \
  F(uv_work_t, loop) F(uv_work_t, work_cb) F(uv_work_t, after_work_cb) \
  VELOQ_ABI_REQ_FIELDS(F, uv_random_t) \
  F(uv_random_t, loop) F(uv_random_t, status) F(uv_random_t, buf) \
  F(uv_random_t, buflen) F(uv_random_t, cb) F(uv_random_t, work_req) \
  F(uv_dir_t, dirents) F(uv_dir_t, nentries) F(uv_dir_t, reserved) \
  F(uv_dirent_t, name) F(uv_dirent_t, type) \
  F(uv_stat_t, st_dev) F(uv_stat_t, st_mode) F(uv_stat_t, st_nlink) \
  F(uv_stat_t, st_uid) F(uv_stat_t, st_gid) F(uv_stat_t, st_rdev) \
  F(uv_stat_t, st_ino) F(uv_stat_t, st_size) F(uv_stat_t, st_blksize) \
  F(uv_stat_t, st_blocks) F(uv_stat_t, st_flags) F(uv_stat_t, st_gen) \
  F(uv_stat_t, st_atim) F(uv_stat_t, st_mtim) F(uv_stat_t, st_ctim) \
  F(uv_stat_t, st_birthtim) F(uv_stat_t, st_atim.tv_sec) \
  F(uv_stat_t, st_atim.tv_nsec) \
  F(uv_timespec_t, tv_sec) F(uv_timespec_t, tv_nsec) \
  F(uv_timeval_t, tv_sec) F(uv_timeval_t, tv_usec) \
  F(uv_timeval64_t, tv_sec) F(uv_timeval64_t, tv_usec) \
  F(uv_rusage_t, ru_utime) F(uv_rusage_t, ru_stime) F(uv_rusage_t, ru_maxrss) \
  F(uv_rusage_t, ru_ixrss) F(uv_rusage_t, ru_idrss) F(uv_rusage_t, ru_isrss) \
  F(uv_rusage_t, ru_minflt) F(uv_rusage_t, ru_majflt) \
  F(uv_rusage_t, ru_nswap) F(uv_rusage_t, ru_inblock) \
  F(uv_rusage_t, ru_oublock) F(uv_rusage_t, ru_msgsnd) \
  F(uv_rusage_t, ru_msgrcv) F(uv_rusage_t, ru_nsignals) \
  F(uv_rusage_t, ru_nvcsw) F(uv_rusage_t, ru_nivcsw) \
  F(uv_cpu_info_t, model) F(uv_cpu_info_t, speed) F(uv_cpu_info_t, cpu_times) \
  F(uv_cpu_info_t, cpu_times.user) F(uv_cpu_info_t, cpu_times.nice) \
  F(uv_cpu_info_t, cpu_times.sys) F(uv_cpu_info_t, cpu_times.idle) \
  F(uv_cpu_info_t, cpu_times.irq) \
  F(uv_interface_address_t, name) F(uv_interface_address_t, phys_addr) \
  F(uv_interface_address_t, is_internal) F(uv_interface_address_t, address) \
  F(uv_interface_address_t, address.address4) \
  F(uv_interface_address_t, address.address6) \
  F(uv_interface_address_t, netmask) \
  F(uv_interface_address_t, netmask.netmask4) \
  F(uv_interface_address_t, netmask.netmask6) \
  F(uv_passwd_t, username) F(uv_passwd_t, uid) F(uv_passwd_t, gid) \
  F(uv_passwd_t, shell) F(uv_passwd_t, homedir) \
  F(uv_utsname_t, sysname) F(uv_utsname_t, release) F(uv_utsname_t, version) \
  F(uv_utsname_t, machine) \
  F(uv_statfs_t, f_type) F(uv_statfs_t, f_bsize) F(uv_statfs_t, f_blocks) \
  F(uv_statfs_t, f_bfree) F(uv_statfs_t, f_bavail) F(uv_statfs_t, f_files) \
  F(uv_statfs_t, f_ffree) F(uv_statfs_t, f_spare) \
  F(uv_env_item_t, name) F(uv_env_item_t, value) \
  F(uv_process_options_t, exit_cb) F(uv_process_options_t, file) \
  F(uv_process_options_t, args) F(uv_process_options_t, env) \
  F(uv_process_options_t, cwd) F(uv_process_options_t, flags) \
  F(uv_process_options_t, stdio_count) F(uv_process_options_t, stdio) \
  F(uv_process_options_t, uid) F(uv_process_options_t, gid) \
  F(uv_stdio_container_t, flags) F(uv_stdio_container_t, data) \
  F(uv_stdio_container_t, data.stream) F(uv_stdio_container_t, data.fd) \
  F(uv_buf_t, base) F(uv_buf_t, len) \
  F(uv_lib_t, handle) F(uv_lib_t, errmsg) \
  F(uv_thread_options_t, flags) F(uv_thread_options_t, stack_size) \
  F(struct uv__work, work) F(struct uv__work, done) F(struct uv__work, loop) \
  F(struct uv__work, wq)

/* C(name): integer constants (enumerators and macros), printed as values. */
#define VELOQ_ABI_CONSTANTS(C) \
  C(UV_VERSION_MAJOR) C(UV_VERSION_MINOR) C(UV_VERSION_PATCH) \
  C(UV_VERSION_IS_RELEASE) C(UV_VERSION_HEX) \
  C(UV_ERRNO_MAX) C(UV_UNKNOWN_HANDLE) C(UV_FILE) C(UV_HANDLE_TYPE_MAX) \
  C(UV_UNKNOWN_REQ) C(UV_REQ_TYPE_MAX) \
  C(UV_LOOP_BLOCK_SIGNAL) C(UV_METRICS_IDLE_TIME) \
  C(UV_RUN_DEFAULT) C(UV_RUN_ONCE) C(UV_RUN_NOWAIT) \
  C(UV_LEAVE_GROUP) C(UV_JOIN_GROUP) \
  C(UV_TCP_IPV6ONLY) \
  C(UV_UDP_IPV6ONLY) C(UV_UDP_PARTIAL) C(UV_UDP_REUSEADDR) \
  C(UV_UDP_MMSG_CHUNK) C(UV_UDP_MMSG_FREE) C(UV_UDP_LINUX_RECVERR) \
  C(UV_UDP_RECVMMSG) \
  C(UV_TTY_MODE_NORMAL) C(UV_TTY_MODE_RAW) C(UV_TTY_MODE_IO) \
  C(UV_TTY_SUPPORTED) C(UV_TTY_UNSUPPORTED) \
  C(UV_READABLE) C(UV_WRITABLE) C(UV_DISCONNECT) C(UV_PRIORITIZED) \
  C(UV_IGNORE) C(UV_CREATE_PIPE) C(UV_INHERIT_FD) C(UV_INHERIT_STREAM) \
  C(UV_READABLE_PIPE) C(UV_WRITABLE_PIPE) C(UV_NONBLOCK_PIPE) \
  C(UV_OVERLAPPED_PIPE) \
  C(UV_PROCESS_SETUID) C(UV_PROCESS_SETGID) \
  C(UV_PROCESS_WINDOWS_VERBATIM_ARGUMENTS) C(UV_PROCESS_DETACHED) \
  C(UV_PROCESS_WINDOWS_HIDE) C(UV_PROCESS_WINDOWS_HIDE_CONSOLE) \
  C(UV_PROCESS_WINDOWS_HIDE_GUI) \
  C(UV_DIRENT_UNKNOWN) C(UV_DIRENT_FILE) C(UV_DIRENT_DIR) C(UV_DIRENT_LINK) \
  C(UV_DIRENT_FIFO) C(UV_DIRENT_SOCKET) C(UV_DIRENT_CHAR) C(UV_DIRENT_BLOCK) \
  C(UV_FS_UNKNOWN) C(UV_FS_CUSTOM) C(UV_FS_OPEN) C(UV_FS_CLOSE) \
  C(UV_FS_READ) C(UV_FS_WRITE) C(UV_FS_SENDFILE) C(UV_FS_STAT) \
  C(UV_FS_LSTAT) C(UV_FS_FSTAT) C(UV_FS_FTRUNCATE) C(UV_FS_UTIME) \
  C(UV_FS_FUTIME) C(UV_FS_ACCESS) C(UV_FS_CHMOD) C(UV_FS_FCHMOD) \
  C(UV_FS_FSYNC) C(UV_FS_FDATASYNC) C(UV_FS_UNLINK) C(UV_FS_RMDIR) \
  C(UV_FS_MKDIR) C(UV_FS_MKDTEMP) C(UV_FS_RENAME) C(UV_FS_SCANDIR) \
  C(UV_FS_LINK) C(UV_FS_SYMLINK) C(UV_FS_READLINK) C(UV_FS_CHOWN) \
  C(UV_FS_FCHOWN) C(UV_FS_REALPATH) C(UV_FS_COPYFILE) C(UV_FS_LCHOWN) \
  C(UV_FS_OPENDIR) C(UV_FS_READDIR) C(UV_FS_CLOSEDIR) C(UV_FS_STATFS) \
  C(UV_FS_MKSTEMP) C(UV_FS_LUTIME) \
  C(UV_RENAME) C(UV_CHANGE) \
  C(UV_FS_EVENT_WATCH_ENTRY) C(UV_FS_EVENT_STAT) C(UV_FS_EVENT_RECURSIVE) \
  C(UV_THREAD_NO_FLAGS) C(UV_THREAD_HAS_STACK_SIZE) \
  C(UV_FS_COPYFILE_EXCL) C(UV_FS_COPYFILE_FICLONE) \
  C(UV_FS_COPYFILE_FICLONE_FORCE) C(UV_FS_SYMLINK_DIR) \
  C(UV_FS_SYMLINK_JUNCTION) \
  C(UV_FS_O_APPEND) C(UV_FS_O_CREAT) C(UV_FS_O_DIRECT) C(UV_FS_O_DIRECTORY) \
  C(UV_FS_O_DSYNC) C(UV_FS_O_EXCL) C(UV_FS_O_EXLOCK) C(UV_FS_O_NOATIME) \
  C(UV_FS_O_NOCTTY) C(UV_FS_O_NOFOLLOW) C(UV_FS_O_NONBLOCK) \
  C(UV_FS_O_RDONLY) C(UV_FS_O_RDWR) C(UV_FS_O_SYMLINK) C(UV_FS_O_SYNC) \
  C(UV_FS_O_TRUNC) C(UV_FS_O_WRONLY) C(UV_FS_O_FILEMAP) C(UV_FS_O_RANDOM) \
  C(UV_FS_O_SHORT_LIVED) C(UV_FS_O_SEQUENTIAL) C(UV_FS_O_TEMPORARY) \
  C(UV_PRIORITY_LOW) C(UV_PRIORITY_BELOW_NORMAL) C(UV_PRIORITY_NORMAL) \
  C(UV_PRIORITY_ABOVE_NORMAL) C(UV_PRIORITY_HIGH) C(UV_PRIORITY_HIGHEST) \
  C(UV_IF_NAMESIZE) C(UV_MAXHOSTNAMESIZE) C(NI_MAXHOST) C(NI_MAXSERV) \
  C(UV__EOF) C(UV__UNKNOWN)

/* Callback and function-pointer typedefs (C++ dumper prints their types). */
#define VELOQ_ABI_CALLBACK_TYPES(X) \
  X(uv_malloc_func) X(uv_realloc_func) X(uv_calloc_func) X(uv_free_func) \
  X(uv_alloc_cb) X(uv_read_cb) X(uv_write_cb) X(uv_connect_cb) \
  X(uv_shutdown_cb) X(uv_connection_cb) X(uv_close_cb) X(uv_poll_cb) \
  X(uv_timer_cb) X(uv_async_cb) X(uv_prepare_cb) X(uv_check_cb) \
  X(uv_idle_cb) X(uv_exit_cb) X(uv_walk_cb) X(uv_fs_cb) X(uv_work_cb) \
  X(uv_after_work_cb) X(uv_getaddrinfo_cb) X(uv_getnameinfo_cb) \
  X(uv_random_cb) X(uv_fs_event_cb) X(uv_fs_poll_cb) X(uv_signal_cb) \
  X(uv_udp_send_cb) X(uv_udp_recv_cb) X(uv_thread_cb)

/* Every public function of libuv 1.44 (uv_tty_set_mode, overloaded in C++,
 * is checked separately by signature_dump.cpp). */
#define VELOQ_ABI_FUNCTIONS(X) \
  X(uv_version) \
  X(uv_version_string) \
  X(uv_library_shutdown) \
  X(uv_replace_allocator) \
  X(uv_default_loop) \
  X(uv_loop_init) \
  X(uv_loop_close) \
  X(uv_loop_new) \
  X(uv_loop_delete) \
  X(uv_loop_size) \
  X(uv_loop_alive) \
  X(uv_loop_configure) \
  X(uv_loop_fork) \
  X(uv_run) \
  X(uv_stop) \
  X(uv_ref) \
  X(uv_unref) \
  X(uv_has_ref) \
  X(uv_update_time) \
  X(uv_now) \
  X(uv_backend_fd) \
  X(uv_backend_timeout) \
  X(uv_translate_sys_error) \
  X(uv_strerror) \
  X(uv_strerror_r) \
  X(uv_err_name) \
  X(uv_err_name_r) \
  X(uv_shutdown) \
  X(uv_handle_size) \
  X(uv_handle_get_type) \
  X(uv_handle_type_name) \
  X(uv_handle_get_data) \
  X(uv_handle_get_loop) \
  X(uv_handle_set_data) \
  X(uv_req_size) \
  X(uv_req_get_data) \
  X(uv_req_set_data) \
  X(uv_req_get_type) \
  X(uv_req_type_name) \
  X(uv_is_active) \
  X(uv_walk) \
  X(uv_print_all_handles) \
  X(uv_print_active_handles) \
  X(uv_close) \
  X(uv_send_buffer_size) \
  X(uv_recv_buffer_size) \
  X(uv_fileno) \
  X(uv_buf_init) \
  X(uv_pipe) \
  X(uv_socketpair) \
  X(uv_stream_get_write_queue_size) \
  X(uv_listen) \
  X(uv_accept) \
  X(uv_read_start) \
  X(uv_read_stop) \
  X(uv_write) \
  X(uv_write2) \
  X(uv_try_write) \
  X(uv_try_write2) \
  X(uv_is_readable) \
  X(uv_is_writable) \
  X(uv_stream_set_blocking) \
  X(uv_is_closing) \
  X(uv_tcp_init) \
  X(uv_tcp_init_ex) \
  X(uv_tcp_open) \
  X(uv_tcp_nodelay) \
  X(uv_tcp_keepalive) \
  X(uv_tcp_simultaneous_accepts) \
  X(uv_tcp_bind) \
  X(uv_tcp_getsockname) \
  X(uv_tcp_getpeername) \
  X(uv_tcp_close_reset) \
  X(uv_tcp_connect) \
  X(uv_udp_init) \
  X(uv_udp_init_ex) \
  X(uv_udp_open) \
  X(uv_udp_bind) \
  X(uv_udp_connect) \
  X(uv_udp_getpeername) \
  X(uv_udp_getsockname) \
  X(uv_udp_set_membership) \
  X(uv_udp_set_source_membership) \
  X(uv_udp_set_multicast_loop) \
  X(uv_udp_set_multicast_ttl) \
  X(uv_udp_set_multicast_interface) \
  X(uv_udp_set_broadcast) \
  X(uv_udp_set_ttl) \
  X(uv_udp_send) \
  X(uv_udp_try_send) \
  X(uv_udp_recv_start) \
  X(uv_udp_using_recvmmsg) \
  X(uv_udp_recv_stop) \
  X(uv_udp_get_send_queue_size) \
  X(uv_udp_get_send_queue_count) \
  X(uv_tty_init) \
  X(uv_tty_reset_mode) \
  X(uv_tty_get_winsize) \
  X(uv_tty_set_vterm_state) \
  X(uv_tty_get_vterm_state) \
  X(uv_guess_handle) \
  X(uv_pipe_init) \
  X(uv_pipe_open) \
  X(uv_pipe_bind) \
  X(uv_pipe_connect) \
  X(uv_pipe_getsockname) \
  X(uv_pipe_getpeername) \
  X(uv_pipe_pending_instances) \
  X(uv_pipe_pending_count) \
  X(uv_pipe_pending_type) \
  X(uv_pipe_chmod) \
  X(uv_poll_init) \
  X(uv_poll_init_socket) \
  X(uv_poll_start) \
  X(uv_poll_stop) \
  X(uv_prepare_init) \
  X(uv_prepare_start) \
  X(uv_prepare_stop) \
  X(uv_check_init) \
  X(uv_check_start) \
  X(uv_check_stop) \
  X(uv_idle_init) \
  X(uv_idle_start) \
  X(uv_idle_stop) \
  X(uv_async_init) \
  X(uv_async_send) \
  X(uv_timer_init) \
  X(uv_timer_start) \
  X(uv_timer_stop) \
  X(uv_timer_again) \
  X(uv_timer_set_repeat) \
  X(uv_timer_get_repeat) \
  X(uv_timer_get_due_in) \
  X(uv_getaddrinfo) \
  X(uv_freeaddrinfo) \
  X(uv_getnameinfo) \
  X(uv_spawn) \
  X(uv_process_kill) \
  X(uv_kill) \
  X(uv_process_get_pid) \
  X(uv_queue_work) \
  X(uv_cancel) \
  X(uv_setup_args) \
  X(uv_get_process_title) \
  X(uv_set_process_title) \
  X(uv_resident_set_memory) \
  X(uv_uptime) \
  X(uv_get_osfhandle) \
  X(uv_open_osfhandle) \
  X(uv_getrusage) \
  X(uv_os_homedir) \
  X(uv_os_tmpdir) \
  X(uv_os_get_passwd) \
  X(uv_os_free_passwd) \
  X(uv_os_getpid) \
  X(uv_os_getppid) \
  X(uv_os_getpriority) \
  X(uv_os_setpriority) \
  X(uv_available_parallelism) \
  X(uv_cpu_info) \
  X(uv_free_cpu_info) \
  X(uv_interface_addresses) \
  X(uv_free_interface_addresses) \
  X(uv_os_environ) \
  X(uv_os_free_environ) \
  X(uv_os_getenv) \
  X(uv_os_setenv) \
  X(uv_os_unsetenv) \
  X(uv_os_gethostname) \
  X(uv_os_uname) \
  X(uv_metrics_idle_time) \
  X(uv_fs_get_type) \
  X(uv_fs_get_result) \
  X(uv_fs_get_system_error) \
  X(uv_fs_get_ptr) \
  X(uv_fs_get_path) \
  X(uv_fs_get_statbuf) \
  X(uv_fs_req_cleanup) \
  X(uv_fs_close) \
  X(uv_fs_open) \
  X(uv_fs_read) \
  X(uv_fs_unlink) \
  X(uv_fs_write) \
  X(uv_fs_copyfile) \
  X(uv_fs_mkdir) \
  X(uv_fs_mkdtemp) \
  X(uv_fs_mkstemp) \
  X(uv_fs_rmdir) \
  X(uv_fs_scandir) \
  X(uv_fs_scandir_next) \
  X(uv_fs_opendir) \
  X(uv_fs_readdir) \
  X(uv_fs_closedir) \
  X(uv_fs_stat) \
  X(uv_fs_fstat) \
  X(uv_fs_rename) \
  X(uv_fs_fsync) \
  X(uv_fs_fdatasync) \
  X(uv_fs_ftruncate) \
  X(uv_fs_sendfile) \
  X(uv_fs_access) \
  X(uv_fs_chmod) \
  X(uv_fs_utime) \
  X(uv_fs_futime) \
  X(uv_fs_lutime) \
  X(uv_fs_lstat) \
  X(uv_fs_link) \
  X(uv_fs_symlink) \
  X(uv_fs_readlink) \
  X(uv_fs_realpath) \
  X(uv_fs_fchmod) \
  X(uv_fs_chown) \
  X(uv_fs_fchown) \
  X(uv_fs_lchown) \
  X(uv_fs_statfs) \
  X(uv_fs_poll_init) \
  X(uv_fs_poll_start) \
  X(uv_fs_poll_stop) \
  X(uv_fs_poll_getpath) \
  X(uv_signal_init) \
  X(uv_signal_start) \
  X(uv_signal_start_oneshot) \
  X(uv_signal_stop) \
  X(uv_loadavg) \
  X(uv_fs_event_init) \
  X(uv_fs_event_start) \
  X(uv_fs_event_stop) \
  X(uv_fs_event_getpath) \
  X(uv_ip4_addr) \
  X(uv_ip6_addr) \
  X(uv_ip4_name) \
  X(uv_ip6_name) \
  X(uv_ip_name) \
  X(uv_inet_ntop) \
  X(uv_inet_pton) \
  X(uv_random) \
  X(uv_if_indextoname) \
  X(uv_if_indextoiid) \
  X(uv_exepath) \
  X(uv_cwd) \
  X(uv_chdir) \
  X(uv_get_free_memory) \
  X(uv_get_total_memory) \
  X(uv_get_constrained_memory) \
  X(uv_hrtime) \
  X(uv_sleep) \
  X(uv_disable_stdio_inheritance) \
  X(uv_dlopen) \
  X(uv_dlclose) \
  X(uv_dlsym) \
  X(uv_dlerror) \
  X(uv_mutex_init) \
  X(uv_mutex_init_recursive) \
  X(uv_mutex_destroy) \
  X(uv_mutex_lock) \
  X(uv_mutex_trylock) \
  X(uv_mutex_unlock) \
  X(uv_rwlock_init) \
  X(uv_rwlock_destroy) \
  X(uv_rwlock_rdlock) \
  X(uv_rwlock_tryrdlock) \
  X(uv_rwlock_rdunlock) \
  X(uv_rwlock_wrlock) \
  X(uv_rwlock_trywrlock) \
  X(uv_rwlock_wrunlock) \
  X(uv_sem_init) \
  X(uv_sem_destroy) \
  X(uv_sem_post) \
  X(uv_sem_wait) \
  X(uv_sem_trywait) \
  X(uv_cond_init) \
  X(uv_cond_destroy) \
  X(uv_cond_signal) \
  X(uv_cond_broadcast) \
  X(uv_barrier_init) \
  X(uv_barrier_destroy) \
  X(uv_barrier_wait) \
  X(uv_cond_wait) \
  X(uv_cond_timedwait) \
  X(uv_once) \
  X(uv_key_create) \
  X(uv_key_delete) \
  X(uv_key_get) \
  X(uv_key_set) \
  X(uv_gettimeofday) \
  X(uv_thread_create) \
  X(uv_thread_create_ex) \
  X(uv_thread_self) \
  X(uv_thread_join) \
  X(uv_thread_equal) \
  X(uv_loop_get_data) \
  X(uv_loop_set_data) \
  /* end */

#endif /* VELOQ_TEST_ABI_LAYOUT_TABLE_H */
