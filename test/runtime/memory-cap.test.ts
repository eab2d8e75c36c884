import { describe, expect, it } from "vitest";
import { readU32, writeU32 } from "../../runtime/wasm/leb128.ts";
import { readSections } from "../../runtime/wasm/sections.ts";
import { capMemory, readMemoryLimits, MemoryCapError } from "../../runtime/wasm/memory-cap.ts";

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id: number, payload: number[]) => [id, ...writeU32(payload.length), ...payload];
const name = (text: string) => [text.length, ...Buffer.from(text)];

/** A module defining one memory (given limits), exporting it as "mem" and `grow(pages) -> old size`. */
function memoryModule(min: number, max?: number): Uint8Array {
  const limits = max === undefined ? [0x00, ...writeU32(min)] : [0x01, ...writeU32(min), ...writeU32(max)];
  return Uint8Array.from([
    ...HEADER,
    ...section(1, [0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f]),
    ...section(3, [0x01, 0x00]),
    ...section(5, [0x01, ...limits]),
    ...section(7, [0x02, ...name("mem"), 0x02, 0x00, ...name("grow"), 0x00, 0x00]),
    ...section(10, [0x01, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00, 0x0b]),
  ]);
}

/** A module importing a memory "a"."mem" declared with min 1, max 1000 pages. */
const importingModule = Uint8Array.from([...HEADER, ...section(2, [0x01, ...name("a"), ...name("mem"), 0x02, 0x01, 0x01, ...writeU32(1000)])]);

const limitsOf = (module: Uint8Array) => readMemoryLimits(readSections(module).find((s) => s.id === 5)!.payload);

describe("LEB128", () => {
  it("round-trips u32 values, including multi-byte ones", () => {
    for (const value of [0, 1, 127, 128, 300, 624485, 2 ** 31, 2 ** 32 - 1]) {
      const bytes = writeU32(value);
      expect(readU32(bytes, 0)).toEqual({ value, next: bytes.length });
    }
    expect(Array.from(writeU32(624485))).toEqual([0xe5, 0x8e, 0x26]);
  });

  it("rejects truncated input", () => {
    expect(() => readU32(Uint8Array.of(0x80, 0x80), 0)).toThrow(/truncated/);
  });
});

describe("capMemory", () => {
  it("adds a maximum to a memory that had none, and growing past it fails", async () => {
    const capped = capMemory(memoryModule(1), 10);
    expect(limitsOf(capped)).toEqual([{ min: 1, max: 10 }]);
    const instance = await WebAssembly.instantiate(new WebAssembly.Module(capped as BufferSource));
    const grow = instance.exports.grow as (pages: number) => number;
    expect(grow(5)).toBe(1);
    expect(grow(10)).toBe(-1);
    expect((instance.exports.mem as WebAssembly.Memory).buffer.byteLength).toBe(6 * 65536);
  });

  it("keeps a smaller maximum and lowers a larger one", () => {
    expect(limitsOf(capMemory(memoryModule(1, 4), 10))).toEqual([{ min: 1, max: 4 }]);
    expect(limitsOf(capMemory(memoryModule(1, 65536), 10))).toEqual([{ min: 1, max: 10 }]);
  });

  it("refuses a module whose initial memory is already above the cap", () => {
    expect(() => capMemory(memoryModule(20), 10)).toThrow(MemoryCapError);
  });

  it("leaves a module without a memory section untouched", () => {
    expect(capMemory(importingModule, 10)).toBe(importingModule);
  });

  it("stays compatible with a module importing the capped memory under a larger declared maximum", async () => {
    const instance = await WebAssembly.instantiate(new WebAssembly.Module(capMemory(memoryModule(1), 10) as BufferSource));
    await expect(WebAssembly.instantiate(importingModule, { a: { mem: instance.exports.mem } })).resolves.toBeDefined();
  });

  it("leaves every other section byte-for-byte as it was", () => {
    const original = readSections(memoryModule(1));
    const capped = readSections(capMemory(memoryModule(1), 10));
    expect(capped.map((s) => s.id)).toEqual(original.map((s) => s.id));
    capped.forEach((s, i) => {
      if (s.id !== 5) expect(Array.from(s.payload)).toEqual(Array.from(original[i]!.payload));
    });
  });
});
