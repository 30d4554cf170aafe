# Runs an oracle dumper and a Veloq dumper and requires identical output.
#   cmake -DORACLE=<exe> -DVELOQ=<exe> -DOUT=<dir> -DNAME=<tag> -P compare_dumps.cmake
# Both outputs are kept in OUT (<NAME>.oracle.txt / <NAME>.veloq.txt) for
# inspection; on mismatch the differing lines are printed.

foreach(side ORACLE VELOQ)
  string(TOLOWER ${side} lower)
  set(file_${side} ${OUT}/${NAME}.${lower}.txt)
  execute_process(COMMAND ${${side}} OUTPUT_FILE ${file_${side}}
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${${side}} exited with ${rc}")
  endif()
endforeach()

file(STRINGS ${file_ORACLE} oracle_lines)
file(STRINGS ${file_VELOQ} veloq_lines)
list(LENGTH oracle_lines n)
if(n LESS 10)
  message(FATAL_ERROR "oracle dump has only ${n} lines; dumper broken?")
endif()

execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
                        ${file_ORACLE} ${file_VELOQ}
                RESULT_VARIABLE differ)
if(differ)
  set(only_oracle ${oracle_lines})
  list(REMOVE_ITEM only_oracle ${veloq_lines})
  set(only_veloq ${veloq_lines})
  list(REMOVE_ITEM only_veloq ${oracle_lines})
  string(REPLACE ";" "\n  " only_oracle "${only_oracle}")
  string(REPLACE ";" "\n  " only_veloq "${only_veloq}")
  message(FATAL_ERROR "${NAME}: Veloq differs from libuv\n"
          "libuv (oracle) has:\n  ${only_oracle}\n"
          "Veloq has:\n  ${only_veloq}\n"
          "(full dumps: ${file_ORACLE} ${file_VELOQ})")
endif()
message(STATUS "${NAME}: ${n} lines identical")
