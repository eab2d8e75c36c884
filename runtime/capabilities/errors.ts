// Errors handed back to the guest. jco's bindings turn a thrown object with a
// `payload` into the `err` case of a WIT result; anything else traps.
export class WasiError extends Error {
  constructor(public readonly payload: unknown) {
    super(`wasi error: ${JSON.stringify(payload)}`);
  }
}

/** A filesystem error-code result, e.g. fsError("access"). */
export const fsError = (code: string) => new WasiError(code);

/** Thrown by wasi:cli/exit: ends the instance that called it, nothing else. */
export class GuestExit extends Error {
  constructor(public readonly code: number) {
    super(`guest called exit(${code})`);
  }
}
