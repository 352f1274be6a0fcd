/*
 * bpfkit's native layer: raw system calls and fd readiness, nothing else.
 *
 * Every function makes one system call (or one libuv poll registration) and
 * reports failure by returning -errno as a JavaScript number; policy, error
 * messages and struct layouts live in TypeScript (src/sys/).
 *
 * Memory rule for pointers inside attributes: bpf(2) attrs, perf_event_attr,
 * msghdr and friends carry user pointers to instruction buffers, log buffers,
 * keys and values. TypeScript writes those pointers with addressOf(buffer).
 * Buffers and ArrayBuffers keep their backing store at a fixed address (V8
 * never moves an ArrayBuffer's backing store), so the pointer stays valid as
 * long as the JavaScript object is alive. Callers must therefore hold a
 * reference to every buffer whose address they wrote until the system call
 * returns. All calls here are synchronous, so a local variable in the calling
 * function is enough; never write the address of a temporary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <node_api.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) {                                                   \
      napi_throw_error(env, NULL, "bpfkit native: " #call " failed");          \
      return NULL;                                                             \
    }                                                                          \
  } while (0)

static napi_value num(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static napi_value result(napi_env env, long ret) {
  return num(env, ret < 0 ? -errno : (double)ret);
}

static int64_t arg_i64(napi_env env, napi_value v) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_bigint) {
    int64_t out;
    bool lossless;
    napi_get_value_bigint_int64(env, v, &out, &lossless);
    return out;
  }
  int64_t out = 0;
  napi_get_value_int64(env, v, &out);
  return out;
}

/* Pointer and length of a Buffer, TypedArray or ArrayBuffer; NULL for null/undefined. */
static void *arg_bytes(napi_env env, napi_value v, size_t *len) {
  napi_valuetype t;
  napi_typeof(env, v, &t);
  *len = 0;
  if (t == napi_null || t == napi_undefined) return NULL;
  bool is;
  void *data = NULL;
  napi_is_typedarray(env, v, &is);
  if (is) {
    napi_typedarray_type tt;
    size_t n, off;
    napi_value ab;
    napi_get_typedarray_info(env, v, &tt, &n, &data, &ab, &off);
    size_t elem = 1;
    switch (tt) {
    case napi_int16_array: case napi_uint16_array: elem = 2; break;
    case napi_int32_array: case napi_uint32_array: case napi_float32_array: elem = 4; break;
    case napi_float64_array: case napi_bigint64_array: case napi_biguint64_array: elem = 8; break;
    default: break;
    }
    *len = n * elem;
    return data;
  }
  napi_is_arraybuffer(env, v, &is);
  if (is) {
    napi_get_arraybuffer_info(env, v, &data, len);
    return data;
  }
  napi_is_dataview(env, v, &is);
  if (is) {
    napi_value ab;
    size_t off;
    napi_get_dataview_info(env, v, len, &data, &ab, &off);
    return data;
  }
  napi_throw_type_error(env, NULL, "expected a Buffer, TypedArray or ArrayBuffer");
  return NULL;
}

#define ARGS(n)                                                                \
  size_t argc = n;                                                             \
  napi_value argv[n];                                                          \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                 \
  if (argc < n) {                                                              \
    napi_throw_type_error(env, NULL, "bpfkit native: too few arguments");      \
    return NULL;                                                               \
  }

/* addressOf(bytes) -> bigint: the address of the first byte. */
static napi_value addressOf(napi_env env, napi_callback_info info) {
  ARGS(1);
  size_t len;
  void *p = arg_bytes(env, argv[0], &len);
  napi_value out;
  CHECK(napi_create_bigint_uint64(env, (uint64_t)(uintptr_t)p, &out));
  return out;
}

/*
 * bpf(cmd, attr) -> result or -errno. The attr buffer's length is the size passed.
 * This is the hot path of every map operation, so it takes the fewest N-API calls:
 * cmd must be a number and attr a Buffer/Uint8Array.
 */
static napi_value bpf(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t cmd = 0;
  void *attr = NULL;
  size_t len = 0;
  napi_typedarray_type tt;
  napi_value ab;
  size_t off;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &cmd) != napi_ok ||
      napi_get_typedarray_info(env, argv[1], &tt, &len, &attr, &ab, &off) != napi_ok ||
      tt != napi_uint8_array) {
    napi_throw_type_error(env, NULL, "bpf(cmd: number, attr: Uint8Array)");
    return NULL;
  }
  long ret = syscall(__NR_bpf, cmd, attr, (unsigned int)len);
  napi_value out;
  napi_create_int32(env, ret < 0 ? -errno : (int32_t)ret, &out);
  return out;
}

