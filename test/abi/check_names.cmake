# Compares the identifiers two uv.h implementations introduce.
#
#   cmake -DCC=<c compiler> -DPROBE=names_probe.c -DORACLE_INC=/usr/include
#         -DVELOQ_INC=<src>/include -DOUT=<dir> -P check_names.cmake
#
# Two sets per header, each must be equal between libuv and Veloq:
#  - macro names (from `cc -dM -E`) starting with UV_ / UV__, plus
#    HAVE_DIRENT_TYPES: every public macro of libuv must exist in Veloq and
#    Veloq must not add UV_-prefixed ones;
#  - identifiers starting with uv_ / UV_ in the preprocessed header: type
#    names, struct tags, functions and enumerators.
# libuv-internal names Veloq deliberately does not define are listed in
# ORACLE_ONLY below; anything else that differs fails the test.

set(ORACLE_ONLY
  uv__io_s uv__io_t uv__io_cb   # libuv's epoll watcher: private to libuv
)

function(collect_names inc_dir out_macros out_idents)
  execute_process(COMMAND ${CC} -E -dM -I${inc_dir} ${PROBE}
                  OUTPUT_VARIABLE macro_text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "preprocessing (-dM) with ${inc_dir} failed")
  endif()
  string(REGEX MATCHALL "#define [A-Za-z0-9_]+" defs "${macro_text}")
  set(macros "")
  foreach(d IN LISTS defs)
    string(REPLACE "#define " "" name "${d}")
    if(name MATCHES "^UV_" OR name STREQUAL "HAVE_DIRENT_TYPES")
      list(APPEND macros "${name}")
    endif()
  endforeach()
  list(REMOVE_DUPLICATES macros)
  list(SORT macros)

  execute_process(COMMAND ${CC} -E -P -I${inc_dir} ${PROBE}
                  OUTPUT_VARIABLE pp_text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "preprocessing with ${inc_dir} failed")
  endif()
  string(REGEX MATCHALL "[A-Za-z0-9_]+" tokens "${pp_text}")
  list(FILTER tokens INCLUDE REGEX "^(uv|UV)_")
  list(REMOVE_DUPLICATES tokens)
  list(REMOVE_ITEM tokens ${ORACLE_ONLY})
  list(SORT tokens)

  set(${out_macros} "${macros}" PARENT_SCOPE)
  set(${out_idents} "${tokens}" PARENT_SCOPE)
endfunction()

function(report_difference what oracle veloq)
  set(missing ${oracle})
  if(veloq)
    list(REMOVE_ITEM missing ${veloq})
  endif()
  set(extra ${veloq})
  if(oracle)
    list(REMOVE_ITEM extra ${oracle})
  endif()
  if(missing OR extra)
    message(SEND_ERROR "${what} differ\n  missing in Veloq: ${missing}\n  only in Veloq: ${extra}")
  else()
    list(LENGTH oracle n)
    message(STATUS "${what}: ${n} identical")
  endif()
endfunction()

collect_names(${ORACLE_INC} oracle_macros oracle_idents)
collect_names(${VELOQ_INC} veloq_macros veloq_idents)
file(WRITE ${OUT}/names.oracle.txt "${oracle_macros}\n${oracle_idents}\n")
file(WRITE ${OUT}/names.veloq.txt "${veloq_macros}\n${veloq_idents}\n")
report_difference("macro names" "${oracle_macros}" "${veloq_macros}")
report_difference("uv identifiers" "${oracle_idents}" "${veloq_idents}")
