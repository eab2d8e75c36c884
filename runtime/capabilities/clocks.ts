// wasi:clocks/{monotonic-clock,wall-clock} from the host's clocks.
import { Pollable } from "./io.js";

export function clocksImports() {
  return {
    "wasi:clocks/monotonic-clock": {
      now: (): bigint => process.hrtime.bigint(),
      resolution: (): bigint => 1n,
      subscribeInstant: (when: bigint) => new Pollable(when),
      subscribeDuration: (d: bigint) => new Pollable(process.hrtime.bigint() + d),
    },
    "wasi:clocks/wall-clock": {
      now() {
        const ms = Date.now();
        return { seconds: BigInt(Math.floor(ms / 1000)), nanoseconds: (ms % 1000) * 1_000_000 };
      },
      resolution: () => ({ seconds: 0n, nanoseconds: 1_000_000 }),
    },
  };
}
