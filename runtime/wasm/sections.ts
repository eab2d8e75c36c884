/** Splits a core WASM module into its sections (id + payload) and joins them back. */
import { readU32, writeU32 } from "./leb128.ts";

export interface Section {
  id: number;
  payload: Uint8Array;
}

const HEADER = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

export function readSections(bytes: Uint8Array): Section[] {
  if (bytes.length < 8 || !HEADER.every((b, i) => bytes[i] === b)) {
    throw new Error("not a core WebAssembly module (bad magic or version)");
  }
  const sections: Section[] = [];
  let offset = 8;
  while (offset < bytes.length) {
    const id = bytes[offset]!;
    const size = readU32(bytes, offset + 1);
    const end = size.next + size.value;
    if (end > bytes.length) throw new Error(`section ${id} at ${offset} runs past the end of the module`);
    sections.push({ id, payload: bytes.subarray(size.next, end) });
    offset = end;
  }
  return sections;
}

export function writeSections(sections: Section[]): Uint8Array {
  const parts: Uint8Array[] = [HEADER];
  for (const { id, payload } of sections) parts.push(Uint8Array.of(id), writeU32(payload.length), payload);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
