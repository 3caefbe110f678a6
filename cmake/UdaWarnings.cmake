# Strict warnings for the project's own targets (never for third-party headers,
# which come in as SYSTEM include directories through their imported targets).
function(uda_target_warnings target)
  if(MSVC)
    target_compile_options(${target} PRIVATE /W4 /permissive-)
    if(UDA_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE /WX)
    endif()
  else()
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                             -Wnon-virtual-dtor -Wold-style-cast
                                             -Wcast-align)
    # -Wnull-dereference is left out: at -O2 it fires inside Boost.Asio's
    # scheduler (scheduler.ipp), not in our code.
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 at -O2 reports Boost.Asio's own coroutine frames (awaitable.hpp:
      # operator new/delete of awaitable_frame_base) as mismatched; the warning
      # is raised in optimised builds only and is a known false positive there.
      target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
    endif()
    if(UDA_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

# Declares one library of the service: sources given, include root is service/.
# With UDA_UNITY_BUILD the library's sources compile as unity batches: Boost.Asio,
# Beast and spdlog templates are then instantiated and optimised once per batch
# instead of once per file (CI and release builds; see README, Development).
function(uda_add_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/service)
  uda_target_warnings(${name})
  uda_target_unity(${name})
endfunction()

# With UDA_UNITY_BUILD, compiles <target>'s sources in unity batches of 8.
function(uda_target_unity target)
  if(UDA_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # In a unity source every file is an included one, and GCC then reports
      # each coroutine frame or member whose type is in an anonymous namespace
      # (-Wsubobject-linkage); the types are file-local either way.
      target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
    endif()
  endif()
endfunction()
