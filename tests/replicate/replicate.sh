#!/usr/bin/env bash
# deja replicate: a guest that fills 64 MiB from an 8-byte seed is shipped
# (module + log) to three replica homes, each re-executes it and reaches the
# recorded final state digest; the bytes shipped are a tiny fraction of the
# state. Then one replica holds a run with other inputs under the same id (a
# replica that got different inputs): it is named, exit 65.
set -euo pipefail
DEJA=${DEJA:?DEJA is not set}
WORK=${REPLICATE_WORK:?REPLICATE_WORK is not set}
HERE=$(cd "$(dirname "$0")" && pwd)
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
export DEJA_HOME=$WORK/origin
fail() {
  echo "FAIL [replicate]: $*" >&2
  for f in *.out *.err; do [[ -f $f ]] && { echo "--- $f" >&2; head -c 3000 "$f" >&2; }; done
  exit 1
}

"$DEJA" run "$HERE/big_state.wat" >run.out 2>run.err || fail "the run failed"
id=$(sed -n 's/^deja run: recording \([0-9a-f]\{12\}\)$/\1/p' run.err)
[[ -n $id ]] || fail "no run id"
"$DEJA" run "$HERE/big_state.wat" >other.out 2>other.err || fail "the second run failed"
other=$(sed -n 's/^deja run: recording \([0-9a-f]\{12\}\)$/\1/p' other.err)

set +e
"$DEJA" replicate "$id" --to r1 --to r2 --to r3 >rep.out 2>rep.err
code=$?
set -e
((code == 0)) || fail "replicate exited $code"
(($(grep -c ' (same), 3 host calls, ' rep.out) == 3)) || fail "not three matching replicas"
summary=$(grep '^deja replicate: 3 of 3 replicas reached' rep.err) || fail "no summary"
shipped=$(sed -E 's/.* from ([0-9]+) bytes shipped each.*/\1/' <<<"$summary")
state=$(sed -E 's/.*, ([0-9]+) bytes of memory\).*/\1/' <<<"$summary")
((state > 64 * 1024 * 1024)) || fail "state of $state bytes"
((shipped * 1000 < state)) || fail "shipped $shipped bytes for $state bytes of state"
echo "shipped $shipped bytes per replica for a state of $state bytes"

# Replica 3 gets other inputs: the other run's log under this run's id.
cp "$DEJA_HOME/runs/$other.log" "r3/runs/$id.log"
set +e
"$DEJA" replicate "$id" --to r1 --to r2 --to r3 >bad.out 2>bad.err
code=$?
set -e
((code == 65)) || fail "replicate with a differing replica exited $code, expected 65"
grep -q "^replica 3 r3: digest .* DIFFERS" bad.out || fail "replica 3 is not reported as differing"
grep -q "^deja replicate: replica 3 (r3) differs" bad.err || fail "stderr does not name replica 3"
(($(grep -c ' (same), ' bad.out) == 2)) || fail "replicas 1 and 2 no longer match"

# Refusals: no such run (3), no --to (2).
set +e
"$DEJA" replicate 000000000000 --to r1 >none.out 2>none.err; c1=$?
"$DEJA" replicate "$id" >noto.out 2>noto.err; c2=$?
set -e
((c1 == 3)) || fail "an unknown run exited $c1"
((c2 == 2)) || fail "no --to exited $c2"
echo "PASS [replicate]"
