# The golden-hash matrix (tests/golden/golden.sh): included from tests/com/CMakeLists.txt, whose
# Wine prefix, environment and fixtures it uses. golden_streams.exe makes the images only the DLL
# can (named streams, a 5 GiB image streamed to a pipe); the test compares the SHA-256 of every
# image of the matrix with tests/golden/sha256.txt.
add_executable(golden_streams ${CMAKE_CURRENT_LIST_DIR}/golden_streams.c
               ${CMAKE_BINARY_DIR}/generated/imapi2fs_i.c ${CMAKE_BINARY_DIR}/generated/imapi2_i.c)
add_dependencies(golden_streams imapi2fs_idl imapi2fs)
target_include_directories(golden_streams PRIVATE ${CMAKE_BINARY_DIR}/generated ${CMAKE_SOURCE_DIR}/include)
target_compile_definitions(golden_streams PRIVATE UNICODE _UNICODE)
target_compile_options(golden_streams PRIVATE -municode)
target_link_options(golden_streams PRIVATE -municode -static-libgcc)
target_link_libraries(golden_streams PRIVATE ole32 oleaut32 uuid shlwapi)

add_test(NAME golden COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/golden.sh)
set_tests_properties(golden PROPERTIES FIXTURES_REQUIRED registered TIMEOUT 900
  ENVIRONMENT "${TEST_ENV};FSI_SRC=${CMAKE_SOURCE_DIR};FSI_BUILD=${CMAKE_BINARY_DIR};FSI_DLL=${DLL_WIN}"
  WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
