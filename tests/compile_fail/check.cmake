# A mistake the library turns into a compile-time error: compiles SOURCE as it is, which must
# succeed, then with -DOTP_COMPILE_FAIL, which must fail with the message that the source names
# in its line `// expect: <regular expression>`.
#
#   cmake -DCXX=<compiler> -DINCLUDE=<include dir> -DSOURCE=<snippet> -P check.cmake
file(STRINGS ${SOURCE} expect REGEX "^// expect: ")
string(REGEX REPLACE "^// expect: " "" expect "${expect}")
if(expect STREQUAL "")
  message(FATAL_ERROR "${SOURCE} has no `// expect:` line")
endif()
set(compile ${CXX} -std=c++20 -fsyntax-only -I${INCLUDE} ${SOURCE})

execute_process(COMMAND ${compile} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} does not compile as it is:\n${out}")
endif()

execute_process(COMMAND ${compile} -DOTP_COMPILE_FAIL RESULT_VARIABLE rc OUTPUT_VARIABLE out
                ERROR_VARIABLE out)
if(rc EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiles with OTP_COMPILE_FAIL: the mistake is not caught")
endif()
if(NOT out MATCHES "${expect}")
  message(FATAL_ERROR "${SOURCE} fails, but not with `${expect}`:\n${out}")
endif()
message(STATUS "${SOURCE}: refused as expected")
