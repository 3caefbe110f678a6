#!/usr/bin/env bash
# Cross-builds uda-agent for Windows x64 with mingw-w64 (the windows-cross
# preset), after building its dependencies for mingw from Debian's sources.
#
#   scripts/build-windows.sh            dependencies (cached), configure, build
#   scripts/build-windows.sh --deps     dependencies only; prints the prefix
#
# The dependencies are built once per set of versions into
#   ${UDA_WINDOWS_DEPS:-~/.cache/uda-agent/windows-deps}/<key>/
# where <key> hashes the Debian source versions, the compiler and this recipe;
# a warm cache skips that step entirely (no network).
#   yaml-cpp   Debian source (apt-get source), static library, CMake config
#   SQLite     Debian source: configure --disable-tcl && make sqlite3.c, then the
#              amalgamation is cross-compiled into libsqlite3.a
#   fmt        Debian source, static library, CMake config
#   spdlog     Debian source, static library against that fmt, CMake config
#   GoogleTest /usr/src/googletest (gtest + gmock), static, CMake config
#   headers    include/ holds only boost, nlohmann, CLI (symlinks to Debian's
#              headers) with small CMake configs; /usr/include is never on the
#              mingw include path.
# (fmt and spdlog are compiled once rather than used header-only: header-only
# fmt nearly doubles the compile time of every source file.)
# apt-get source runs with a private deb-src list and private apt state and
# cache folders under the cache root: the system's apt configuration is not
# touched and no root rights are needed for it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

deps_only=0
if [ "${1:-}" = "--deps" ]; then deps_only=1; fi

cache_root=${UDA_WINDOWS_DEPS:-$HOME/.cache/uda-agent/windows-deps}
jobs=${UDA_JOBS:-$(nproc)}
toolchain=$root/cmake/mingw-w64-x86_64.cmake
cc=x86_64-w64-mingw32-gcc-posix
cxx=x86_64-w64-mingw32-g++-posix
recipe=4 # bump when the recipe below changes

for tool in $cxx tclsh dpkg-source; do
  command -v "$tool" >/dev/null || {
    echo "build-windows: $tool is missing; run UDA_WINDOWS=1 scripts/bootstrap.sh" >&2
    exit 1
  }
done

srcver() { dpkg-query -W -f='${source:Version}' "$1"; }
yaml_ver=$(srcver libyaml-cpp-dev)
sqlite_ver=$(srcver libsqlite3-dev)
gtest_ver=$(srcver googletest)
boost_ver=$(srcver libboost-dev)
fmt_ver=$(srcver libfmt-dev)
spdlog_ver=$(srcver libspdlog-dev)
json_ver=$(srcver nlohmann-json3-dev)
cli11_ver=$(srcver libcli11-dev)
cc_ver="$($cxx -dumpfullversion) $(srcver mingw-w64-x86-64-dev)"
manifest="recipe $recipe
compiler $cc_ver
yaml-cpp $yaml_ver
sqlite3 $sqlite_ver
googletest $gtest_ver
boost $boost_ver
fmt $fmt_ver
spdlog $spdlog_ver
nlohmann-json $json_ver
cli11 $cli11_ver"
key=$(printf '%s\n' "$manifest" | sha256sum | cut -c1-16)
prefix=$cache_root/$key

log() { echo "build-windows: $*" >&2; }

