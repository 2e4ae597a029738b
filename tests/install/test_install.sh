#!/usr/bin/env bash
# cmake --install into a temporary prefix, then a program outside the tree
# built against it twice: with find_package(dshap) and with pkg-config.
# Also: libdshap.so exports only dshap_* and carries its SONAME.
# usage: test_install.sh BUILD_DIR MODEL.h5
set -euo pipefail
build=$1 model=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
lib=$(ls "$tmp"/prefix/lib*/libdshap.so.0)
bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ && $3 !~ /^dshap_/ {print $3}')
if [ -n "$bad" ]; then echo "FAIL: libdshap.so exports non-dshap symbols: $bad"; exit 1; fi
n=$(nm -D --defined-only "$lib" | awk '$3 ~ /^dshap_/' | wc -l)
[ "$n" -ge 20 ] || { echo "FAIL: only $n dshap_ symbols exported"; exit 1; }
readelf -d "$lib" | grep -q 'SONAME.*\[libdshap.so.0\]' || { echo "FAIL: no SONAME libdshap.so.0"; exit 1; }
for f in include/dshap/dshap.h include/dshap/status.h bin/dshap; do
  [ -e "$tmp/prefix/$f" ] || { echo "FAIL: $f not installed"; exit 1; }
done
# find_package
cmake -S "$here" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer" "$model"
# pkg-config (the installed library has no RPATH: the loader path is given)
flags=$(PKG_CONFIG_PATH=$(dirname "$lib")/pkgconfig pkg-config --cflags --libs dshap)
cc -std=c11 -O1 "$here/consumer.c" $flags -lm -o "$tmp/consumer_pc"
LD_LIBRARY_PATH=$(dirname "$lib") "$tmp/consumer_pc" "$model"
echo "test_install: $n exported dshap_ symbols; find_package and pkg-config consumers pass"
