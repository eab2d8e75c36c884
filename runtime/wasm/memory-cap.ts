/**
 * Caps the linear memories a core module defines, by rewriting the maximum in
 * its memory section before it is compiled: past the cap `memory.grow` fails
 * inside the guest, whatever the guest does. Imported memories are left
 * alone; a lower maximum on the exporter still satisfies every importer's
 * declared limits (an importer may only ask for a maximum at least as large).
 */
import { readU32, writeU32 } from "./leb128.ts";
import { readSections, writeSections } from "./sections.ts";

export const WASM_PAGE = 65536;
const MEMORY_SECTION = 5;
const HAS_MAX = 0x01;
const SHARED = 0x02;
const MEMORY64 = 0x04;

export interface MemoryLimits {
  min: number;
  max?: number;
}

/** Thrown when a module cannot run within the cap at all. */
export class MemoryCapError extends Error {
  override name = "MemoryCapError";
}

export function readMemoryLimits(payload: Uint8Array): MemoryLimits[] {
  const count = readU32(payload, 0);
  let offset = count.next;
  const limits: MemoryLimits[] = [];
  for (let i = 0; i < count.value; i++) {
    const flags = payload[offset]!;
    if (flags & MEMORY64 || flags > (HAS_MAX | SHARED)) throw new MemoryCapError(`memory ${i} has limit flags 0x${flags.toString(16)} (64-bit or custom pages), which the cap does not support`);
    const min = readU32(payload, offset + 1);
    offset = min.next;
    if (flags & HAS_MAX) {
      const max = readU32(payload, offset);
      offset = max.next;
      limits.push({ min: min.value, max: max.value });
    } else {
      limits.push({ min: min.value });
    }
  }
  return limits;
}

function writeMemoryLimits(limits: MemoryLimits[], shared: boolean[]): Uint8Array {
  const parts: number[] = [...writeU32(limits.length)];
  limits.forEach(({ min, max }, i) => {
    parts.push(HAS_MAX | (shared[i] ? SHARED : 0), ...writeU32(min), ...writeU32(max ?? min));
  });
  return Uint8Array.from(parts);
}

function sharedFlags(payload: Uint8Array, count: number): boolean[] {
  const flags: boolean[] = [];
  let offset = readU32(payload, 0).next;
  for (let i = 0; i < count; i++) {
    const f = payload[offset]!;
    flags.push((f & SHARED) !== 0);
    offset = readU32(payload, offset + 1).next;
    if (f & HAS_MAX) offset = readU32(payload, offset).next;
  }
  return flags;
}

/** Returns the module with every defined memory's maximum at most `maxPages` (64 KiB pages). */
export function capMemory(module: Uint8Array, maxPages: number): Uint8Array {
  const sections = readSections(module);
  const index = sections.findIndex((s) => s.id === MEMORY_SECTION);
  if (index < 0) return module;
  const payload = sections[index]!.payload;
  const limits = readMemoryLimits(payload);
  const capped = limits.map(({ min, max }, i) => {
    if (min > maxPages) {
      throw new MemoryCapError(`memory ${i} starts at ${pagesToMiB(min)} MiB, above the ${pagesToMiB(maxPages)} MiB cap: raise the environment's memoryMiB`);
    }
    return { min, max: Math.min(max ?? maxPages, maxPages) };
  });
  sections[index] = { id: MEMORY_SECTION, payload: writeMemoryLimits(capped, sharedFlags(payload, limits.length)) };
  return writeSections(sections);
}

const pagesToMiB = (pages: number): string => ((pages * WASM_PAGE) / 2 ** 20).toFixed(1);
