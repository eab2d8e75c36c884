/** Unsigned LEB128, the variable-length integers of the WASM binary format (u32 range is all we need). */

export interface Decoded {
  value: number;
  /** Offset just past the encoded integer. */
  next: number;
}

export function readU32(bytes: Uint8Array, offset: number): Decoded {
  let value = 0;
  let shift = 0;
  for (let i = offset; i < bytes.length && shift < 35; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) {
      if (value > 0xffff_ffff) throw new RangeError(`LEB128 at ${offset} exceeds u32`);
      return { value, next: i + 1 };
    }
  }
  throw new RangeError(`LEB128 at ${offset} is truncated or longer than 5 bytes`);
}

export function writeU32(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`${value} is not a u32`);
  const out: number[] = [];
  let rest = value;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest !== 0) byte |= 0x80;
    out.push(byte);
  } while (rest !== 0);
  return Uint8Array.from(out);
}
