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
function(uda_add_library name)
  add_library(${name} STATIC ${ARGN})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/service)
  uda_target_warnings(${name})
endfunction()
