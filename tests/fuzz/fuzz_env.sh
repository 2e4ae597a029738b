# Sourced by run_fuzz.sh and run_fuzz_h5.sh (after they set `here`, their own
# folder): the settings both share and the one way both skip where clang
# cannot build a libFuzzer target.
#   sets root (the checkout), secs (run time, from $1 or DSHAP_FUZZ_SECONDS,
#   default 60) and cc (CLANG, else clang or clang-14; none: SKIP, exit 77)
root=$(cd "$here/../.." && pwd)
secs=${1:-${DSHAP_FUZZ_SECONDS:-60}}
cc=${CLANG:-$(command -v clang || command -v clang-14 || true)}
if [ -z "$cc" ]; then echo "SKIP: clang not found"; exit 77; fi

# After a failed build or link whose messages are in $1, in work folder $2:
# a compiler without libFuzzer's runtime skips (77, folder removed); any other
# failure is the code's and fails (1, folder kept).
fuzz_build_failed() {
  if grep -qiE "fuzzer|libclang_rt" "$1"; then
    echo "SKIP: $cc cannot link -fsanitize=fuzzer here"; cat "$1"; rm -rf "$2"; exit 77
  fi
  echo "fuzz build failed:"; cat "$1"; exit 1
}
