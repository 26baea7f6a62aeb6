# Runs suspend_resume_e2e twice, as two processes: SAVE ("save" unless
# given: save-fuel, save-request) then RESUME ("resume" unless given:
# resume-other-layout, which compiles the guest to other code first).
# Usage: cmake -DPROG=<program> -DSTATE=<file> [-DSAVE=<mode>] [-DRESUME=<mode>]
#        -P run_suspend_resume.cmake
if(NOT SAVE)
  set(SAVE save)
endif()
if(NOT RESUME)
  set(RESUME resume)
endif()
file(REMOVE "${STATE}")
foreach(mode ${SAVE} ${RESUME})
  execute_process(COMMAND "${PROG}" ${mode} "${STATE}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "suspend_resume_e2e ${mode} failed (${rc})")
  endif()
endforeach()