static napi_value sys_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  return result(env, close((int)arg_i64(env, argv[0])));
}

/* ioctl(fd, request, arg): arg is a number or a buffer passed by address. */
static napi_value sys_ioctl(napi_env env, napi_callback_info info) {
  ARGS(3);
  napi_valuetype t;
  napi_typeof(env, argv[2], &t);
  unsigned long req = (unsigned long)arg_i64(env, argv[1]);
  long ret;
  if (t == napi_number || t == napi_bigint) {
    ret = ioctl((int)arg_i64(env, argv[0]), req, (unsigned long)arg_i64(env, argv[2]));
  } else {
    size_t len;
    void *p = arg_bytes(env, argv[2], &len);
    ret = ioctl((int)arg_i64(env, argv[0]), req, p);
  }
  return result(env, ret);
}

static void unmap_finalizer(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

/*
 * mmap(fd, length, prot, flags, offset) -> ArrayBuffer over the mapping, or -errno.
 * The mapping is released by munmap() or, failing that, when the ArrayBuffer is collected.
 */
static napi_value sys_mmap(napi_env env, napi_callback_info info) {
  ARGS(5);
  size_t len = (size_t)arg_i64(env, argv[1]);
  void *p = mmap(NULL, len, (int)arg_i64(env, argv[2]), (int)arg_i64(env, argv[3]),
                 (int)arg_i64(env, argv[0]), (off_t)arg_i64(env, argv[4]));
  if (p == MAP_FAILED) return num(env, -errno);
  napi_value out;
  napi_status st = napi_create_external_arraybuffer(env, p, len, unmap_finalizer,
                                                    (void *)(uintptr_t)len, &out);
  if (st != napi_ok) {
    munmap(p, len);
    napi_throw_error(env, NULL, "bpfkit native: cannot wrap mapping in an ArrayBuffer");
    return NULL;
  }
  return out;
}

/*
 * munmap(arrayBuffer): detaches the ArrayBuffer, which runs its finalizer
 * (the munmap) at once, so no view can read unmapped memory afterwards.
 */
static napi_value sys_munmap(napi_env env, napi_callback_info info) {
  ARGS(1);
  bool detached = false;
  CHECK(napi_is_detached_arraybuffer(env, argv[0], &detached));
  if (!detached) CHECK(napi_detach_arraybuffer(env, argv[0]));
  return num(env, 0);
}

/* perf_event_open(attr, pid, cpu, groupFd, flags) */
static napi_value perf_event_open(napi_env env, napi_callback_info info) {
  ARGS(5);
  size_t len;
  void *attr = arg_bytes(env, argv[0], &len);
  long ret = syscall(__NR_perf_event_open, attr, (pid_t)arg_i64(env, argv[1]),
                     (int)arg_i64(env, argv[2]), (int)arg_i64(env, argv[3]),
                     (unsigned long)arg_i64(env, argv[4]));
  return result(env, ret);
}

static napi_value sys_socket(napi_env env, napi_callback_info info) {
  ARGS(3);
  return result(env, socket((int)arg_i64(env, argv[0]), (int)arg_i64(env, argv[1]),
                            (int)arg_i64(env, argv[2])));
}

/* setsockopt(fd, level, name, value bytes) */
static napi_value sys_setsockopt(napi_env env, napi_callback_info info) {
  ARGS(4);
  size_t len;
  void *p = arg_bytes(env, argv[3], &len);
  return result(env, setsockopt((int)arg_i64(env, argv[0]), (int)arg_i64(env, argv[1]),
                                (int)arg_i64(env, argv[2]), p, (socklen_t)len));
}

/* getsockopt(fd, level, name, out bytes) -> length written */
static napi_value sys_getsockopt(napi_env env, napi_callback_info info) {
  ARGS(4);
  size_t len;
  void *p = arg_bytes(env, argv[3], &len);
  socklen_t sl = (socklen_t)len;
  int ret = getsockopt((int)arg_i64(env, argv[0]), (int)arg_i64(env, argv[1]),
                       (int)arg_i64(env, argv[2]), p, &sl);
  return result(env, ret < 0 ? ret : (long)sl);
}

/* bind(fd, sockaddr bytes) */
static napi_value sys_bind(napi_env env, napi_callback_info info) {
  ARGS(2);
  size_t len;
  void *p = arg_bytes(env, argv[1], &len);
  return result(env, bind((int)arg_i64(env, argv[0]), p, (socklen_t)len));
}

/* connect(fd, sockaddr bytes) */
static napi_value sys_connect(napi_env env, napi_callback_info info) {
  ARGS(2);
  size_t len;
  void *p = arg_bytes(env, argv[1], &len);
  return result(env, connect((int)arg_i64(env, argv[0]), p, (socklen_t)len));
}

/* sendto(fd, bytes, flags, sockaddr bytes or null) */
static napi_value sys_sendto(napi_env env, napi_callback_info info) {
  ARGS(4);
  size_t len, alen;
  void *p = arg_bytes(env, argv[1], &len);
  void *addr = arg_bytes(env, argv[3], &alen);
  return result(env, sendto((int)arg_i64(env, argv[0]), p, len, (int)arg_i64(env, argv[2]),
                            addr, (socklen_t)alen));
}

/* recvfrom(fd, out bytes, flags, out sockaddr bytes or null) -> bytes received */
static napi_value sys_recvfrom(napi_env env, napi_callback_info info) {
  ARGS(4);
  size_t len, alen;
  void *p = arg_bytes(env, argv[1], &len);
  void *addr = arg_bytes(env, argv[3], &alen);
  socklen_t sl = (socklen_t)alen;
  return result(env, recvfrom((int)arg_i64(env, argv[0]), p, len, (int)arg_i64(env, argv[2]),
                              addr, addr ? &sl : NULL));
}

/* seccomp(op, flags, args bytes or null) */
static napi_value sys_seccomp(napi_env env, napi_callback_info info) {
  ARGS(3);
  size_t len;
  void *p = arg_bytes(env, argv[2], &len);
  return result(env, syscall(__NR_seccomp, (unsigned int)arg_i64(env, argv[0]),
                             (unsigned int)arg_i64(env, argv[1]), p));
}

/* prctl(option, arg2, arg3, arg4, arg5): integer arguments only. */
static napi_value sys_prctl(napi_env env, napi_callback_info info) {
  ARGS(5);
  return result(env, prctl((int)arg_i64(env, argv[0]), (unsigned long)arg_i64(env, argv[1]),
                           (unsigned long)arg_i64(env, argv[2]),
                           (unsigned long)arg_i64(env, argv[3]),
                           (unsigned long)arg_i64(env, argv[4])));
}

static napi_value sys_setns(napi_env env, napi_callback_info info) {
  ARGS(2);
  return result(env, setns((int)arg_i64(env, argv[0]), (int)arg_i64(env, argv[1])));
}

static napi_value sys_gettid(napi_env env, napi_callback_info info) {
  (void)info;
  return result(env, syscall(__NR_gettid));
}

/* Strings from a JS array, NULL-terminated, for execve. Caller frees. */
static char **string_vector(napi_env env, napi_value arr) {
  uint32_t n = 0;
  napi_get_array_length(env, arr, &n);
  char **out = calloc(n + 1, sizeof(char *));
  if (!out) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    size_t len = 0;
    napi_get_element(env, arr, i, &el);
    napi_get_value_string_utf8(env, el, NULL, 0, &len);
    out[i] = malloc(len + 1);
    if (!out[i]) return out;
    napi_get_value_string_utf8(env, el, out[i], len + 1, &len);
  }
  return out;
}

