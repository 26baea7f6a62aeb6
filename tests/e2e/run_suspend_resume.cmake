# Runs suspend_resume_e2e twice, as two processes: "save" then "resume".
# Usage: cmake -DPROG=<program> -DSTATE=<file> -P run_suspend_resume.cmake
file(REMOVE "${STATE}")
foreach(mode save resume)
  execute_process(COMMAND "${PROG}" ${mode} "${STATE}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "suspend_resume_e2e ${mode} failed (${rc})")
  endif()
endforeach()
