# vdf_glob_sources(OUT DIR [EXCLUDE_DIRS d1 d2 ...]): all .cpp under DIR (and .cu in CUDA builds), minus
# excluded subfolders.
function(vdf_glob_sources out dir)
  cmake_parse_arguments(ARG "" "" "EXCLUDE_DIRS" ${ARGN})
  set(patterns ${dir}/*.cpp)
  if(VDF_CUDA)
    list(APPEND patterns ${dir}/*.cu)
  endif()
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${patterns})
  foreach(ex ${ARG_EXCLUDE_DIRS})
    list(FILTER srcs EXCLUDE REGEX "${dir}/${ex}/")
  endforeach()
  set(${out} ${srcs} PARENT_SCOPE)
endfunction()

# vdf_build_settings(TARGET): the shared precompiled header, and unity batches. Why both: LibTorch 2.x's
# torch/torch.h precompiles to ~700 MB, and merely loading it costs ~10 s of CPU per translation unit
# (measured: an empty file with the PCH, -O2); compiling VDF_UNITY_BATCH files as one unit pays that
# once per batch. Files therefore keep their file-local helpers in distinct names or in a named
# namespace (an anonymous-namespace `helper()` in two files of one batch would collide).
function(vdf_build_settings target)
  if(VDF_PCH)
    target_precompile_headers(${target} REUSE_FROM vdf_pch)
  endif()
  if(VDF_UNITY)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_MODE BATCH
                                               UNITY_BUILD_BATCH_SIZE ${VDF_UNITY_BATCH})
  endif()
endfunction()