/*
 * execve(path, argv[], envp[]): replaces this process. Only returns on failure,
 * with -errno. Used by the seccomp launcher after the filter is installed.
 */
static napi_value sys_execve(napi_env env, napi_callback_info info) {
  ARGS(3);
  size_t len = 0;
  napi_get_value_string_utf8(env, argv[0], NULL, 0, &len);
  char *path = malloc(len + 1);
  if (!path) return num(env, -ENOMEM);
  napi_get_value_string_utf8(env, argv[0], path, len + 1, &len);
  char **args = string_vector(env, argv[1]);
  char **envp = string_vector(env, argv[2]);
  execve(path, args, envp);
  int err = errno;
  free(path);
  for (char **p = args; p && *p; p++) free(*p);
  for (char **p = envp; p && *p; p++) free(*p);
  free(args);
  free(envp);
  return num(env, -err);
}

/* ---- fd readiness through libuv ---- */

typedef struct {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  int closing;
} poller;

static void poll_closed(uv_handle_t *h) {
  poller *p = (poller *)h->data;
  free(p);
}

static void poll_ready(uv_poll_t *h, int status, int events) {
  poller *p = (poller *)h->data;
  if (p->closing) return;
  napi_env env = p->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, global, args[2];
  napi_get_reference_value(env, p->callback, &cb);
  napi_get_global(env, &global);
  napi_create_int32(env, status, &args[0]);
  napi_create_int32(env, events, &args[1]);
  napi_value ignored;
  /* An exception in the callback surfaces as an uncaught exception, as for any event. */
  napi_make_callback(env, NULL, global, cb, 2, args, &ignored);
  napi_close_handle_scope(env, scope);
}

