# Runs `deja` once and checks its exit code, stdout and stderr.
# Usage: cmake -DDEJA=<deja> -DWORK=<scratch dir> -DARGS=<a|b|...> -DEXIT=<code>
#          [-DSTDOUT_IS=<text>] [-DSTDOUT_HAS=<s1|s2>] [-DSTDERR_HAS=<s1|s2>]
#          [-DSTDERR_LACKS=<s>] [-DSTDIN=<text>] [-DHOST_ENV=<NAME=VALUE>]
#          [-DFILE=<path> -DFILE_IS=<text>] [-DFILE_ABSENT=<path>]
#          -P check_run.cmake
# Lists are separated by '|'; "\n" in texts means a newline; @WORK@ in
# arguments and paths is the scratch dir. WORK is recreated for each run with
# data/in.txt ("file contents\n") and secret.txt ("top secret\n") in it.

cmake_minimum_required(VERSION 3.25)  # policies: "@WORK@" stays literal text

function(expand out text)
  string(REPLACE "@WORK@" "${WORK}" text "${text}")
  string(REPLACE "\\n" "\n" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

set(failures "")
macro(fail message)
  string(APPEND failures "  ${message}\n")
endmacro()

file(REMOVE_RECURSE "${WORK}" "${WORK}-home")
# Every run is recorded: into a registry of the test's own.
set(ENV{DEJA_HOME} "${WORK}-home")
file(MAKE_DIRECTORY "${WORK}/data")
file(WRITE "${WORK}/data/in.txt" "file contents\n")
file(WRITE "${WORK}/secret.txt" "top secret\n")
expand(stdin_text "${STDIN}")
file(WRITE "${WORK}/stdin.txt" "${stdin_text}")
if(DEFINED HOST_ENV)
  string(FIND "${HOST_ENV}" "=" eq)
  string(SUBSTRING "${HOST_ENV}" 0 ${eq} env_name)
  math(EXPR value_start "${eq} + 1")
  string(SUBSTRING "${HOST_ENV}" ${value_start} -1 env_value)
  set(ENV{${env_name}} "${env_value}")
endif()

expand(args "${ARGS}")
string(REPLACE "|" ";" args "${args}")
execute_process(COMMAND "${DEJA}" ${args}
                WORKING_DIRECTORY "${WORK}"
                INPUT_FILE "${WORK}/stdin.txt"
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)

if(NOT "${code}" STREQUAL "${EXIT}")
  fail("exit code ${code}, expected ${EXIT}")
endif()
if(DEFINED STDOUT_IS)
  expand(want "${STDOUT_IS}")
  if(NOT "${out}" STREQUAL "${want}")
    fail("stdout is not exactly:\n${want}")
  endif()
endif()
foreach(stream STDOUT STDERR)
  if(stream STREQUAL "STDOUT")
    set(text "${out}")
  else()
    set(text "${err}")
  endif()
  if(DEFINED ${stream}_HAS)
    expand(wants "${${stream}_HAS}")
    string(REPLACE "|" ";" wants "${wants}")
    foreach(want IN LISTS wants)
      string(FIND "${text}" "${want}" at)
      if(at EQUAL -1)
        fail("${stream} lacks \"${want}\"")
      endif()
    endforeach()
  endif()
endforeach()
if(DEFINED STDERR_LACKS)
  string(FIND "${err}" "${STDERR_LACKS}" at)
  if(NOT at EQUAL -1)
    fail("stderr has \"${STDERR_LACKS}\"")
  endif()
endif()
if(DEFINED FILE)
  expand(path "${FILE}")
  expand(want "${FILE_IS}")
  if(NOT EXISTS "${path}")
    fail("${path} does not exist")
  else()
    file(READ "${path}" content)
    if(NOT "${content}" STREQUAL "${want}")
      fail("${path} holds \"${content}\", expected \"${want}\"")
    endif()
  endif()
endif()
if(DEFINED FILE_ABSENT)
  expand(path "${FILE_ABSENT}")
  if(EXISTS "${path}")
    fail("${path} exists")
  endif()
endif()

if(failures)
  string(REPLACE "|" " " shown "${ARGS}")
  message(FATAL_ERROR "deja ${shown}\n${failures}--- stdout:\n${out}--- stderr:\n${err}")
endif()
