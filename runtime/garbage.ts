/**
 * Full garbage collections for trusted code that knows when much memory has
 * just become garbage. V8 installs `gc` in contexts created while
 * --expose-gc is set, a process-wide flag: it is set only while one context
 * is made for the purpose, synchronously, so no other context gets it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Runs `make` (which must create its context synchronously) with `gc` exposed, and only then. */
export function withGcExposed<T>(make: () => T): T {
  setFlagsFromString("--expose-gc");
  try {
    return make();
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}

/** This process's full garbage collection. */
export const collectGarbage = withGcExposed(() => runInNewContext("gc") as () => void);
