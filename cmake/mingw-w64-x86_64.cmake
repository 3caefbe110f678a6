# Toolchain for the Windows x64 cross build: mingw-w64 (posix threads), static
# link, tests run under Wine. scripts/build-windows.sh builds the dependencies
# into a private prefix and passes it as UDA_WINDOWS_PREFIX; that prefix and the
# mingw sysroot are the only places searched for headers, libraries and
# packages (never the build machine's /usr/include).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)

# The dependency prefix: -DUDA_WINDOWS_PREFIX=... or the environment variable of
# the same name. try_compile projects get it through the platform variables.
if(NOT UDA_WINDOWS_PREFIX AND DEFINED ENV{UDA_WINDOWS_PREFIX})
  set(UDA_WINDOWS_PREFIX "$ENV{UDA_WINDOWS_PREFIX}")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES UDA_WINDOWS_PREFIX)

set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
if(UDA_WINDOWS_PREFIX)
  list(APPEND CMAKE_FIND_ROOT_PATH "${UDA_WINDOWS_PREFIX}")
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# FindBoost must not pick up the build machine's BoostConfig.cmake.
set(Boost_NO_BOOST_CMAKE ON)

# Windows 10 / Server 2016 API level; no min/max macros from <windows.h>.
# -include utility: Boost 1.74's asio/awaitable.hpp uses std::exchange without
# including <utility>, which GCC 12's libstdc++ no longer pulls in.
# -Wa,-mbig-obj: Beast/Asio objects exceed the default COFF section limit.
set(CMAKE_C_FLAGS_INIT "-D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00 -DNOMINMAX")
set(CMAKE_CXX_FLAGS_INIT "-D_WIN32_WINNT=0x0A00 -DWINVER=0x0A00 -DNOMINMAX -include utility -Wa,-mbig-obj")
# -O2 rather than CMake's -O3 for Release: about 15% less compile time.
set(CMAKE_C_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Flags for Release builds")
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG" CACHE STRING "Flags for Release builds")
# Static libgcc/libstdc++/winpthread: the .exe imports only system DLLs.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static")

set(CMAKE_CROSSCOMPILING_EMULATOR /usr/bin/wine)
