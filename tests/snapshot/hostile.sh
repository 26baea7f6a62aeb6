#!/usr/bin/env bash
# Damaged snapshots fail with a clear message and exit 1, never a crash.
HERE=$(cd "$(dirname "$0")" && pwd)
source "$HERE/lib.sh"
W=$G/snap_cli_loop.wasm
expect_exit 75 a run --no-record --snapshot-to a.snap --suspend-after-fuel 3000000 "$W" 4
size=$(stat -c %s a.snap)

note "truncated"
head -c $((size / 2)) a.snap >t.snap
expect_exit 1 t resume --no-record t.snap
grep -q "snapshot is truncated at byte" t.err || fail "no truncation message"

note "a flipped byte in the engine state"
cp a.snap f.snap
printf '\xff' | dd of=f.snap bs=1 seek=$((size - 10)) conv=notrunc status=none
expect_exit 1 f resume --no-record f.snap
grep -q "CRC mismatch" f.err || fail "no CRC message"

note "an incompatible state format"
cp a.snap v.snap
printf '\x63' | dd of=v.snap bs=1 seek=12 conv=notrunc status=none
expect_exit 1 v resume --no-record v.snap
grep -q "incompatible deja" v.err || fail "no incompatibility message"

note "not a snapshot, missing"
echo hello >n.snap
expect_exit 1 n resume --no-record n.snap
grep -q "not a deja snapshot" n.err || fail "no magic message"
expect_exit 3 m resume --no-record missing.snap

# Forged references with valid checksums (issue 13, item 1): a table element
# or a funcref global past the store's functions used to reach call_indirect
# unchecked (SIGSEGV). forge_state.py reseals every checksum.
FORGE="python3 $HERE/forge_state.py"
cat >refs.wat <<'WAT'
(module
  (type $v (func (result i32)))
  (memory (export "memory") 1)
  (table 2 funcref)
  (elem (i32.const 0) $f $f)
  (global $g (mut funcref) (ref.func $f))
  (func $f (result i32) (i32.const 42))
  (func (export "_initialize"))
  (func (export "call") (result i32) (call_indirect (type $v) (i32.const 1)))
  (func (export "callg") (result i32)
    (table.set 0 (i32.const 0) (global.get $g))
    (call_indirect (type $v) (i32.const 0))))
WAT
expect_exit 0 init snapshot --init refs.wat -o refs.snap
expect_exit 0 ok run --no-record --invoke call refs.snap
grep -qx 42 ok.out || fail "the unforged snapshot does not call through its table"
for ref in 0x100 0x1000000 0xffffffff 0xffffffffffffffff; do
  note "table element $ref"
  $FORGE refs.snap ft.snap table 0 1 "$ref"
  expect_exit 1 ft run --no-record --invoke call ft.snap
  grep -q "table 0 element 1 holds $ref, not a function reference" ft.err ||
    fail "no message for a forged table element"
  expect_exit 1 fr resume --no-record ft.snap
  grep -q "not a function reference" fr.err || fail "resume: no message for a forged element"
done
note "funcref global"
$FORGE refs.snap fg.snap global 0 0x1000000
expect_exit 1 fg run --no-record --invoke callg fg.snap
grep -q "global 0 holds 0x1000000, not a function reference" fg.err ||
  fail "no message for a forged global"

# zstd bombs (issue 13, item 3): 146 KB took 4.2 GB and 13 s before refusal.
note "an engine state declaring 4 GiB more than its module can take"
$FORGE refs.snap big.snap declare $((8 << 30))
expect_exit 1 big run --no-record --invoke call big.snap
grep -q "more than its module's memories, tables and globals can take" big.err ||
  fail "no message for a declared size past the module's bound"
note "300 MiB of zeros"
$FORGE refs.snap zeros.snap size $((300 << 20))
[[ $(stat -c %s zeros.snap) -lt 100000 ]] || fail "the bomb is not small"
expect_exit 1 zeros run --no-record --invoke call zeros.snap
grep -q "engine state does not start with its magic" zeros.err ||
  fail "the bomb was not refused from its first bytes"
