import { transformation, t } from "@vial/guest";

const g = globalThis as Record<string, any>;

/** Runs a probe; a throw counts as "missing". */
const probe = (fn: () => unknown): boolean => {
  try {
    return Boolean(fn());
  } catch {
    return false;
  }
};

const native = (fn: unknown) => typeof fn === "function" && /\[native code\]/.test(Function.prototype.toString.call(fn));

/** What npm packages commonly expect of the engine, checked inside the guest (after vial's globals). */
export const compat = transformation({
  inputs: {},
  outputs: { report: t.string },
  handler: () => {
    const checks: Record<string, boolean> = {
      "native TextEncoder/TextDecoder": native(g.TextDecoder) && native(g.TextEncoder),
      Intl: typeof g.Intl === "object",
      "Intl.Collator": probe(() => new g.Intl.Collator("en").compare("a", "b") < 0),
      "String.normalize (NFD)": probe(() => "é".normalize("NFD").length === 2),
      "toLocaleUpperCase('tr')": probe(() => "i".toLocaleUpperCase("tr") === "İ"),
      "runtime RegExp \\p{L}": probe(() => new RegExp("^\\p{L}+$", "u").test("été")),
      "RegExp lookbehind": probe(() => new RegExp("(?<=a)b").test("ab")),
      "RegExp named groups": probe(() => new RegExp("(?<x>a)").exec("a")?.groups?.x === "a"),
      "eval / new Function": probe(() => new Function("return 1")() === 1),
      structuredClone: typeof g.structuredClone === "function",
      "WeakRef/FinalizationRegistry": typeof g.WeakRef === "function" && typeof g.FinalizationRegistry === "function",
      "Array.prototype.toSorted (ES2023)": typeof (Array.prototype as any).toSorted === "function",
      BigInt64Array: typeof g.BigInt64Array === "function",
      SharedArrayBuffer: typeof g.SharedArrayBuffer === "function",
      URL: typeof g.URL === "function",
      atob: typeof g.atob === "function",
      "setTimeout/queueMicrotask": typeof g.setTimeout === "function" && typeof g.queueMicrotask === "function",
      "crypto.subtle": typeof g.crypto?.subtle === "object",
      fetch: typeof g.fetch === "function",
    };
    return { report: JSON.stringify(checks) };
  },
});
