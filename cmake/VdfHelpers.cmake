# vdf_glob_sources(OUT DIR [EXCLUDE_DIRS d1 d2 ...]): all .cpp under DIR, minus excluded subfolders.
function(vdf_glob_sources out dir)
  cmake_parse_arguments(ARG "" "" "EXCLUDE_DIRS" ${ARGN})
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/*.cpp)
  foreach(ex ${ARG_EXCLUDE_DIRS})
    list(FILTER srcs EXCLUDE REGEX "${dir}/${ex}/")
  endforeach()
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()

# vdf_use_pch(TARGET): reuse the shared precompiled header.
function(vdf_use_pch target)
  if(VDF_PCH)
    target_precompile_headers(${target} REUSE_FROM vdf_pch)
  endif()
endfunction()
