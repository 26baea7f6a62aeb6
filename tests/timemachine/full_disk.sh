#!/usr/bin/env bash
# A log that cannot be written (file too large, a full disk): the guest runs
# on, deja run warns, and no command presents the run as a complete
# recording; an import onto a full disk is refused and leaves nothing.
source "$(dirname "$0")/lib.sh"

note "file size limit (EFBIG) while recording: the run goes on, the row says unreplayable"
set +e
( trap '' XFSZ; ulimit -f 512; "$DEJA" run "$G/tm_output.wasm" 64 ) >/dev/null 2>fsz.err
code=$?
set -e
echo "run tm_output.wasm 64 (ulimit -f 512)" >fsz.cmd
: >fsz.out
expect_code fsz 0
has fsz err "is incomplete"
has fsz err "File too large"
id=$(recorded_id fsz)
dj ls ls
grep -F "$id" ls.out | grep -q -w unreplayable || fail_with ls "ls does not show $id as unreplayable"
dj describe describe "$id"
has describe out unreplayable
dj replay replay "$id"
((code == 66 || code == 67)) || fail_with replay "replay of a log cut by EFBIG exited $code, not 66/67"

# A real full disk needs a file system of our own (root: a small tmpfs).
full="$WORK/full"
mkdir -p "$full"
if ! mount -t tmpfs -o size=2m tmpfs "$full" 2>/dev/null; then
  note "cannot mount a tmpfs (not root?): the ENOSPC part is skipped"
  echo "PASS [$TEST_NAME]"
  exit 0
fi
trap 'umount "$full" 2>/dev/null || true' EXIT

note "full disk (ENOSPC) while recording"
export DEJA_HOME="$full/home"
dj enospc run "$G/tm_output.wasm" 256
expect_code enospc 0
has enospc err "No space left on device"
id2=$(recorded_id enospc)
dj ls2 ls
if grep -F "$id2" ls2.out | grep -q -E 'exit 0|returned'; then
  fail_with ls2 "a run whose log filled the disk is listed as a clean exit"
fi
dj replay2 replay "$id2"
((code == 66 || code == 67)) || fail_with replay2 "replay exited $code, not 66/67"

note "import onto a full disk: refused, nothing left behind"
export DEJA_HOME="$WORK/home"
dj big run "$G/tm_output.wasm" 128
expect_code big 0
bid=$(recorded_id big)
dj export export "$bid" "$WORK/big.deja"
expect_code export 0
rm -rf "$full/home"
export DEJA_HOME="$full/home"
dj ls_empty ls -q
head -c 1500000 /dev/zero >"$full/filler"  # leaves less room than the log needs
dj import import "$WORK/big.deja"
((code != 0)) || fail_with import "an import onto a full disk succeeded"
has import err "No space left on device"
[[ -z $(find "$full/home" -name '.tmp-*') ]] || fail "the refused import left temporary files"
[[ ! -e "$full/home/runs/$bid.log" ]] || fail "the refused import left runs/$bid.log"
rm -f "$full/filler"
dj import_again import "$WORK/big.deja"
expect_code import_again 0
dj replay3 replay "$bid"
expect_code replay3 0

echo "PASS [$TEST_NAME]"
