#!/usr/bin/env python3
"""Every CTest entry has a TIMEOUT, so a hang (a broken interrupt, a guest
that never ends) fails that one test instead of stalling CI until its global
limit. Reads `ctest --show-only=json-v1` of the build directory given.
  timeouts.py CTEST BUILD_DIR"""
import json
import subprocess
import sys

ctest, build = sys.argv[1], sys.argv[2]
out = subprocess.run([ctest, "--show-only=json-v1"], cwd=build, capture_output=True,
                     text=True, check=True).stdout
tests = json.loads(out)["tests"]
# "<binary>_NOT_BUILT" stands for a gtest binary not built yet (a partial
# build); running it fails by itself, so it needs no TIMEOUT.
missing = [t["name"] for t in tests
           if not t["name"].endswith("_NOT_BUILT")
           and not any(p["name"] == "TIMEOUT" for p in t.get("properties", []))]
if not tests:
    sys.exit("timeouts: ctest listed no tests in " + build)
if missing:
    print("timeouts: %d of %d CTest entries have no TIMEOUT:" % (len(missing), len(tests)))
    for name in missing:
        print("  " + name)
    sys.exit(1)
print("timeouts: all %d CTest entries have a TIMEOUT" % len(tests))
