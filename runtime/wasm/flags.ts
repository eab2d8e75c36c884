/**
 * V8 flags that must be set before the first WASM compile in a thread.
 * QuickJS components use extended constant expressions, behind a flag before
 * V8 11.4 (Node 20); later V8s have them on and no longer know the flag.
 */
import { setFlagsFromString } from "node:v8";

const [major, minor] = process.versions.v8.split(".").map(Number) as [number, number];
if (major < 11 || (major === 11 && minor < 4)) setFlagsFromString("--experimental-wasm-extended-const");

/**
 * A host compiles every function of a version before it says ready, so no
 * request pays for a lazy compile of the function it first calls (bench:
 * identity P99.9 246 -> 28 ms). Builds keep lazy compilation: they run a
 * component once.
 */
export function compileEagerly(): void {
  setFlagsFromString("--no-wasm-lazy-compilation");
}
