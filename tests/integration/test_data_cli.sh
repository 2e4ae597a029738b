#!/usr/bin/env bash
# The data commands end to end through the command line:
#   synth (every layout) -> features -> predict gives the same logits as
#   predict on the data.h5 itself; synth --format skeleton -> import-ntu;
#   the malformed corpus gives one "skipped <file>:<line>: <problem>" line per
#   file and per-reason counts; usage errors exit 2 with one line, failures
#   exit 1 with one line and leave no output (nor .part) behind.
# Args: dshap binary, fixtures dir, shared dir.
set -uo pipefail
dshap=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
fixtures=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/dshap_data_cli.XXXXXX)
trap 'rm -rf "$work"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# expect CODE DESCRIPTION -- command...: exit code must match; stderr kept in $work/err
expect() {
  local code=$1 what=$2; shift 3
  "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  if [ $rc -eq "$code" ]; then ok "$what (exit $rc)"; else bad "$what: exit $rc, expected $code"; cat "$work/out" "$work/err"; fi
}
one_line() { # the error output is exactly one line
  local n; n=$(wc -l <"$work/err")
  if [ "$n" -eq 1 ]; then ok "one line: $(cat "$work/err")"; else bad "expected one error line, got $n:"; cat "$work/err"; fi
}
shape_is() { # file dataset "{...}" as h5ls prints it
  local got; got=$(h5ls "$1/$2" | sed 's/.*Dataset //')
  if [ "$got" = "$3" ]; then ok "$1$2 is $3"; else bad "$1$2 is $got, expected $3"; fi
}

cd "$work"
# --- synth and features for every layout
for spec in "ntu25 2 300" "cp29 1 150" "cp19 1 150"; do
  set -- $spec
  expect 0 "synth $1" -- "$dshap" data synth --layout "$1" --n 5 --classes 2 --frames 60 --seed 4 -o "$1.h5"
  shape_is "$1.h5" /x "{5/Inf, $([ "$1" = ntu25 ] && echo 3 || echo 2), 60, $([ "$1" = ntu25 ] && echo 25 || echo ${1#cp}), $2}"
  expect 0 "features $1" -- "$dshap" features --data "$1.h5" --frames 50 -o "$1.in.h5"
done
shape_is ntu25.in.h5 /x "{5/Inf, 4, 6, 50, 25, 2}"
h5dump -a /transforms ntu25.h5 >/dev/null 2>&1 && ok "transforms attribute present" || bad "no transforms attribute"

# --- features match what predict computes on the fly
if "$dshap" model init --arch cp29 --frames 50 --seed 2 -o m.h5 >/dev/null 2>&1; then
  expect 0 "predict on data.h5" -- "$dshap" predict --model m.h5 --input cp29.h5 -o p_data.h5
  expect 0 "predict on inputs.h5" -- "$dshap" predict --model m.h5 --input cp29.in.h5 -o p_in.h5
  if h5diff p_data.h5 p_in.h5 /logits /logits >/dev/null; then ok "same logits from data.h5 and inputs.h5"
  else bad "logits differ between data.h5 and inputs.h5"; fi
else
  echo "skip predict comparison (model init unavailable)"
fi

# --- synth --second-person interactions: a second person only in labels 49-59
person2_values() { # file sample: the distinct values of person 2's joints
  h5dump -d /x -s "$2,0,0,0,1" -c "1,3,8,25,1" -y -w 0 "$1" | sed -n '/DATA {/,/}/p' | sed '1d;$d' | tr ', ' '\n\n' |
    grep -v '^$' | sort -u
}
expect 0 "synth --second-person interactions" -- "$dshap" data synth --layout ntu25 --n 51 --classes 60 --frames 8 \
  --seed 6 --second-person interactions -o inter.h5
[ "$(person2_values inter.h5 48)" = 0 ] && ok "label 48: no second person (zero joints)" || bad "label 48 has a second person"
[ "$(person2_values inter.h5 49 | wc -l)" -gt 100 ] && ok "label 49: a moving second person" || bad "label 49 lacks a second person"
expect 2 "synth --second-person bad" -- "$dshap" data synth --layout ntu25 --n 2 --second-person some -o x.h5; one_line
expect 2 "synth --second-person without a value" -- "$dshap" data synth --layout ntu25 --n 2 --second-person; one_line
expect 2 "features --bogus" -- "$dshap" features --bogus; one_line

