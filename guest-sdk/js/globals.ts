/**
 * What ordinary npm code expects of its global scope, provided inside the
 * sandbox without granting anything: no host environment, no real clock
 * (clock.ts), no I/O.
 * Imported first by every component bundle; the same behavior on every engine.
 */
import { TextDecoderPolyfill, TextEncoderPolyfill } from "./text-codec.ts";
import { structuredClonePolyfill } from "./clone.ts";
import { installPropertyClasses } from "./regexp-properties.ts";
import { decodeBase64, encodeBase64 } from "./base64.ts";
// The fixed clock, with the timers that never fire.
import "./clock.ts";

const g = globalThis as Record<string, unknown>;
// Some engine globals are getter-only (StarlingMonkey's crypto, performance): redefine, don't assign.
const define = (name: string, value: unknown) => Object.defineProperty(g, name, { value, writable: true, configurable: true, enumerable: false });

g.global ??= globalThis;
g.self ??= globalThis;
// Bundles read process.env.X and process.platform; the guest's environment is empty by design.
g.process ??= {
  env: {},
  argv: ["vial"],
  platform: "wasi",
  version: "",
  versions: {},
  browser: true,
  cwd: () => "/",
  nextTick: (fn: (...args: unknown[]) => void, ...args: unknown[]) => Promise.resolve().then(() => fn(...args)),
};
g.TextEncoder ??= TextEncoderPolyfill;
g.TextDecoder ??= TextDecoderPolyfill;
g.structuredClone ??= structuredClonePolyfill;
// Web base64 over "binary strings" (one char per byte), where the engine has none (V8 isolates): Buffer shims read them at load.
g.btoa ??= (text: string) => {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 255) throw new RangeError("btoa: the string has characters outside Latin-1");
    bytes[i] = code;
  }
  return encodeBase64(bytes);
};
g.atob ??= (base64: string) => {
  const bytes = decodeBase64(String(base64).replace(/[\t\n\f\r ]/g, ""));
  let text = "";
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text;
};
installPropertyClasses();

// Console output is kept (bounded) and handed back with the batch, for the host's logs:
// the guest has no stdout of its own.
const MAX_LOG_LINES = 100;
const MAX_LOG_LINE = 1000;
let logs: string[] = [];
const keep = (level: string) => (...args: unknown[]) => {
  if (logs.length >= MAX_LOG_LINES) return;
  const line = args.map((a) => (typeof a === "string" ? a : safeStringify(a))).join(" ");
  logs.push(`${level}: ${line.slice(0, MAX_LOG_LINE)}`);
};
function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
// The clock reads a fixed time (clock.ts): every timing is 0 ms.
const elapsed = (label = "default") => keep("log")(`${label}: 0ms`);
g.console = {
  log: keep("log"),
  info: keep("info"),
  debug: keep("debug"),
  warn: keep("warn"),
  error: keep("error"),
  trace: keep("trace"),
  time: () => {},
  timeEnd: elapsed,
  timeLog: elapsed,
};

export function drainConsole(): string[] {
  const out = logs;
  logs = [];
  return out;
}

// Math.random and crypto.getRandomValues from a PRNG the host seeds per instance
// (reseed): a build-time snapshot would otherwise give every instance one sequence.
let s0 = 0x9e3779b9 | 0;
let s1 = 0x243f6a88 | 0;
let s2 = 0xb7e15162 | 0;
let s3 = 0x7f4a7c15 | 0;
function next32(): number {
  // xoshiro128**
  const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  return result;
}
const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

export function seedRandom(entropy: Uint8Array): void {
  const word = (i: number) => (entropy[i] | (entropy[i + 1] << 8) | (entropy[i + 2] << 16) | (entropy[i + 3] << 24)) | 0;
  s0 = word(0) ^ s0;
  s1 = word(4) ^ s1;
  s2 = word(8) ^ s2;
  s3 = word(12) ^ s3 || 1;
}

Math.random = () => (next32() * 2 ** 21 + (next32() >>> 11)) / 2 ** 53;
const getRandomValues = <T extends ArrayBufferView>(view: T): T => {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  for (let i = 0; i < bytes.length; i++) bytes[i] = next32() & 255;
  return view;
};
define("crypto", { getRandomValues });
