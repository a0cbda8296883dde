# Sanitizer and fuzzing builds of the native engine (see docs/reliability.md).
#   -DFSI_SANITIZE=address,undefined   every target built with those sanitizers; UBSan halts on the
#                                      first error (-fno-sanitize-recover=all)
#   -DFSI_FUZZ=ON                      (clang) also build the libFuzzer harnesses of tests/fuzz; the
#                                      engine gets -fsanitize=fuzzer-no-link for coverage feedback
set(FSI_SANITIZE "" CACHE STRING "Sanitizers for every target, e.g. address,undefined (native builds)")
option(FSI_FUZZ "Build the libFuzzer harnesses (clang only)" OFF)

if(FSI_SANITIZE)
  add_compile_options(-fsanitize=${FSI_SANITIZE} -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=${FSI_SANITIZE} -fno-sanitize-recover=all)
endif()

if(FSI_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "FSI_FUZZ needs clang (cmake -DCMAKE_C_COMPILER=clang)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
