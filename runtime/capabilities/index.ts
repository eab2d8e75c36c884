// Deny-by-default WASI for guest components: every interface below is
// implemented here (never by preview2-shim's defaults, which expose the host's
// environment and filesystem). One call = the capabilities of one instance.
import { cliImports } from "./cli.js";
import { clocksImports } from "./clocks.js";
import { filesystemImports } from "./filesystem.js";
import { ioImports } from "./io.js";
import { randomImports } from "./random.js";

export { GuestExit, WasiError } from "./errors.js";

/** WASI version the preview1 adapter shipped with jco imports. */
export const WASI_VERSION = "0.2.12";

/** Interfaces a Python component may import (anything else is refused). */
export const PYTHON_IMPORT_ALLOWLIST: string[] = [
  "wasi:cli/environment",
  "wasi:cli/exit",
  "wasi:cli/stdin",
  "wasi:cli/stdout",
  "wasi:cli/stderr",
  "wasi:cli/terminal-input",
  "wasi:cli/terminal-output",
  "wasi:cli/terminal-stdin",
  "wasi:cli/terminal-stdout",
  "wasi:cli/terminal-stderr",
  "wasi:clocks/monotonic-clock",
  "wasi:clocks/wall-clock",
  "wasi:filesystem/types",
  "wasi:filesystem/preopens",
  "wasi:io/error",
  "wasi:io/poll",
  "wasi:io/streams",
  "wasi:random/random",
];

export interface WasiImportOptions {
  /** Deterministic randomness (tests); default is node:crypto. */
  seed?: Uint8Array;
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
}

/**
 * Imports for jco's `instantiate(getCoreModule, imports)`. jco-transpiled code
 * looks interfaces up without their version (`wasi:cli/exit`); the versioned
 * names (`wasi:cli/exit@0.2.12`) are present too for hosts that match on them.
 */
export function createWasiImports(opts: WasiImportOptions = {}): Record<string, object> {
  const cli = cliImports(opts);
  const byName: Record<string, object> = {
    ...cli.imports,
    ...clocksImports(),
    ...filesystemImports(),
    ...ioImports(),
    ...randomImports(opts.seed),
  };
  const out: Record<string, object> = {};
  for (const [name, impl] of Object.entries(byName)) {
    out[name] = impl;
    out[`${name}@${WASI_VERSION}`] = impl;
  }
  return out;
}
