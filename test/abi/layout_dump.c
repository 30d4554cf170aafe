/* Prints the ABI layout table (layout_table.h) for whichever uv.h is first on
 * the include path.  Built twice by CMake -- against the installed libuv
 * headers and against Veloq's -- and the two outputs must be identical.
 * Output is one fact per line so a diff names the exact mismatch. */
#include <uv.h>

/* Guard against the include path silently giving both builds the same
 * header (the comparison would then pass trivially).  VELOQ_UV_PRIVATE is
 * defined only by Veloq's uv/unix.h. */
#if defined(VELOQ_ABI_EXPECT_ORACLE) && defined(VELOQ_UV_PRIVATE)
# error "oracle build of the ABI dump picked up Veloq's uv.h"
#endif
#if defined(VELOQ_ABI_EXPECT_VELOQ) && !defined(VELOQ_UV_PRIVATE)
# error "Veloq build of the ABI dump picked up the installed libuv uv.h"
#endif

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "layout_table.h"

/* Name of the exact C integer type behind a typedef, so that e.g. uv_pid_t
 * being `long` instead of `int` shows up even though the sizes could agree. */
#define VELOQ_INT_TYPE_NAME(x) _Generic((x), \
    signed char: "signed char", unsigned char: "unsigned char", \
    short: "short", unsigned short: "unsigned short", \
    int: "int", unsigned int: "unsigned int", \
    long: "long", unsigned long: "unsigned long", \
    long long: "long long", unsigned long long: "unsigned long long", \
    default: "non-integer")

int main(void) {
#define PRINT_TYPE(type) \
  printf("type %s size %zu align %zu\n", #type, sizeof(type), _Alignof(type));
  VELOQ_ABI_TYPES(PRINT_TYPE)
#undef PRINT_TYPE

#define PRINT_INT_TYPEDEF(type) \
  { type v; memset(&v, 0, sizeof v); \
    printf("typedef %s is %s\n", #type, VELOQ_INT_TYPE_NAME(v)); }
  VELOQ_ABI_INT_TYPEDEFS(PRINT_INT_TYPEDEF)
#undef PRINT_INT_TYPEDEF

#define PRINT_FIELD(type, member) \
  printf("field %s.%s offset %zu size %zu\n", #type, #member, \
         offsetof(type, member), sizeof(((type*)0)->member));
  VELOQ_ABI_FIELDS(PRINT_FIELD)
#undef PRINT_FIELD

#define PRINT_CONST(name) printf("const %s %lld\n", #name, (long long)(name));
  VELOQ_ABI_CONSTANTS(PRINT_CONST)
#undef PRINT_CONST

  /* The public X-macro maps: entries, order, values and texts. */
#define PRINT_ERRNO(name, text) \
  printf("errno UV_%s %d \"%s\"\n", #name, (int)UV_##name, text);
  UV_ERRNO_MAP(PRINT_ERRNO)
#undef PRINT_ERRNO

#define PRINT_HANDLE_TYPE(uc, lc) \
  printf("handle_type UV_%s %d %s\n", #uc, (int)UV_##uc, #lc);
  UV_HANDLE_TYPE_MAP(PRINT_HANDLE_TYPE)
#undef PRINT_HANDLE_TYPE

#define PRINT_REQ_TYPE(uc, lc) \
  printf("req_type UV_%s %d %s\n", #uc, (int)UV_##uc, #lc);
  UV_REQ_TYPE_MAP(PRINT_REQ_TYPE)
#undef PRINT_REQ_TYPE

  printf("string UV_VERSION_SUFFIX \"%s\"\n", UV_VERSION_SUFFIX);

  {
    /* UV_ONCE_INIT must initialise a uv_once_t to the same bytes. */
    uv_once_t once = UV_ONCE_INIT;
    const unsigned char* p = (const unsigned char*)&once;
    size_t i;
    printf("bytes UV_ONCE_INIT");
    for (i = 0; i < sizeof once; i++) printf(" %02x", p[i]);
    printf("\n");
  }

  {
    /* uv_buf_t must stay castable to struct iovec (writev); check shape. */
    printf("iovec_compatible %d\n",
           (int)(sizeof(uv_buf_t) == sizeof(struct { void* b; size_t l; }) &&
                 offsetof(uv_buf_t, base) == 0 &&
                 offsetof(uv_buf_t, len) == sizeof(void*)));
  }
  return 0;
}
