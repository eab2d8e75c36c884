/**
 * This process's full garbage collection, for trusted code that knows when
 * much memory has just become garbage. Taken without exposing `gc` to
 * anything else: --expose-gc is set only while one context is made for it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

export const collectGarbage = (() => {
  setFlagsFromString("--expose-gc");
  try {
    return runInNewContext("gc") as () => void;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
})();
