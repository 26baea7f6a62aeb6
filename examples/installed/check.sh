#!/bin/sh
# ctest example.installed: installs the build tree to a temporary prefix,
# builds examples/installed (find_package(deja)) against it, runs the program
# twice (save a compiled module, load it in a new process) and checks each
# run's output and exit code; a damaged saved module must be refused.
# usage: check.sh BUILD_DIR SOURCE_DIR CXX_COMPILER
set -u
build=$1 src=$2 cxx=$3
work=$(mktemp -d /tmp/deja-installed.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" 2>&1 ||
  { cat "$work/install.log"; fail "cmake --install"; }
# Nothing from the source tree may be needed: only the prefix is given.
cmake -S "$src" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; fail "configuring examples/installed against the installed package"; }
cmake --build "$work/build" >"$work/build.log" 2>&1 ||
  { cat "$work/build.log"; fail "building examples/installed (and each public header alone)"; }

prog=$work/build/installed_example
expect_run() {  # expect_run WANT_STATUS WANT_OUTPUT_FILE ARGS...
  want_status=$1 want=$2; shift 2
  "$prog" "$@" >"$work/out" 2>&1
  status=$?
  [ "$status" -eq "$want_status" ] || { cat "$work/out"; fail "$* exited $status, want $want_status"; }
  diff -u "$want" "$work/out" || fail "$* printed something else"
}

cat >"$work/common" <<'OUT'
bad.wat:2:10: error: unexpected token "oops", expected an instr.
stood in for "hooks" "on_event" (func (i32) -> (i32))
stood in for "hooks" "panic" (func () -> ())
guest says: greetings from the guest
out of bounds: out of bounds memory access: 8 bytes at guest address 0xfffc (memory is 65536 bytes)
run(16) = 142
fail: unknown import "hooks" "panic" was called
OUT
{ sed -n 1p "$work/common"; echo "compiled the module and saved it"; sed -n '2,$p' "$work/common"; } >"$work/want_save"
{ sed -n 1p "$work/common"; echo "loaded the compiled module"; sed -n '2,$p' "$work/common"; } >"$work/want_load"
mod=$work/guest.dejamod
expect_run 0 "$work/want_save" save "$mod"
# A new process: handler addresses differ (ASLR), the loaded code must not.
expect_run 0 "$work/want_load" load "$mod"

# One damaged byte: refused with a message naming the file, exit code 1.
printf 'X' | dd of="$mod" bs=1 seek=200 conv=notrunc 2>/dev/null
{ sed -n 1p "$work/common"
  echo "error: $mod: corruption: saved module is damaged: checksum mismatch"; } >"$work/want_damaged"
expect_run 1 "$work/want_damaged" load "$mod"
# Sessions: record, replay, suspend, resume and replay again; the program
# checks every step and says "session example: ok" last.
"$work/build/installed_session" "$src/../ticks.wat" >"$work/session.out" 2>&1
status=$?
[ "$status" -eq 0 ] || { cat "$work/session.out"; fail "installed_session exited $status"; }
tail -n 1 "$work/session.out" | grep -qx "session example: ok" ||
  { cat "$work/session.out"; fail "installed_session did not end with its ok line"; }
echo "PASS: installed package: built, ran, saved and loaded a compiled module, refused a damaged one; recorded, replayed, suspended and resumed a session"
