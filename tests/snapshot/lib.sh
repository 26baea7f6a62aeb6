# Shared by the snapshot tests (sourced). DEJA, DEJA_GUEST_DIR and SNAP_WORK
# come from CMakeLists.txt; every test gets a fresh DEJA_HOME.
set -euo pipefail
DEJA=${DEJA:?DEJA is not set}
G=${DEJA_GUEST_DIR:?DEJA_GUEST_DIR is not set}
WORK=${SNAP_WORK:?SNAP_WORK is not set}
TEST_NAME=$(basename "$0" .sh)
rm -rf "$WORK"
mkdir -p "$WORK"
export DEJA_HOME="$WORK/home"
cd "$WORK"

fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  for f in "$WORK"/*.out "$WORK"/*.err; do
    [[ -f $f ]] && { echo "--- $f" >&2; head -c 2000 "$f" >&2; }
  done
  exit 1
}
note() { echo "-- $*"; }

# expect_exit CODE PREFIX deja-args...: runs deja, PREFIX.out / PREFIX.err.
expect_exit() {
  local want=$1 p=$2
  shift 2
  local got=0
  "$DEJA" "$@" >"$p.out" 2>"$p.err" || got=$?
  [[ $got == "$want" ]] || fail "deja $* exited $got, expected $want"
}

# same FILE_A FILE_B MESSAGE
same() { cmp -s "$1" "$2" || { diff "$1" "$2" >&2 || true; fail "$3"; }; }
