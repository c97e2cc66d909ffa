# Helpers that keep every library, tool and test target declared the same way.

# amlops_add_library(<name> [SOURCES ...] [DEPS ...])
# Creates amlops_<name> with alias amlops::<name>; INTERFACE when it has no sources.
function(amlops_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(amlops_${name} STATIC ${ARG_SOURCES})
    target_include_directories(amlops_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(amlops_${name} PUBLIC ${ARG_DEPS} PRIVATE amlops_warnings)
  else()
    add_library(amlops_${name} INTERFACE)
    target_include_directories(amlops_${name} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(amlops_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(amlops::${name} ALIAS amlops_${name})
  # Recorded for tests/architecture: the header and layer checks walk every library.
  set_property(GLOBAL APPEND PROPERTY AMLOPS_LIBRARIES ${name})
endfunction()

# amlops_add_tool(<phase> [DEPS ...]), called from tools/<phase>/CMakeLists.txt, builds main.cpp
# there as the executable bin/aml-<phase>.
function(amlops_add_tool dir)
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  add_executable(aml-${dir} ${CMAKE_CURRENT_SOURCE_DIR}/main.cpp)
  target_link_libraries(aml-${dir} PRIVATE amlops::cli ${ARG_DEPS} amlops_warnings)
  set_target_properties(aml-${dir} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endfunction()
