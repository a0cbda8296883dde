# Installing (Windows builds): imapi2fs.dll and fsimage.exe into lib/imapi2fs/<arch>-windows, and
# imapi2fs-wine-install (tools/wine-install; bin/, with its man page), which takes the DLLs from
# ../lib/imapi2fs/ beside it and puts them into a Wine prefix:
#   cmake --install build/win64 [--prefix DIR] [--strip]; the same for build/win32
# These fixed relative paths (not GNUInstallDirs') are what the installer looks for.
if(CMAKE_SYSTEM_PROCESSOR STREQUAL "x86_64")
  set(FSI_WINDOWS_DIR lib/imapi2fs/x86_64-windows)
else()
  set(FSI_WINDOWS_DIR lib/imapi2fs/i386-windows)
endif()
# Data for Wine prefixes, not programs of this system: no execute bits. (The import library
# imapi2fs.dll.a is for no one: left out of the default install.)
install(TARGETS imapi2fs fsimage
  RUNTIME DESTINATION ${FSI_WINDOWS_DIR} PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
  ARCHIVE DESTINATION ${FSI_WINDOWS_DIR} EXCLUDE_FROM_ALL)

# The installer, its version set to the project's (in a checkout it reads CMakeLists.txt).
configure_file(${CMAKE_SOURCE_DIR}/tools/wine-install ${CMAKE_BINARY_DIR}/imapi2fs-wine-install @ONLY)
install(PROGRAMS ${CMAKE_BINARY_DIR}/imapi2fs-wine-install DESTINATION bin)
install(FILES ${CMAKE_SOURCE_DIR}/docs/imapi2fs-wine-install.1 DESTINATION share/man/man1)
