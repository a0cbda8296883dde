# Installing (native builds): fsimage and its man page (src/cli), the engine as a static and a
# shared library, its header and a pkg-config file:
#   cmake --install build/native [--prefix DIR]
#   cc prog.c $(pkg-config --cflags --libs fsi-engine)
include(GNUInstallDirs)

# The shared engine: the same sources; only the functions of include/fsi/engine.h are exported
# (a version script made from the header, remade when the header changes).
add_library(fsi_engine_shared SHARED ${FSI_ENGINE_SOURCES})
target_include_directories(fsi_engine_shared PUBLIC ${CMAKE_SOURCE_DIR}/include)
set_target_properties(fsi_engine_shared PROPERTIES OUTPUT_NAME fsi_engine
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR})
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/include/fsi/engine.h)
file(STRINGS ${CMAKE_SOURCE_DIR}/include/fsi/engine.h FSI_API_LINES REGEX "^[a-z].*[ *]fsi_[a-z0-9_]+\\(")
set(FSI_API_SYMBOLS "")
foreach(line IN LISTS FSI_API_LINES)
  if(NOT line MATCHES "^(typedef|static)" AND line MATCHES "[ *](fsi_[a-z0-9_]+)\\(")
    string(APPEND FSI_API_SYMBOLS "    ${CMAKE_MATCH_1};\n")
  endif()
endforeach()
file(WRITE ${CMAKE_BINARY_DIR}/fsi_engine.map.tmp "FSI_ENGINE_0 {\n  global:\n${FSI_API_SYMBOLS}  local:\n    *;\n};\n")
configure_file(${CMAKE_BINARY_DIR}/fsi_engine.map.tmp ${CMAKE_BINARY_DIR}/fsi_engine.map COPYONLY)
target_link_options(fsi_engine_shared PRIVATE -Wl,--version-script=${CMAKE_BINARY_DIR}/fsi_engine.map)
if(NOT FSI_FUZZ)   # (libFuzzer's coverage hooks come from the program)
  target_link_options(fsi_engine_shared PRIVATE -Wl,--no-undefined)
endif()
set_property(TARGET fsi_engine_shared APPEND PROPERTY LINK_DEPENDS ${CMAKE_BINARY_DIR}/fsi_engine.map)

install(TARGETS fsi_engine fsi_engine_shared
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${CMAKE_SOURCE_DIR}/include/fsi/engine.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/fsi)

# fsi-engine.pc, written at install time so that it names the prefix actually installed to
# (cmake --install --prefix DIR).
install(CODE "
  set(FSI_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  set(FSI_PC_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
  set(FSI_PC_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
  foreach(v FSI_PC_LIBDIR FSI_PC_INCLUDEDIR)
    if(NOT IS_ABSOLUTE \"\${\${v}}\")
      set(\${v} \"\\\${prefix}/\${\${v}}\")
    endif()
  endforeach()
  set(FSI_PC_VERSION \"${PROJECT_VERSION}\")
  configure_file(\"${CMAKE_CURRENT_LIST_DIR}/fsi-engine.pc.in\" \"${CMAKE_BINARY_DIR}/fsi-engine.pc\" @ONLY)
")
install(FILES ${CMAKE_BINARY_DIR}/fsi-engine.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
