// wasi:clocks/{monotonic-clock,wall-clock}: the fixed clock, the same as a JS
// guest's. The wall clock reads the Unix epoch and the monotonic clock 0, on
// every call: results never depend on when a row runs, and nothing a guest
// does can time anything (a co-tenant's load included). Time never passes for
// a guest, so waiting for it takes none: every clock pollable is ready at once
// (`time.sleep` and `select` timeouts return immediately). A guest that spins
// until its clock moves runs until its call's deadline, like any runaway call.
import { Pollable } from "./io.js";

/** The wall clock's one reading: the Unix epoch. */
const EPOCH = { seconds: 0n, nanoseconds: 0 };

export function clocksImports() {
  return {
    "wasi:clocks/monotonic-clock": {
      now: (): bigint => 0n,
      resolution: (): bigint => 1n,
      subscribeInstant: (_when: bigint) => new Pollable(),
      subscribeDuration: (_duration: bigint) => new Pollable(),
    },
    "wasi:clocks/wall-clock": {
      now: () => EPOCH,
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
  };
}
