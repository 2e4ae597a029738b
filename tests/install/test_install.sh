#!/usr/bin/env bash
# cmake --install into a temporary prefix, then a program outside the tree
# built against it twice: with find_package(dshap) and with pkg-config.
# Also: libdshap.so exports exactly the DSHAP_API functions of the installed
# headers and carries its SONAME; the installed dshap executable runs on the
# installed libdshap.so.
# usage: test_install.sh BUILD_DIR MODEL.h5
set -euo pipefail
build=$1 model=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
lib=$(ls "$tmp"/prefix/lib*/libdshap.so.0)
# exactly the functions the installed headers declare DSHAP_API
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVWiu]$/ {print $3}' | sort >"$tmp/exported"
sed -n 's/^DSHAP_API [^(]*[ *]\(dshap_[a-z0-9_]*\)(.*/\1/p' "$tmp"/prefix/include/dshap/*.h | sort >"$tmp/declared"
if ! diff "$tmp/declared" "$tmp/exported" >"$tmp/diff"; then
  echo "FAIL: libdshap.so's exports differ from the DSHAP_API declarations (< declared only, > exported only):"
  cat "$tmp/diff"; exit 1
fi
n=$(wc -l <"$tmp/exported")
[ "$n" -ge 25 ] || { echo "FAIL: only $n DSHAP_API functions found"; exit 1; }
readelf -d "$lib" | grep -q 'SONAME.*\[libdshap.so.0\]' || { echo "FAIL: no SONAME libdshap.so.0"; exit 1; }
for f in include/dshap/dshap.h include/dshap/status.h include/dshap/cli.h bin/dshap; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# the installed CLI is libdshap's dshap_cli_main and finds it beside bin/ (RUNPATH $ORIGIN/../lib)
readelf -d "$tmp/prefix/bin/dshap" | grep -q 'NEEDED.*\[libdshap.so.0\]' || { echo "FAIL: bin/dshap does not link libdshap.so.0"; exit 1; }
found=$(env -u LD_LIBRARY_PATH ldd "$tmp/prefix/bin/dshap" | awk '$1 == "libdshap.so.0" {print $3}')
[ "$found" -ef "$lib" ] || { echo "FAIL: bin/dshap loads libdshap from '$found', not the installed $lib"; exit 1; }
[ "$("$tmp/prefix/bin/dshap" --version)" = "dshap $(sed -n 's/^Version: //p' "$(dirname "$lib")/pkgconfig/dshap.pc")" ] ||
  { echo "FAIL: the installed dshap --version"; exit 1; }
"$tmp/prefix/bin/dshap" model info "$model" >/dev/null || { echo "FAIL: the installed dshap model info"; exit 1; }
# find_package
cmake -S "$here" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer" "$model"
# pkg-config (the installed library has no RPATH: the loader path is given)
flags=$(PKG_CONFIG_PATH=$(dirname "$lib")/pkgconfig pkg-config --cflags --libs dshap)
cc -std=c11 -O1 "$here/consumer.c" $flags -lm -o "$tmp/consumer_pc"
LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/consumer_pc" "$model"
echo "test_install: $n exported dshap_ functions, all declared; installed dshap runs on it; find_package and pkg-config consumers pass"
