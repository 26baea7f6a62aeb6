#!/usr/bin/env bash
# Run until a snapshot, resume in a new process: the two outputs together are
# byte-identical to an uninterrupted run.
source "$(dirname "$0")/lib.sh"
W=$G/snap_cli_loop.wasm

expect_exit 0 full run --no-record "$W" 8

note "--suspend-after-fuel: a safe point mid-loop"
expect_exit 75 a run --snapshot-to a.snap --suspend-after-fuel 5000000 "$W" 8
grep -q "snapshot written to a.snap" a.err || fail "no snapshot message"
[[ -s a.out && $(wc -l <a.out) -lt 8 ]] || fail "suspended at the wrong point"
expect_exit 0 a2 resume a.snap
cat a.out a2.out >a.all
same full.out a.all "run + resume differs from an uninterrupted run"

note "the same fuel twice gives the same snapshot point"
expect_exit 75 b run --no-record --snapshot-to b.snap --suspend-after-fuel 5000000 "$W" 8
same a.out b.out "the fuel suspension is not deterministic"

note "resume in a fresh DEJA_HOME, with --no-record"
DEJA_HOME="$WORK/other" expect_exit 0 b2 resume --no-record b.snap
cat b.out b2.out >b.all
same full.out b.all "resume in a fresh home differs"
[[ ! -e "$WORK/other" ]] || fail "--no-record created a registry"

note "a snapshot of a resumed run, resumed again"
expect_exit 75 c run --snapshot-to c.snap --suspend-after-fuel 2000000 "$W" 8
expect_exit 75 c2 resume c.snap --snapshot-to c2.snap --suspend-after-fuel 4000000
expect_exit 0 c3 resume c2.snap
cat c.out c2.out c3.out >c.all
same full.out c.all "two resumes differ"

note "the guest's own request (a host call)"
expect_exit 0 rfull run --no-record "$W" 8 request
same full.out rfull.out "without --snapshot-to, the request is a no-op"
expect_exit 75 r run --snapshot-to r.snap "$W" 8 request
[[ $(wc -l <r.out) == 4 ]] || fail "the request did not suspend after round 3"
expect_exit 0 r2 resume r.snap
cat r.out r2.out >r.all
same full.out r.all "request + resume differs"

note "SIGUSR1 through deja hibernate"
expect_exit 0 lfull run --no-record "$W" 200
"$DEJA" run --snapshot-to l.snap "$W" 200 >l.out 2>l.err &
pid=$!
for _ in $(seq 200); do [[ -s l.out ]] && break; sleep 0.02; done
expect_exit 0 h hibernate --wait "$pid"
code=0
wait "$pid" || code=$?
[[ $code == 75 ]] || fail "hibernated run exited $code, expected 75"
expect_exit 0 l2 resume l.snap
cat l.out l2.out >l.all
same lfull.out l.all "hibernate + resume differs"
expect_exit 1 h2 hibernate 999999999

note "open files and their offsets survive (re-granted --dir)"
mkdir -p d1 d2
expect_exit 0 ffull run --no-record --dir d1::/data "$W" 8 request /data/f.txt
expect_exit 75 f run --dir d2::/data --snapshot-to f.snap "$W" 8 request /data/f.txt
expect_exit 1 fno resume --no-record f.snap
grep -q "/data" fno.err || fail "a missing grant is not named"
expect_exit 0 f2 resume --dir d2::/data f.snap
cat f.out f2.out >f.all
same ffull.out f.all "open file + resume differs"
same d1/f.txt d2/f.txt "the file written across the resume differs"

note "replay of a resumed run starts from its snapshot"
expect_exit 0 p2 resume a.snap
id=$(sed -n 's/^deja resume: recording \([0-9a-f]*\)$/\1/p' p2.err)
[[ -n $id ]] || fail "the resumed run was not recorded"
expect_exit 0 p3 replay "$id"
same p2.out p3.out "the replay of a resumed run differs"
expect_exit 0 p4 describe "$id"
