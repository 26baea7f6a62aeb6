# Shared by the durable tests (sourced). DEJA, DEJA_GUEST_DIR and
# DURABLE_WORK come from CMakeLists.txt; every test gets a fresh DEJA_HOME.
set -euo pipefail
DEJA=${DEJA:?DEJA is not set}
G=${DEJA_GUEST_DIR:?DEJA_GUEST_DIR is not set}
WORK=${DURABLE_WORK:?DURABLE_WORK is not set}
TEST_NAME=$(basename "$0" .sh)
rm -rf "$WORK"
mkdir -p "$WORK"
export DEJA_HOME="$WORK/home"
cd "$WORK"
WORKERS=()
cleanup() {
  for p in "${WORKERS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

fail() {
  echo "FAIL [$TEST_NAME]: $*" >&2
  for f in "$WORK"/*.out "$WORK"/*.err; do
    [[ -f $f ]] && { echo "--- $f" >&2; tail -c 2000 "$f" >&2; }
  done
  "$DEJA" ps >&2 || true
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

# state ID: the instance's state column in deja ps.
state() { "$DEJA" ps | awk -v id="$1" '$1 == id { print $2 }'; }

# wait_state ID REGEX [TRIES]: polls deja ps every 50 ms until the state matches.
wait_state() {
  local id=$1 want=$2 tries=${3:-400} s
  for ((i = 0; i < tries; i++)); do
    s=$(state "$id")
    [[ $s =~ ^($want)$ ]] && return 0
    sleep 0.05
  done
  fail "instance $id is '$s', expected $want"
}

# start_worker NAME [flags]: a background worker logging to NAME.err.
start_worker() {
  local name=$1
  shift
  "$DEJA" worker "$@" >"$name.out" 2>"$name.err" &
  WORKERS+=($!)
  LAST_WORKER=$!
}

same() { cmp -s "$1" "$2" || { diff "$1" "$2" >&2 || true; fail "$3"; }; }
