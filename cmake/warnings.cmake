# Warnings are errors: a warning left today is a bug report nobody reads tomorrow.
function(vkube_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor -Wno-unused-parameter
                         -Wno-missing-field-initializers)  # designated initializers omit defaults on purpose
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # mismatched-new-delete: GCC 12 false positive on Asio coroutine frames (recycling allocator).
    target_compile_options(${target} PRIVATE -Wshadow=local -Wno-mismatched-new-delete)
  endif()
  if(VKUBE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

if(VKUBE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function cannot compile C++20 coroutines ("difference across sections").
    add_compile_options(-fno-sanitize=function)
  endif()
endif()

if(VKUBE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "VKUBE_FUZZ requires clang (libFuzzer)")
  endif()
  # Coverage instrumentation everywhere; only fuzz targets link the libFuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
