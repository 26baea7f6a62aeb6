# Runs one program and checks both what it prints and how it ends: exit
# status 0, stdout containing EXPECT (a literal; "\n" stands for a newline),
# and no sanitizer report on stderr. PASS_REGULAR_EXPRESSION alone would pass
# a program that printed the right text and then crashed.
# Usage: cmake -DPROG=<program> -DEXPECT=<text> -P expect_output.cmake
execute_process(COMMAND "${PROG}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}")
if(err)
  message("--- stderr:\n${err}")
endif()
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "${PROG} ended with ${rc}, expected exit status 0")
endif()
if(err MATCHES "AddressSanitizer|LeakSanitizer|runtime error:")
  message(FATAL_ERROR "${PROG}: a sanitizer report on stderr")
endif()
string(REPLACE "\\n" "\n" want "${EXPECT}")
string(FIND "${out}" "${want}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${PROG}: stdout lacks the expected text:\n${want}")
endif()