static void poller_release(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  poller *p = (poller *)data;
  if (!p->closing) {
    p->closing = 1;
    uv_poll_stop(&p->handle);
    uv_close((uv_handle_t *)&p->handle, poll_closed);
  }
}

/*
 * pollStart(fd, events, callback(status, events)) -> handle object.
 * events: 1 readable, 2 writable (UV_READABLE/UV_WRITABLE).
 */
static napi_value pollStart(napi_env env, napi_callback_info info) {
  ARGS(3);
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  poller *p = calloc(1, sizeof(poller));
  if (!p) return num(env, -ENOMEM);
  p->env = env;
  int rc = uv_poll_init(loop, &p->handle, (int)arg_i64(env, argv[0]));
  if (rc != 0) {
    free(p);
    return num(env, rc);
  }
  p->handle.data = p;
  CHECK(napi_create_reference(env, argv[2], 1, &p->callback));
  rc = uv_poll_start(&p->handle, (int)arg_i64(env, argv[1]), poll_ready);
  if (rc != 0) {
    napi_delete_reference(env, p->callback);
    p->closing = 1;
    uv_close((uv_handle_t *)&p->handle, poll_closed);
    return num(env, rc);
  }
  napi_value obj;
  CHECK(napi_create_object(env, &obj));
  CHECK(napi_wrap(env, obj, p, poller_release, NULL, NULL));
  return obj;
}

/* pollStop(handle): stops watching; idempotent. */
static napi_value pollStop(napi_env env, napi_callback_info info) {
  ARGS(1);
  poller *p = NULL;
  if (napi_remove_wrap(env, argv[0], (void **)&p) != napi_ok || !p) return num(env, 0);
  napi_delete_reference(env, p->callback);
  p->closing = 1;
  uv_poll_stop(&p->handle);
  uv_close((uv_handle_t *)&p->handle, poll_closed);
  return num(env, 0);
}

/* pollRef(handle, on): whether the watcher keeps the event loop alive. */
static napi_value pollRef(napi_env env, napi_callback_info info) {
  ARGS(2);
  poller *p = NULL;
  if (napi_unwrap(env, argv[0], (void **)&p) != napi_ok || !p) return num(env, 0);
  bool on = false;
  napi_get_value_bool(env, argv[1], &on);
  if (on) uv_ref((uv_handle_t *)&p->handle);
  else uv_unref((uv_handle_t *)&p->handle);
  return num(env, 0);
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"addressOf", NULL, addressOf, NULL, NULL, NULL, napi_default, NULL},
    {"bpf", NULL, bpf, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, sys_close, NULL, NULL, NULL, napi_default, NULL},
    {"ioctl", NULL, sys_ioctl, NULL, NULL, NULL, napi_default, NULL},
    {"mmap", NULL, sys_mmap, NULL, NULL, NULL, napi_default, NULL},
    {"munmap", NULL, sys_munmap, NULL, NULL, NULL, napi_default, NULL},
    {"perfEventOpen", NULL, perf_event_open, NULL, NULL, NULL, napi_default, NULL},
    {"socket", NULL, sys_socket, NULL, NULL, NULL, napi_default, NULL},
    {"setsockopt", NULL, sys_setsockopt, NULL, NULL, NULL, napi_default, NULL},
    {"getsockopt", NULL, sys_getsockopt, NULL, NULL, NULL, napi_default, NULL},
    {"bind", NULL, sys_bind, NULL, NULL, NULL, napi_default, NULL},
    {"connect", NULL, sys_connect, NULL, NULL, NULL, napi_default, NULL},
    {"sendto", NULL, sys_sendto, NULL, NULL, NULL, napi_default, NULL},
    {"recvfrom", NULL, sys_recvfrom, NULL, NULL, NULL, napi_default, NULL},
    {"seccomp", NULL, sys_seccomp, NULL, NULL, NULL, napi_default, NULL},
    {"prctl", NULL, sys_prctl, NULL, NULL, NULL, napi_default, NULL},
    {"setns", NULL, sys_setns, NULL, NULL, NULL, napi_default, NULL},
    {"gettid", NULL, sys_gettid, NULL, NULL, NULL, napi_default, NULL},
    {"execve", NULL, sys_execve, NULL, NULL, NULL, napi_default, NULL},
    {"pollStart", NULL, pollStart, NULL, NULL, NULL, napi_default, NULL},
    {"pollStop", NULL, pollStop, NULL, NULL, NULL, napi_default, NULL},
    {"pollRef", NULL, pollRef, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
