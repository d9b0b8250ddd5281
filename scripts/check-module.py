#!/usr/bin/env python3
"""Checks the portable core module against component/ABI.md and writes a stripped copy.

Usage: check-module.py IN.wasm OUT.wasm

Fails (exit 1) unless the module has no import section entries at all, exports `memory`
and every `warden_*` function with the signature of the ABI, and its version globals point
at the major/minor numbers in its data. Custom sections (names, producers) are dropped from
the copy: they are not needed to run it. Standard library only.
"""

import struct
import sys

# name -> (params, results) in wasm value types (0x7f i32, 0x7e i64)
FUNCS = {
    "warden_alloc": ([0x7F], [0x7F]),
    "warden_free": ([0x7F, 0x7F], []),
    "warden_policy_load": ([0x7F, 0x7F], [0x7F]),
    "warden_policy_free": ([0x7F], [0x7F]),
    "warden_evaluate": ([0x7F, 0x7F, 0x7F], [0x7F]),
    "warden_output": ([], [0x7E]),
}
GLOBALS = ("warden_abi_major", "warden_abi_minor")


class Reader:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def byte(self):
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return result

    def sleb(self):
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                if b & 0x40:
                    result -= 1 << shift
                return result

    def name(self):
        n = self.uleb()
        s = self.data[self.pos : self.pos + n].decode("utf-8")
        self.pos += n
        return s


def fail(msg):
    print(f"check-module: {msg}", file=sys.stderr)
    sys.exit(1)


def main(src, dst):
    data = open(src, "rb").read()
    if data[:8] != b"\0asm\1\0\0\0":
        fail(f"{src} is not a wasm core module")
    pos, kept = 8, [data[:8]]
    sections = {}
    while pos < len(data):
        r = Reader(data, pos)
        sid = r.byte()
        size = r.uleb()
        body = (r.pos, r.pos + size)
        if sid != 0:
            kept.append(data[pos : body[1]])
            sections[sid] = body
        pos = body[1]

    if 2 in sections:
        r = Reader(data, sections[2][0])
        if r.uleb():
            fail("the module imports something: it must import nothing")

    types = []
    if 1 in sections:
        r = Reader(data, sections[1][0])
        for _ in range(r.uleb()):
            if r.byte() != 0x60:
                fail("unexpected type form")
            params = [r.byte() for _ in range(r.uleb())]
            results = [r.byte() for _ in range(r.uleb())]
            types.append((params, results))
    func_types = []
    if 3 in sections:
        r = Reader(data, sections[3][0])
        func_types = [r.uleb() for _ in range(r.uleb())]
    global_inits = []
    if 6 in sections:
        r = Reader(data, sections[6][0])
        for _ in range(r.uleb()):
            r.byte()  # value type
            r.byte()  # mutability
            op = r.byte()
            value = r.sleb() if op in (0x41, 0x42) else None
            while r.byte() != 0x0B:
                pass
            global_inits.append(value)

    exports = {}
    r = Reader(data, sections.get(7, (len(data), 0))[0])
    if 7 in sections:
        for _ in range(r.uleb()):
            name = r.name()
            kind = r.byte()
            exports[name] = (kind, r.uleb())

    if exports.get("memory", (None,))[0] != 2:
        fail("`memory` is not exported")
    for name, sig in FUNCS.items():
        kind, index = exports.get(name, (None, None))
        if kind != 0:
            fail(f"function `{name}` is not exported")
        if types[func_types[index]] != sig:
            fail(f"`{name}` has signature {types[func_types[index]]}, expected {sig}")

    segments = []
    if 11 in sections:
        r = Reader(data, sections[11][0])
        for _ in range(r.uleb()):
            flags = r.uleb()
            if flags != 0:
                fail("unexpected data segment form")
            if r.byte() != 0x41:
                fail("unexpected data segment offset")
            offset = r.sleb()
            r.byte()
            n = r.uleb()
            segments.append((offset, data[r.pos : r.pos + n]))
            r.pos += n
    version = []
    for g in GLOBALS:
        kind, index = exports.get(g, (None, None))
        if kind != 3:
            fail(f"global `{g}` is not exported")
        address = global_inits[index]
        word = next(
            (seg[address - off : address - off + 4] for off, seg in segments if off <= address < off + len(seg)),
            None,
        )
        if word is None:
            word = b"\0\0\0\0"  # zero-initialised statics live outside the data segments
        if len(word) != 4:
            fail(f"`{g}` does not point at a 32-bit number")
        version.append(struct.unpack("<I", word)[0])

    out = b"".join(kept)
    open(dst, "wb").write(out)
    print(f"check-module: no imports; ABI {version[0]}.{version[1]}; {len(data)} -> {len(out)} bytes")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        fail("usage: check-module.py IN.wasm OUT.wasm")
    main(sys.argv[1], sys.argv[2])
