"""Makes every symbol an object file defines local, except the module's PyInit_*.

A shared library keeps its internals to itself; statically linked extension
modules do not, and two of them may define the same name differently (numpy's
random modules do). After `wasm-ld -r` gathers one module into one object, this
gives that object the privacy a shared library would have had.

    localize.py OBJECT
"""
import sys

FUNCTION, DATA, GLOBAL, SECTION, TAG, TABLE = range(6)
WEAK, LOCAL, UNDEFINED, EXPLICIT_NAME = 0x1, 0x2, 0x10, 0x40
SYMBOL_TABLE = 8


def leb(buf, pos):
    value = shift = 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def name_at(buf, pos):
    n, pos = leb(buf, pos)
    return bytes(buf[pos:pos + n]).decode(), pos + n


def localize_symbols(buf, pos, end):
    count, pos = leb(buf, pos)
    kept = 0
    for _ in range(count):
        kind = buf[pos]
        flags_at = pos + 1
        flags, pos = leb(buf, flags_at)
        name = None
        if kind in (FUNCTION, GLOBAL, TAG, TABLE):
            _, pos = leb(buf, pos)
            if not flags & UNDEFINED or flags & EXPLICIT_NAME:
                name, pos = name_at(buf, pos)
        elif kind == DATA:
            name, pos = name_at(buf, pos)
            if not flags & UNDEFINED:
                for _ in range(3):
                    _, pos = leb(buf, pos)
        else:
            _, pos = leb(buf, pos)
        if kind == SECTION or flags & (UNDEFINED | LOCAL):
            continue
        if name and name.startswith("PyInit_"):
            kept += 1
            continue
        # The flags' low byte holds both bits, whatever the LEB's length.
        buf[flags_at] = (buf[flags_at] | LOCAL) & ~WEAK
    assert pos == end, "symbol table not read to its end"
    return kept


def main(path):
    buf = bytearray(open(path, "rb").read())
    assert buf[:4] == b"\0asm", f"{path}: not a wasm object"
    pos, kept = 8, 0
    while pos < len(buf):
        section_id = buf[pos]
        size, body = leb(buf, pos + 1)
        end = body + size
        if section_id == 0:
            name, at = name_at(buf, body)
            if name == "linking":
                _, at = leb(buf, at)  # version
                while at < end:
                    sub, payload = buf[at], at + 1
                    length, payload = leb(buf, payload)
                    if sub == SYMBOL_TABLE:
                        kept += localize_symbols(buf, payload, payload + length)
                    at = payload + length
        pos = end
    if kept == 0:
        sys.exit(f"{path}: defines no PyInit_ function, so it is no extension module")
    open(path, "wb").write(buf)


if __name__ == "__main__":
    main(sys.argv[1])
