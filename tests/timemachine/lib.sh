# Shared by the time machine's end-to-end tests (sourced, not run).
# Environment (set by CMakeLists.txt): DEJA (the binary), DEJA_GUEST_DIR
# (built tests/guests), TM_WORK (this test's scratch dir, recreated here).
# Every run goes to a registry of the test's own: DEJA_HOME=$TM_WORK/home.
set -euo pipefail

DEJA=${DEJA:?DEJA is not set}
G=${DEJA_GUEST_DIR:?DEJA_GUEST_DIR is not set}
WORK=${TM_WORK:?TM_WORK is not set}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TEST_NAME=$(basename "$0" .sh)

rm -rf "$WORK"
mkdir -p "$WORK/data"
export DEJA_HOME="$WORK/home"
cd "$WORK"

fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  exit 1
}

note() { echo "-- $*"; }

# Prints a file for a failure report (at most 4000 bytes of it).
show() {
  local f
  for f in "$@"; do
    echo "--- $f:" >&2
    if [[ -f $f ]]; then head -c 4000 "$f" >&2; else echo "(missing)" >&2; fi
    echo >&2
  done
}

# fail_with PREFIX MESSAGE: fails showing PREFIX.out and PREFIX.err.
fail_with() {
  local p=$1
  shift
  show "$p.out" "$p.err"
  fail "$*"
}

# dj PREFIX ARGS...: runs `deja ARGS...` with stdin from $DJ_STDIN (default
# /dev/null), stdout into PREFIX.out, stderr into PREFIX.err; sets $code and
# $secs (wall time). A crash always fails: death by any signal (SIGABRT
# included, although its shell status 134 is also deja's "the guest trapped"),
# or a sanitizer report. The shell folds both into one status, so perl (part
# of every Debian base system) reports how the process really ended: into
# PREFIX.sig, the signal number if it was killed.
dj() {
  local p=$1
  shift
  local t0=$EPOCHREALTIME
  rm -f "$p.sig"
  set +e
  perl -e '
    my $sig = shift; system { $ARGV[0] } @ARGV;
    if ($? == -1) { exit 127 }
    if ($? & 127) { open(my $f, ">", $sig) or die; print $f ($? & 127), "\n"; exit 128 + ($? & 127) }
    exit $? >> 8' "$p.sig" "$DEJA" "$@" <"${DJ_STDIN:-/dev/null}" >"$p.out" 2>"$p.err"
  code=$?
  set -e
  secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
  echo "$*" >"$p.cmd"
  if [[ -s $p.sig ]]; then
    fail_with "$p" "deja $* was killed by signal $(cat "$p.sig") (status $code): a crash"
  fi
  if grep -q -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$p.err"; then
    fail_with "$p" "deja $* printed a sanitizer report (status $code)"
  fi
  if ((code > 128 && code != 134)); then
    fail_with "$p" "deja $* exited with $code, a status no deja command uses (a crash?)"
  fi
}

# refused PREFIX CODE MESSAGE: the last dj refused with exit status CODE and
# stderr holding MESSAGE (not merely "non-zero": an abort is no refusal).
refused() {
  expect_code "$1" "$2"
  has "$1" err "$3"
}

# expect_code PREFIX WANT: the last dj's status must be WANT.
expect_code() {
  [[ $code == "$2" ]] || fail_with "$1" "deja $(cat "$1.cmd") exited with $code, expected $2"
}

# recorded_id PREFIX: the id from PREFIX.err's first line, which must be
# "deja run: recording <12 hex digits>".
recorded_id() {
  local first
  first=$(head -n 1 "$1.err")
  [[ $first =~ ^deja\ run:\ recording\ ([0-9a-f]{12})$ ]] ||
    fail_with "$1" "first stderr line is not \"deja run: recording <ID>\": $first"
  echo "${BASH_REMATCH[1]}"
}

# guest_err PREFIX: PREFIX.err without deja's own lines (those starting
# "deja run:" or "deja replay:") into PREFIX.gerr.
guest_err() {
  grep -v -E '^deja (run|replay): ' "$1.err" >"$1.gerr" || true
}

# same_bytes A B WHAT: files A and B must be identical.
same_bytes() {
  if ! cmp -s "$1" "$2"; then
    echo "--- diff $1 $2:" >&2
    diff "$1" "$2" | head -n 40 >&2 || true
    fail "$3 differ: $1 vs $2"
  fi
}

# has PREFIX STREAM TEXT: PREFIX.STREAM (out or err) contains TEXT.
has() {
  grep -q -F -- "$3" "$1.$2" || fail_with "$1" "std$2 of deja $(cat "$1.cmd") lacks \"$3\""
}

# replay_matches RUN REPLAY ID: replays ID into REPLAY.* and checks its
# stdout, guest stderr and exit status against the recorded run RUN.*.
# Extra arguments go to `deja replay`.
replay_matches() {
  local run=$1 rep=$2 id=$3
  shift 3
  local want=$code
  DJ_STDIN=/dev/null dj "$rep" replay "$id" "$@"
  [[ $code == "$want" ]] ||
    fail_with "$rep" "replay of $id exited with $code, the recorded run with $want"
  same_bytes "$run.out" "$rep.out" "stdout of the run and of its replay"
  guest_err "$run"
  guest_err "$rep"
  same_bytes "$run.gerr" "$rep.gerr" "guest stderr of the run and of its replay"
}

# json_lines FILE: every non-empty line of FILE is one JSON value.
json_lines() {
  python3 - "$1" <<'EOF' || fail "$1 is not one JSON value per line"
import json, sys
with open(sys.argv[1]) as f:
    lines = [l for l in f.read().splitlines() if l.strip()]
if not lines:
    sys.exit("no lines")
for i, l in enumerate(lines):
    try:
        json.loads(l)
    except ValueError as e:
        sys.exit("line %d: %s: %s" % (i + 1, e, l[:200]))
EOF
}

# json_value FILE: FILE holds one JSON value (a document or a single line).
json_value() {
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" || fail "$1 is not valid JSON"
}

# json_get FILE EXPR: evaluates the Python expression EXPR over the JSON
# value `j` read from FILE and prints the result.
json_get() {
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
