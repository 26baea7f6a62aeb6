#!/usr/bin/env python3
"""Rewrites one field of a snapshot's engine state and reseals the file, so
that every checksum is valid and only deja's own checks can refuse it
(tests/snapshot/hostile.sh; formats in docs/snapshots.md and
docs/embedding.md). The state is resealed as saved-state version 2, whose
CRC-32 Python computes without extra modules (deja still reads version 2).

  forge_state.py IN OUT table  T I VALUE   element I of table T
  forge_state.py IN OUT global G VALUE     the low word of global G
  forge_state.py IN OUT size   N           an engine state of N zero bytes
                                           (a zstd bomb)
  forge_state.py IN OUT declare N          the engine state section declares
                                           N raw bytes (its data unchanged)
"""
import struct
import subprocess
import sys
import zlib


def crc32c(data):
    table = crc32c.table
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    c = 0xFFFFFFFF
    for b in data:
        c = table[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


crc32c.table = None


def zstd(data, decompress=False):
    args = ["zstd", "-q", "-c"] + (["-d"] if decompress else ["-1"])
    return subprocess.run(args, input=data, stdout=subprocess.PIPE, check=True).stdout


def parse(snap):
    assert snap[:8] == b"DEJASNAP", "not a snapshot"
    build_len = struct.unpack_from("<H", snap, 16)[0]
    pos = 18 + build_len
    count = struct.unpack_from("<I", snap, pos)[0]
    head, pos = bytearray(snap[: pos + 4]), pos + 4
    sections = []
    for _ in range(count):
        typ, flags, raw, stored, crc = struct.unpack_from("<IIQQI", snap, pos)
        pos += 28
        sections.append([typ, flags, raw, snap[pos : pos + stored]])
        pos += stored
    return head, sections


def table_offset(payload, t, i):
    counts = struct.unpack_from("<5I", payload, 0)
    funcs, tables, memories, globals_, instances = counts
    pos = 20 + funcs * 5 + instances * 8
    for _ in range(memories):
        _, stored = struct.unpack_from("<QI", payload, pos)
        pos += 12 + stored * (4 + 65536)
    glob = pos
    pos += globals_ * 16
    for k in range(tables):
        n = struct.unpack_from("<I", payload, pos)[0]
        if k == t:
            assert i < n, f"table {t} has {n} elements"
            return glob, pos + 4 + 8 * i
        pos += 4 + 8 * n
    raise SystemExit(f"no table {t}")


def main():
    src, dst, what = sys.argv[1], sys.argv[2], sys.argv[3]
    head, sections = parse(open(src, "rb").read())
    for sec in sections:
        if sec[0] != 3:
            continue
        if what == "declare":
            sec[2] = int(sys.argv[4])
            continue
        if what == "size":
            sec[2] = int(sys.argv[4])
            zeros = subprocess.Popen(["head", "-c", str(sec[2]), "/dev/zero"],
                                     stdout=subprocess.PIPE)
            sec[3] = subprocess.run(["zstd", "-q", "-c", "-1"], stdin=zeros.stdout,
                                    stdout=subprocess.PIPE, check=True).stdout
            zeros.wait()
            continue
        state = zstd(sec[3], decompress=True)
        version = struct.unpack_from("<I", state, 8)[0]
        payload = bytearray(state[28 if version >= 3 else 24 :])
        if what == "table":
            _, at = table_offset(payload, int(sys.argv[4]), int(sys.argv[5]))
            struct.pack_into("<Q", payload, at, int(sys.argv[6], 0))
        elif what == "global":
            glob, _ = table_offset(payload, 0, 0)
            struct.pack_into("<Q", payload, glob + 16 * int(sys.argv[4]), int(sys.argv[5], 0))
        else:
            raise SystemExit(f"unknown field {what}")
        state = b"DEJASTAT" + struct.pack("<IQI", 2, len(payload), zlib.crc32(payload)) + payload
        struct.pack_into("<I", head, 12, 2)  # the file names the state's version too
        sec[2], sec[3] = len(state), zstd(state)
    out = bytearray(head)
    for typ, flags, raw, stored in sections:
        out += struct.pack("<IIQQI", typ, flags, raw, len(stored), crc32c(stored)) + stored
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