# Upstream version without the Debian revision and repack suffix: 0.7.0+dfsg-8 -> 0.7.0
upstream() { local v=${1#*:}; v=${v%-*}; echo "${v%%+*}"; }

# A CMake package config for a header-only library in $prefix/include.
write_config() { # name version target definitions dependency
  local name=$1 version=$2 target=$3 defs=$4 dep=${5:-}
  local dir=$prefix/lib/cmake/$name
  mkdir -p "$dir"
  {
    echo "# Header-only $name for the Windows cross build (scripts/build-windows.sh)."
    # shellcheck disable=SC2016 # CMake's ${...}, written as is
    echo 'get_filename_component(_uda_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)'
    if [ -n "$dep" ]; then
      echo "include(CMakeFindDependencyMacro)"
      echo "find_dependency($dep)"
    fi
    echo "if(NOT TARGET $target)"
    echo "  add_library($target INTERFACE IMPORTED)"
    echo "  set_target_properties($target PROPERTIES"
    echo "    INTERFACE_INCLUDE_DIRECTORIES \"\${_uda_prefix}/include\""
    echo "    INTERFACE_COMPILE_DEFINITIONS \"$defs\")"
    if [ -n "$dep" ]; then
      echo "  set_property(TARGET $target PROPERTY INTERFACE_LINK_LIBRARIES $dep::$dep)"
    fi
    echo "endif()"
  } >"$dir/${name}Config.cmake"
  cat >"$dir/${name}ConfigVersion.cmake" <<EOF
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION VERSION_EQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
EOF
}

build_deps() {
  local work=$cache_root/work-$key
  rm -rf "$work" "$prefix"
  mkdir -p "$work" "$prefix/include" "$prefix/lib"

  # --- sources from Debian, with a private apt configuration
  local apt=$cache_root/apt
  mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/sources.list.d"
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  cat >"$apt/sources.list" <<EOF
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm main
deb-src [signed-by=$keyring] http://deb.debian.org/debian bookworm-updates main
deb-src [signed-by=$keyring] http://deb.debian.org/debian-security bookworm-security main
EOF
  local aptopts=(-q -o "Dir::Etc::SourceList=$apt/sources.list"
    -o "Dir::Etc::SourceParts=$apt/sources.list.d" -o "Dir::State::Lists=$apt/lists"
    -o "Dir::Cache=$apt/cache" -o "APT::Sandbox::User=root")
  log "apt-get update (private deb-src list in $apt)"
  apt-get "${aptopts[@]}" update >"$work/apt-update.log" 2>&1 || {
    cat "$work/apt-update.log" >&2
    exit 1
  }
  local pkg
  for pkg in "yaml-cpp=$yaml_ver" "sqlite3=$sqlite_ver" "fmtlib=$fmt_ver" "spdlog=$spdlog_ver"; do
    log "apt-get source $pkg"
    # The exact version of the installed -dev package; if the archive has moved
    # on, the current bookworm version (same upstream release line).
    if ! (cd "$work" && apt-get "${aptopts[@]}" source "$pkg" >>"$work/apt-source.log" 2>&1); then
      log "  $pkg is no longer in the archive; taking the current ${pkg%%=*}"
      (cd "$work" && apt-get "${aptopts[@]}" source "${pkg%%=*}" >>"$work/apt-source.log" 2>&1)
    fi
  done

  # --- yaml-cpp (static)
  local ysrc
  ysrc=$(find "$work" -maxdepth 1 -type d -name 'yaml-cpp-*' | head -1)
  log "yaml-cpp: building $(basename "$ysrc")"
  cmake -S "$ysrc" -B "$work/build-yaml-cpp" -G Ninja -Wno-dev \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DYAML_BUILD_SHARED_LIBS=OFF -DYAML_CPP_BUILD_TESTS=OFF \
    -DYAML_CPP_BUILD_TOOLS=OFF -DYAML_CPP_BUILD_CONTRIB=ON >"$work/yaml-cpp.log" 2>&1
  cmake --build "$work/build-yaml-cpp" -j "$jobs" >>"$work/yaml-cpp.log" 2>&1
  cmake --install "$work/build-yaml-cpp" >>"$work/yaml-cpp.log" 2>&1

  # --- SQLite: the amalgamation from the full source tree, then cross-compiled
  local ssrc
  ssrc=$(find "$work" -maxdepth 1 -type d -name 'sqlite3-*' | head -1)
  log "sqlite: generating the amalgamation from $(basename "$ssrc")"
  mkdir -p "$work/build-sqlite"
  (cd "$work/build-sqlite" && "$ssrc/configure" --disable-tcl >"$work/sqlite.log" 2>&1 &&
    make -j "$jobs" sqlite3.c >>"$work/sqlite.log" 2>&1)
  log "sqlite: cross-compiling sqlite3.c"
  # Debian's main compile-time options that matter for a server-side store.
  $cc -O2 -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_SECURE_DELETE \
    -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_MAX_VARIABLE_NUMBER=250000 -DSQLITE_OMIT_LOAD_EXTENSION \
    -c "$work/build-sqlite/sqlite3.c" -o "$work/build-sqlite/sqlite3.o"
  x86_64-w64-mingw32-ar rcs "$prefix/lib/libsqlite3.a" "$work/build-sqlite/sqlite3.o"
  cp "$work/build-sqlite/sqlite3.h" "$ssrc/src/sqlite3ext.h" "$prefix/include/"

  # --- fmt, then spdlog on top of it (static)
  local fsrc psrc
  fsrc=$(find "$work" -maxdepth 1 -type d -name 'fmtlib-*' | head -1)
  log "fmt: building $(basename "$fsrc")"
  cmake -S "$fsrc" -B "$work/build-fmt" -G Ninja -Wno-dev \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release -DUDA_WINDOWS_PREFIX="$prefix" \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF -DFMT_DOC=OFF -DFMT_TEST=OFF \
    -DFMT_INSTALL=ON >"$work/fmt.log" 2>&1
  cmake --build "$work/build-fmt" -j "$jobs" >>"$work/fmt.log" 2>&1
  cmake --install "$work/build-fmt" >>"$work/fmt.log" 2>&1
  psrc=$(find "$work" -maxdepth 1 -type d -name 'spdlog-*' | head -1)
  log "spdlog: building $(basename "$psrc")"
  cmake -S "$psrc" -B "$work/build-spdlog" -G Ninja -Wno-dev \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release -DUDA_WINDOWS_PREFIX="$prefix" \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DSPDLOG_BUILD_SHARED=OFF -DSPDLOG_FMT_EXTERNAL=ON \
    -DSPDLOG_BUILD_EXAMPLE=OFF -DSPDLOG_BUILD_TESTS=OFF -DSPDLOG_BUILD_BENCH=OFF \
    -DSPDLOG_INSTALL=ON >"$work/spdlog.log" 2>&1
  cmake --build "$work/build-spdlog" -j "$jobs" >>"$work/spdlog.log" 2>&1
  cmake --install "$work/build-spdlog" >>"$work/spdlog.log" 2>&1

  # --- GoogleTest + GoogleMock (static)
  log "googletest: building /usr/src/googletest"
  cmake -S /usr/src/googletest -B "$work/build-googletest" -G Ninja -Wno-dev \
    -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON \
    -DBUILD_SHARED_LIBS=OFF >"$work/googletest.log" 2>&1
  cmake --build "$work/build-googletest" -j "$jobs" >>"$work/googletest.log" 2>&1
  cmake --install "$work/build-googletest" >>"$work/googletest.log" 2>&1

  # --- header-only libraries: only these folders, never /usr/include itself
  log "headers: boost nlohmann CLI"
  local d
  for d in boost nlohmann CLI; do
    ln -sfn "/usr/include/$d" "$prefix/include/$d"
  done
  write_config nlohmann_json "$(upstream "$json_ver")" nlohmann_json::nlohmann_json ""
  write_config CLI11 "$(upstream "$cli11_ver")" CLI11::CLI11 ""

  printf '%s\n' "$manifest" >"$prefix/MANIFEST"
  rm -rf "$work"
  touch "$prefix/.complete"
}

if [ -f "$prefix/.complete" ]; then
  log "dependencies: cache hit $prefix"
else
  log "dependencies: building into $prefix"
  start=$SECONDS
  build_deps
  log "dependencies: built in $((SECONDS - start)) s"
fi

if [ "$deps_only" = 1 ]; then
  echo "$prefix"
  exit 0
fi

start=$SECONDS
cmake --preset windows-cross -DUDA_WINDOWS_PREFIX="$prefix"
cmake --build --preset windows-cross
log "cross build: $((SECONDS - start)) s"
