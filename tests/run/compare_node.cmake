# Runs one WASI command under `deja run` and under Node's node:wasi (the
# reference) with the same arguments and stdin, and fails unless stdout and
# the exit status are identical.
# Usage: cmake -DDEJA=<deja> -DNODE=<node> -DSCRIPT=<node_wasi.mjs>
#          -DMODULE=<guest.wasm> -DARGS=<a|b|...> -DSTDIN=<file> -P compare_node.cmake
cmake_minimum_required(VERSION 3.25)

string(REPLACE "|" ";" args "${ARGS}")
execute_process(COMMAND "${DEJA}" run --no-record "${MODULE}" ${args} INPUT_FILE "${STDIN}"
                RESULT_VARIABLE deja_code OUTPUT_VARIABLE deja_out ERROR_VARIABLE deja_err)
execute_process(COMMAND "${NODE}" --no-warnings "${SCRIPT}" "${MODULE}" ${args}
                INPUT_FILE "${STDIN}"
                RESULT_VARIABLE node_code OUTPUT_VARIABLE node_out ERROR_VARIABLE node_err)
if(NOT "${deja_code}" STREQUAL "${node_code}" OR NOT "${deja_out}" STREQUAL "${node_out}")
  message(FATAL_ERROR "deja run and node:wasi differ on ${MODULE} ${args}\n"
          "--- deja (exit ${deja_code}):\n${deja_out}${deja_err}\n"
          "--- node (exit ${node_code}):\n${node_out}${node_err}")
endif()
