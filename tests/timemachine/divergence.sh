#!/usr/bin/env bash
# Replay against another module (--module) that makes other host calls, and
# replay of a damaged log: deja replay names the host call where the runs
# part ways (exit 65), or reports the damage (67), and never crashes.
source "$(dirname "$0")/lib.sh"
W=$HERE

note "record calls_a.wat (6 host calls)"
dj a run "$W/calls_a.wat"
expect_code a 0
[[ $(cat a.out) == $'step one\nstep two\ndone' ]] || fail_with a "unexpected stdout"
id=$(recorded_id a)

note "--module with the same module: no divergence"
cp "$W/calls_a.wat" same.wat
replay_matches a same "$id" --module same.wat

# diverge NAME MODULE INDEX TEXTS...: replaying with --module MODULE exits 65
# and names host call INDEX; stderr also has each of TEXTS.
diverge() {
  local name=$1 module=$2 index=$3
  shift 3
  note "--module $(basename "$module"): diverges at host call $index"
  dj "$name" replay "$id" --module "$module"
  expect_code "$name" 65
  has "$name" err "diverged at host call $index"
  grep -q -E "diverged at host call $index([^0-9]|$)" "$name.err" ||
    fail_with "$name" "stderr names another host call than $index"
  local t
  for t in "$@"; do has "$name" err "$t"; done
  # deja's own lines carry the prefix.
  grep -q '^deja replay: ' "$name.err" || fail_with "$name" "no \"deja replay: \" line on stderr"
}
diverge b "$W/calls_b.wat" 3 fd_write           # same call, other guest bytes
diverge c "$W/calls_c.wat" 4 clock_time_get random_get  # another function
diverge d "$W/calls_d.wat" 4                     # the replay makes fewer calls
# backtrace NAME FRAMES...: the lines after "replayed:" are exactly these
# frames, innermost first ("  at FRAME (offset 0x..)").
backtrace() {
  local name=$1
  shift
  local want got
  want=$(printf '%s\n' "$@")
  got=$(sed -n '/^  replayed: /,$p' "$name.err" | sed -n '2,$p' |
    sed -E 's/^  at (.*) \(offset 0x[0-9a-f]+\)$/\1/')
  [[ $got == "$want" ]] ||
    fail_with "$name" "backtrace frames are \"$(tr '\n' ' ' <<<"$got")\", expected \"$*\""
  sed -n '/^  replayed: /,$p' "$name.err" | sed -n '2,$p' |
    grep -q -v -E '^  at .* \(offset 0x[0-9a-f]+\)$' &&
    fail_with "$name" "a backtrace line lacks \"(offset 0x..)\""
  return 0
}
backtrace b say 'func[4]'  # fd_write called from $say, called from _start
backtrace c 'func[4]'      # random_get called from _start itself
backtrace d                # the replay ended: no stack to show
# Output up to the divergence is reproduced.
grep -q -F "step one" b.out || fail_with b "the output before the divergence is missing"

note "replay --until 2 stops after host call 2, exit 0, with a backtrace"
dj until replay "$id" --until 2
expect_code until 0
[[ $(cat until.out) == "step one" ]] || fail_with until "stdout is not just the first line"
# The backtrace: the guest's call stack at the stop, innermost frame first,
# one "  at func[N] ..." line per frame right after the stop line.
grep -A1 -F "deja replay: stopped after host call 2 (--until)" until.err |
  grep -q -E '^  at func\[[0-9]+\]( <[^>]+>)? \(offset 0x[0-9a-f]+\)$' ||
  fail_with until "no backtrace line (\"  at func[N] (offset 0x..)\") after the stop line"

note "a log with a flipped byte in the middle"
dj big run --dir "$WORK/data::/data" "$G/tm_calls.wasm" /data 20000
expect_code big 0
bid=$(recorded_id big)
log="$DEJA_HOME/runs/$bid.log"
[[ -f $log ]] || fail "no log at $log (files: $(ls "$DEJA_HOME" "$DEJA_HOME/runs" 2>&1 | tr '\n' ' '))"
size=$(stat -c %s "$log")
((size > 1000)) || fail "the log of 40000 host calls has only $size bytes"
flip() {  # flip FILE OFFSET: inverts the byte at OFFSET
  python3 -c '
import sys
path, at = sys.argv[1], int(sys.argv[2])
with open(path, "r+b") as f:
    f.seek(at); b = f.read(1); f.seek(at); f.write(bytes([b[0] ^ 0xff]))' "$1" "$2"
}
cp "$log" "$WORK/big.log.orig"
flip "$log" $((size / 2))
dj damaged replay "$bid"
expect_code damaged 67
has damaged err "deja replay: the recording is damaged after"
has damaged err "damage: checksum mismatch"
! grep -q -F "checksum" damaged.out || fail_with damaged "a damaged log replayed to the end"
dj damaged_trace trace "$bid"
expect_code damaged_trace 0
tail -n 1 damaged_trace.out | grep -q -F "(recording ends here: damage: checksum mismatch" ||
  fail_with damaged_trace "trace of a damaged log does not end with where the damage is"

note "a records frame with a valid checksum but content that does not decode: damage (67)"
# Rewrites the second records frame's payload (the first keeps the header
# and some calls replayable) to bytes that are not zstd, with a correct CRC-32C.
python3 - "$WORK/big.log.orig" "$log" <<'PY'
import struct, sys
src, dst = sys.argv[1], sys.argv[2]
T = []
for i in range(256):
    c = i
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
data = open(src, "rb").read()
at, frames = 12, []
while at + 9 <= len(data):
    t, n = data[at], struct.unpack_from("<I", data, at + 1)[0]
    frames.append((at, t, n))
    at += 9 + n
recs = [f for f in frames if f[1] == 2]
assert len(recs) >= 2, "want two records frames, have %d" % len(recs)
at, t, n = recs[1]
payload = b"not zstd at all"
head = bytes([2]) + struct.pack("<I", len(payload))
out = data[:at] + head + struct.pack("<I", crc32c(head + payload)) + payload + data[at + 9 + n:]
open(dst, "wb").write(out)
PY
dj badcontent replay "$bid"
expect_code badcontent 67
has badcontent err "deja replay: the recording is damaged after"
has badcontent err "does not decompress"
! grep -q -F "killed?" badcontent.err || fail_with badcontent "a damaged log is called killed"
dj badcontent_trace trace "$bid"
expect_code badcontent_trace 3  # trace: the log cannot be read (docs/cli.md)
has badcontent_trace err "does not decompress"

note "a log with a damaged header (version field, header frame)"
for at in 10 40; do
  cp "$WORK/big.log.orig" "$log"
  flip "$log" $at
  dj "header$at" replay "$bid"
  expect_code "header$at" 3  # docs/cli.md: 3 = its log cannot be read
  has "header$at" err "deja replay: cannot read the log of run $bid"
done

echo "PASS [$TEST_NAME]"
