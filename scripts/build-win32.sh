#!/usr/bin/env bash
# Cross-compiles the win32-x64 addon with Debian's mingw-w64 (the posix-threads variant, for std::thread) into
# OUT (default prebuilds/win32-x64/sparsekit.napi.node). Node-API only: the import library that resolves napi_* from
# node.exe is made by x86_64-w64-mingw32-dlltool from the .def files of the node-api-headers package, so no Node
# source or Windows SDK is needed. libstdc++, libgcc and winpthreads are linked statically: the .node file needs
# nothing but node.exe and the system DLLs. Sources and ISA flags come from native/sources.gypi (one list).
#   scripts/build-win32.sh [OUT]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/native-sources.sh
out_file="${1:-prebuilds/win32-x64/sparsekit.napi.node}"
cxx=x86_64-w64-mingw32-g++-posix
command -v "$cxx" >/dev/null || { echo "build-win32: $cxx not found (apt-get install g++-mingw-w64-x86-64-posix)" >&2; exit 3; }
obj="build-win32/obj"
rm -rf build-win32 && mkdir -p "$obj"

headers="$(node -p "require('node-api-headers').include_dir")"
defs="$(node -p "require('node-api-headers').def_paths.node_api_def")"
js_defs="$(node -p "require('node-api-headers').def_paths.js_native_api_def")"
addon_api="$(node -p "require('node-addon-api').include_dir")"
# One import library for node.exe, from both .def files (duplicates dropped).
{ echo "NAME NODE.EXE"; echo "EXPORTS"; awk 1 "$defs" "$js_defs" | sed 's/[[:space:]]*$//' | grep -v -E '^(NAME .*|EXPORTS|)$' | sort -u; } >build-win32/node.def
x86_64-w64-mingw32-dlltool -d build-win32/node.def -D node.exe -l build-win32/libnode.a 2>build-win32/dlltool.log
# dlltool reports a bad .def on stderr and still exits 0: check the import library has every entry.
if [ -s build-win32/dlltool.log ] || [ "$(x86_64-w64-mingw32-nm build-win32/libnode.a | grep -c ' T n')" -lt "$(grep -c '^n' build-win32/node.def)" ]; then
  cat build-win32/dlltool.log >&2; echo "build-win32: the node.exe import library is incomplete" >&2; exit 1
fi

flags=(-std=c++17 -O3 -fexceptions -DNAPI_VERSION=8 -DNAPI_CPP_EXCEPTIONS -DNODE_ADDON_API_DISABLE_DEPRECATED
       -DBUILDING_NODE_EXTENSION -I"$headers" -I"$addon_api" -Wno-attributes)
objs=()
compile() {  # source, extra flags...: nproc at a time in the background
  local src="$1"; shift
  local o="$obj/$(echo "$src" | tr '/' '_').o"
  while [ "$(jobs -rp | wc -l)" -ge "$(nproc)" ]; do wait -n; done
  "$cxx" "${flags[@]}" "$@" -c "$src" -o "$o" &
  objs+=("$o")
}
for f in $(sources core) $(sources binding) $(sources scalar); do compile "$f"; done
for f in $(sources avx2); do compile "$f" $(cflags avx2); done
for f in $(sources avx512); do compile "$f" $(cflags avx512); done
for pid in $(jobs -rp); do wait "$pid"; done
mkdir -p "$(dirname "$out_file")"
"$cxx" -shared -o "$out_file" "${objs[@]}" build-win32/libnode.a \
  -static -static-libgcc -static-libstdc++ -s
x86_64-w64-mingw32-objdump -p "$out_file" | grep 'DLL Name' | sed 's/^[[:space:]]*/build-win32: imports /'
echo "build-win32: $out_file ($(stat -c %s "$out_file") bytes)"
