#!/usr/bin/env bash
# Messages between durable instances through the deja binary: a receiver
# (tests/guests/durable_messages.c "recv 2") parks waiting; a sender sends it
# two messages and one to an instance that does not exist (ENOENT); the
# receiver wakes, prints both once and in order, and ends.
#   message_once.sh DEJA GUEST_DIR
set -euo pipefail
deja=$1
guests=$2
export DEJA_HOME
DEJA_HOME=$(mktemp -d /tmp/deja-message-once.XXXXXX)
trap 'rm -rf "$DEJA_HOME"' EXIT
fail() { echo "message_once: $*" >&2; exit 1; }

receiver=$("$deja" start "$guests/durable_messages.wasm" recv 2)
"$deja" worker --until-idle 2>/dev/null
"$deja" ps | grep -q "^$receiver *waiting" || fail "the receiver is not waiting: $("$deja" ps)"
sender=$("$deja" start "$guests/durable_messages.wasm" send "$receiver" first second)
"$deja" worker --until-idle 2>/dev/null
"$deja" wait "$sender" || fail "the sender failed: $("$deja" ps)"
"$deja" wait "$receiver" || fail "the receiver failed: $("$deja" ps)"
got=$("$deja" logs "$receiver")
want=$'message 0: first\nmessage 1: second'
[[ $got == "$want" ]] || fail "receiver printed [$got], want [$want]"
[[ $("$deja" logs "$sender") == "sent 2" ]] || fail "sender printed [$("$deja" logs "$sender")]"
echo "message_once: ok"
