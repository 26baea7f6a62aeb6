#!/usr/bin/env bash
# A worker SIGKILLed inside a spawn (DEJA_TEST_KILL_AT: after the request
# row and the child instance, before the call is logged) is restarted: the
# parent (tests/guests/durable_fanout.c, 5 children) is recovered, asks
# again under the same idempotency keys, and ends with exactly 5 children.
#   child_kill.sh DEJA GUEST_DIR
set -euo pipefail
deja=$1
guests=$2
export DEJA_HOME
DEJA_HOME=$(mktemp -d /tmp/deja-child-kill.XXXXXX)
trap 'rm -rf "$DEJA_HOME"' EXIT
fail() { echo "child_kill: $*" >&2; exit 1; }

# The child module goes into the registry by being run once.
echo hi | "$deja" run "$guests/durable_child.wasm" 7 >/dev/null 2>&1 || true
hash="sha256:$(sha256sum "$guests/durable_child.wasm" | cut -d' ' -f1)"
id=$("$deja" start "$guests/durable_fanout.wasm" "$hash" 5)

for point in spawn-recorded spawn-created; do
  status=0
  DEJA_TEST_KILL_AT=$point "$deja" worker --until-idle 2>/dev/null || status=$?
  [[ $status == 137 ]] || fail "the worker killed at $point exited $status, want 137 (SIGKILL)"
done
"$deja" worker --until-idle 2>/dev/null
status=0
"$deja" wait "$id" || status=$?
[[ $status == 0 ]] || fail "the parent ended with $status: $("$deja" ps)"
children=$("$deja" ps | grep -c "${hash:0:19}" || true)
[[ $children == 5 ]] || fail "$children child instances, want 5: $("$deja" ps)"
echo "child_kill: ok"
