#!/usr/bin/env bash
# deja signal end to end: a payload from stdin and one from the command line
# sent before the guest waits, a third after it parked waiting; the guest
# (tests/guests/durable_signals.c) prints them in order. Also the refusals:
# an unknown id (2), a reserved name (2), an ended instance (1).
#   signal_cli.sh DEJA GUEST_DIR
set -euo pipefail
deja=$1
guests=$2
export DEJA_HOME
DEJA_HOME=$(mktemp -d /tmp/deja-signal-cli.XXXXXX)
trap 'rm -rf "$DEJA_HOME"' EXIT

fail() { echo "signal_cli: $*" >&2; exit 1; }
expect_status() {  # expect_status WANT CMD...: runs CMD, checks its exit status
  local want=$1 got=0
  shift
  "$@" 2>"$DEJA_HOME/err" || got=$?
  [[ $got == "$want" ]] || fail "$* exited $got, want $want: $(cat "$DEJA_HOME/err")"
}
# The instance's stdout over all its segments (runs oldest first).
output() { "$deja" ls -q | tac | while read -r run; do "$deja" logs --stdout "$run"; done; }

id=$("$deja" start "$guests/durable_signals.wasm")
[[ -n $id ]] || fail "deja start printed no id"
printf 'from stdin\nline 2' | "$deja" signal "$id" approved -
"$deja" signal "$id" approved "second"
"$deja" signal "$id" other "not for this wait"
"$deja" worker --until-idle 2>/dev/null
"$deja" ps | grep -q "^$id *waiting" || fail "not waiting after two signals: $("$deja" ps)"

"$deja" signal "${id:0:8}" approved third  # a unique prefix will do
"$deja" worker --until-idle 2>/dev/null
expect_status 0 "$deja" wait "$id"
want=$'approved 0: from stdin\nline 2\napproved 1: second\napproved 2: third\ndone'
got=$(output)
[[ $got == "$want" ]] || fail "output: got [$got], want [$want]"

expect_status 2 "$deja" signal no-such-instance approved
grep -q "no-such-instance" "$DEJA_HOME/err" || fail "the unknown id is not named: $(cat "$DEJA_HOME/err")"
expect_status 2 "$deja" signal "$id" deja:message x
expect_status 1 "$deja" signal "$id" approved late
grep -q "has ended (done)" "$DEJA_HOME/err" || fail "no 'has ended': $(cat "$DEJA_HOME/err")"
echo "signal_cli: ok"
