# Compares the functions libuv.so.1 exports with those Veloq's libuv.so.1 does.
#
#   cmake -DNM=<nm> -DORACLE=<system libuv.so> -DVELOQ=<Veloq's libuv.so.1>
#         -DOUT=<dir> -P check_exports.cmake
#
# Every function the system libuv (1.44.2) exports must be exported by Veloq,
# so a program built against libuv loads against Veloq; Veloq may export
# nothing else but its own veloq_uv_* extensions (of any symbol type). The
# two lists are written to OUT/exports.{libuv,veloq}.txt.

function(dynamic_symbols lib out_functions out_others)
  execute_process(COMMAND ${NM} -D --defined-only ${lib}
                  OUTPUT_VARIABLE text RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${NM} -D --defined-only ${lib} failed: ${err}")
  endif()
  string(REPLACE "\n" ";" lines "${text}")
  set(functions "")
  set(others "")
  foreach(line IN LISTS lines)
    # "<address> <type> <name>[@version]"; T/W/i are (weak, indirect) functions.
    if(line MATCHES "^[0-9a-fA-F]+ ([A-Za-z]) ([^@ ]+)")
      set(type "${CMAKE_MATCH_1}")
      set(name "${CMAKE_MATCH_2}")
      if(type MATCHES "^[TWi]$")
        list(APPEND functions "${name}")
      else()
        list(APPEND others "${name}")
      endif()
    endif()
  endforeach()
  list(REMOVE_DUPLICATES functions)
  list(SORT functions)
  set(${out_functions} "${functions}" PARENT_SCOPE)
  set(${out_others} "${others}" PARENT_SCOPE)
endfunction()

dynamic_symbols(${ORACLE} libuv_functions libuv_others)
dynamic_symbols(${VELOQ} veloq_functions veloq_others)
list(LENGTH libuv_functions n_libuv)
if(n_libuv LESS 250)  # libuv 1.44.2 exports 293 functions
  message(FATAL_ERROR "only ${n_libuv} functions in ${ORACLE}: not libuv 1.44?")
endif()
string(REPLACE ";" "\n" libuv_text "${libuv_functions}")
string(REPLACE ";" "\n" veloq_text "${veloq_functions};${veloq_others}")
file(WRITE ${OUT}/exports.libuv.txt "${libuv_text}\n")
file(WRITE ${OUT}/exports.veloq.txt "${veloq_text}\n")

set(missing ${libuv_functions})
if(veloq_functions)
  list(REMOVE_ITEM missing ${veloq_functions})
endif()
set(extra ${veloq_functions} ${veloq_others})
list(REMOVE_ITEM extra ${libuv_functions})  # never empty (checked above)
list(FILTER extra EXCLUDE REGEX "^veloq_uv_")

# Appends "<count> <what>:" and the names, one a line, to `report`.
function(add_to_report what names)
  list(LENGTH names n)
  string(REPLACE ";" "\n    " lines "${names}")
  set(report "${report}${n} ${what}:\n    ${lines}\n" PARENT_SCOPE)
endfunction()

set(report "")
if(missing)
  add_to_report("libuv functions are not exported by Veloq (a program calling one fails to load)"
                "${missing}")
endif()
if(extra)
  add_to_report("symbols exported by Veloq are neither libuv's nor veloq_uv_*" "${extra}")
endif()
if(report)
  message(FATAL_ERROR "${report}")
endif()
list(LENGTH veloq_functions n_veloq)
message(STATUS "all ${n_libuv} libuv functions exported; ${n_veloq} functions in Veloq's libuv.so.1")
