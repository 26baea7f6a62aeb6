#!/usr/bin/env bash
# The short chaos test (the full one, 20 workflows and 100 kills, runs by
# hand: docs/DURABLE.md, "Chaos test"): 4 workflows, 10 SIGKILLs of the
# worker at seeded random moments; scripts/durable-chaos checks output,
# children, signals, messages and file appends against an uninterrupted run.
source "$(dirname "$0")/lib.sh"
exec python3 "$(dirname "$0")/../../scripts/durable-chaos" --deja "$DEJA" --guests "$G" \
  --dir "$WORK/chaos" --workflows 4 --kills 10 --seed "${DEJA_CHAOS_SEED:-$RANDOM}" --timeout 250
