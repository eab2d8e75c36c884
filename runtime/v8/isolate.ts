/**
 * A version's bundle in a V8 isolate (isolated-vm): the same ES module the
 * component embeds, behind the same guest contract. The isolate holds
 * nothing of the process that owns it: no host object, no Reference, no
 * callback is ever put into its context; only strings (and the reseed bytes)
 * are copied in, and only strings come out.
 */
import type IsolatedVm from "isolated-vm";
import { withGcExposed } from "../garbage.ts";
import { GuestCallError, type Guest } from "../guest.ts";
import { cut, errorTooLong, MAX_ERROR_CHARS, MAX_ERROR_COPY_CHARS } from "../guest-output.ts";
import { requireIsolatedVm } from "./isolated-vm.ts";

/**
 * Run before the bundle, in its context. V8 has a WebAssembly compiler that the
 * WebAssembly engines do not give their guests; the bundle gets none either.
 */
const PRELUDE = `delete globalThis.WebAssembly;`;

/**
 * Trusted wrapper around the bundle's exports. It reads nothing of what the
 * guest throws or returns beyond `typeof` and a string's length (no getter, no
 * toString, no prepareStackTrace can run here), and answers one string: "0" +
 * envelope, "1" + the guest's error (the WIT err), "2" + why the result is
 * unusable, or "3"/"4" + the length of an error/result too long to copy out
 * (the isolate's memory, not the executor's, holds it).
 */
const entry = (maxResultChars: number) => `import { describe, reseed, call } from "vial:bundle";
export function vialDescribe() {
  const text = describe();
  return typeof text === "string" ? text : "";
}
export function vialReseed(entropy) { reseed(entropy); }
export function vialCall(fn, batch) {
  let result;
  try {
    result = call(fn, batch);
  } catch (error) {
    if (typeof error !== "string") return "2the guest threw a value that is not a string";
    return error.length > ${MAX_ERROR_COPY_CHARS} ? "3" + error.length : "1" + error;
  }
  if (typeof result !== "string") return "2the guest returned a value that is not a string";
  return result.length > ${maxResultChars} ? "4" + result.length : "0" + result;
}`;

export interface IsolateOptions {
  /** The isolate's heap limit (isolated-vm's memoryLimit, at least 8 MiB). */
  memoryLimitBytes: number;
  /** A result longer than this many characters (at least as many UTF-8 bytes) stays in the isolate (default: none). */
  outputLimitBytes?: number;
  /** V8 lost control of the isolate: the owning process must end (isolated-vm's rule). */
  onCatastrophicError?: (message: string) => void;
}

export interface IsolateGuest extends Guest {
  isolate: IsolatedVm.Isolate;
  /** Heap in use, counting what isolated-vm counts against the limit. */
  heapBytes(): number;
  /** A full garbage collection of the isolate's heap (run on its thread; a call made meanwhile waits for it). */
  collectGarbage(): Promise<void>;
  dispose(): void;
}

/** V8's `gc` for `isolate`, from a context of its own that the guest never sees. */
function garbageCollector(isolate: IsolatedVm.Isolate): IsolatedVm.Reference<() => void> {
  return withGcExposed(() => isolate.createContextSync().global.getSync("gc", { reference: true }) as IsolatedVm.Reference<() => void>);
}

/** A result longer than the output limit, left in the isolate: `chars` is its length, at least its size in bytes. */
export class ResultTooLong extends Error {
  override name = "ResultTooLong";
  constructor(readonly chars: number) {
    super(`a result of ${chars} characters`);
  }
}

/** A result the wrapper could not pass on: the guest broke the contract (like a trap). */
export class GuestContractError extends Error {
  override name = "GuestContractError";
}

export async function startIsolate(bundle: string, opts: IsolateOptions): Promise<IsolateGuest> {
  const ivm = await requireIsolatedVm();
  const isolate = new ivm.Isolate({
    memoryLimit: Math.max(8, Math.floor(opts.memoryLimitBytes / 2 ** 20)),
    onCatastrophicError: (message) => (opts.onCatastrophicError ?? (() => process.abort()))(message),
  });
  try {
    const collector = garbageCollector(isolate);
    // Created synchronously, as the collector's context is: no other context can be in creation while `gc` is exposed.
    const context = isolate.createContextSync();
    await context.eval(PRELUDE);
    const guestModule = await isolate.compileModule(bundle, { filename: "vial:bundle" });
    await guestModule.instantiate(context, (specifier) => {
      throw new Error(`the bundle imports '${specifier}': a bundle must be self-contained`);
    });
    await guestModule.evaluate();
    const wrapper = await isolate.compileModule(entry(opts.outputLimitBytes ?? Number.MAX_SAFE_INTEGER), { filename: "vial:entry" });
    await wrapper.instantiate(context, () => guestModule);
    await wrapper.evaluate();
    const exported = (name: string) => wrapper.namespace.get(name, { reference: true }) as Promise<IsolatedVm.Reference<Function>>;
    const [describe, reseed, call] = await Promise.all([exported("vialDescribe"), exported("vialReseed"), exported("vialCall")]);

    return {
      isolate,
      describe: async () => String(await describe.apply(undefined, [])),
      async reseed(entropy) {
        await reseed.apply(undefined, [new ivm.ExternalCopy(entropy).copyInto({ release: true })]);
      },
      async call(fn, batch) {
        const answer = await call.apply(undefined, [fn, batch]);
        if (typeof answer !== "string") throw new GuestContractError("the guest's call did not answer a string");
        const rest = answer.slice(1);
        switch (answer[0]) {
          case "0":
            return rest;
          case "1":
            throw new GuestCallError(cut(rest, MAX_ERROR_CHARS));
          case "3":
            throw new GuestCallError(errorTooLong(Number(rest)));
          case "4":
            throw new ResultTooLong(Number(rest));
          default:
            throw new GuestContractError(rest);
        }
      },
      async collectGarbage() {
        await collector.apply(undefined, []);
      },
      heapBytes() {
        const heap = isolate.getHeapStatisticsSync();
        return heap.used_heap_size + heap.externally_allocated_size;
      },
      dispose: () => {
        if (!isolate.isDisposed) isolate.dispose();
      },
    };
  } catch (error) {
    if (!isolate.isDisposed) isolate.dispose();
    throw error;
  }
}
