#!/usr/bin/env python3
"""Writes a wasm module whose memory starts with 1 MiB of data segments, for
measuring instantiation time (`wasmaot bench data1m.wasm --instantiate`).

The module: memory 17 pages (exported), 16 active data segments of 64 KiB of
deterministic pseudo-random bytes at offsets 1024 + k*65536, and an export
`checksum` (i32.load-sum of the first and last word of each segment) so that
the data is observably there.

usage: gen_data_module.py OUT.wasm
"""
import sys


def leb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def sleb(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if (n == 0 and not byte & 0x40) or (n == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def section(sid, body):
    return bytes([sid]) + leb(len(body)) + body


def vec(items):
    return leb(len(items)) + b"".join(items)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    segments, size = 16, 65536
    state = 0x12345678
    data = []
    for _ in range(segments):
        chunk = bytearray(size)
        for i in range(size):
            state = (state * 1103515245 + 12345) & 0x7FFFFFFF
            chunk[i] = (state >> 16) & 0xFF
        data.append(bytes(chunk))
    types = section(1, vec([b"\x60\x00\x01\x7f"]))
    funcs = section(3, vec([b"\x00"]))
    memory = section(5, vec([b"\x00" + leb(17)]))
    exports = section(7, vec([b"\x06memory\x02\x00", b"\x08checksum\x00\x00"]))
    body = bytearray(b"\x00")  # no locals
    body += b"\x41\x00"  # i32.const 0
    for k in range(segments):
        for addr in (1024 + k * size, 1024 + k * size + size - 4):
            body += b"\x41" + sleb(addr) + b"\x28\x02\x00" + b"\x6a"  # i32.load, i32.add
    body += b"\x0b"
    code = section(10, vec([leb(len(body)) + bytes(body)]))
    datasec = section(11, vec([b"\x00\x41" + sleb(1024 + k * size) + b"\x0b" + leb(size) + data[k] for k in range(segments)]))
    module = b"\x00asm\x01\x00\x00\x00" + types + funcs + memory + exports + code + datasec
    with open(sys.argv[1], "wb") as f:
        f.write(module)


if __name__ == "__main__":
    main()