# --- synthetic .skeleton files through the importer
expect 0 "synth --format skeleton" -- "$dshap" data synth --layout ntu25 --n 12 --classes 4 --frames 64 --seed 5 --format skeleton --out-dir skel
expect 0 "import-ntu xview train" -- "$dshap" data import-ntu skel --benchmark xview --split train -o skel_train.h5
grep -q "imported *8$" out && ok "8 of 12 synthetic files in xview train" || { bad "import counts"; cat out; }
shape_is skel_train.h5 /x "{8/Inf, 3, 300, 25, 2}"
printf 'Samples with missing skeletons.\nPlease ignore them.\n\nS001C002P001R001A002\nS009C001P001R001A001\n' >skip.txt
expect 0 "import-ntu --skip-list (official format, prose header)" -- "$dshap" data import-ntu skel --benchmark xview --split train --skip-list skip.txt -o skel_skip.h5
grep -q "on the skip list *1$" out && grep -q "imported *7$" out && ok "1 listed sample skipped, 7 imported" || { bad "skip list"; cat out; }
expect 0 "import-ntu --raw --frames 64" -- "$dshap" data import-ntu skel --benchmark xview --split eval --raw --frames 64 -o skel_raw.h5
shape_is skel_raw.h5 /x "{4/Inf, 3, 64, 25, 2}"

# --- malformed corpus: one skip line per file, counted by reason
mkdir corpus
i=0
while read -r file reason; do
  case "$file" in \#*|"") continue ;; esac
  i=$((i + 1))
  ln -s "$(cd "$fixtures/skeleton_bad" && pwd)/$file" "corpus/$(printf 'S001C002P001R001A%03d' $i).skeleton"
done <"$fixtures/skeleton_bad/MANIFEST"
ln -s "$(cd "$fixtures/skeleton_good" && pwd)/S001C002P001R001A006.skel.txt" corpus/S001C002P001R002A001.skeleton
expect 0 "import-ntu on the malformed corpus + 1 good file" -- "$dshap" data import-ntu corpus --benchmark xview --split train -o corpus.h5
n=$(grep -c "^import-ntu: skipped S001C002P001R001A[0-9]*\.skeleton:[0-9]*: " err)
[ "$n" -eq "$i" ] && ok "$n skip lines with file:line: problem" || { bad "$n skip lines for $i files"; cat err; }
grep -q "skipped *$i$" out && grep -q "imported *1$" out && ok "summary: $i skipped, 1 imported" || { bad "summary"; cat out; }
rm corpus/S001C002P001R002A001.skeleton
expect 1 "import-ntu with nothing importable" -- "$dshap" data import-ntu corpus --benchmark xview --split train --quiet -o none.h5
one_line
[ ! -e none.h5 ] && [ ! -e none.h5.part ] && ok "no output left behind" || bad "output left behind"

# --- usage errors (exit 2, one line) and failures (exit 1, one line)
expect 2 "import-ntu without --benchmark" -- "$dshap" data import-ntu skel --split train -o x.h5; one_line
expect 2 "import-ntu --frames abc" -- "$dshap" data import-ntu skel --benchmark xview --split train --frames abc -o x.h5; one_line
expect 2 "synth --layout unknown" -- "$dshap" data synth --layout foo --n 2 -o x.h5; one_line
expect 2 "synth --format skeleton for cp29" -- "$dshap" data synth --layout cp29 --n 2 --format skeleton --out-dir d; one_line
expect 2 "unknown data subcommand" -- "$dshap" data frobnicate
expect 2 "features without --frames" -- "$dshap" features --data cp29.h5 -o x.h5; one_line
expect 1 "import-ntu of a missing folder" -- "$dshap" data import-ntu /nonexistent --benchmark xsub --split eval -o x.h5; one_line
expect 1 "features --frames beyond the stored frames" -- "$dshap" features --data cp29.h5 --frames 61 -o x.h5; one_line
printf 'not a numpy file' >x.npy
expect 1 "import-npy of a non-.npy file" -- "$dshap" data import-npy x.npy x.npy --layout cp29 -o x.h5; one_line
[ ! -e x.h5 ] && [ ! -e x.h5.part ] && ok "failed commands left no x.h5" || bad "x.h5 left behind"

echo "test_data_cli: $fails failure(s)"
[ $fails -eq 0 ]
