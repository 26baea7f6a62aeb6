# Runs suspend_resume_e2e twice, as two processes: SAVE ("save" unless
# given: save-fuel, save-request) then "resume".
# Usage: cmake -DPROG=<program> -DSTATE=<file> [-DSAVE=<mode>] -P run_suspend_resume.cmake
if(NOT SAVE)
  set(SAVE save)
endif()
file(REMOVE "${STATE}")
foreach(mode ${SAVE} resume)
  execute_process(COMMAND "${PROG}" ${mode} "${STATE}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "suspend_resume_e2e ${mode} failed (${rc})")
  endif()
endforeach()
