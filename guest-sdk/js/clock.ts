/**
 * The guest's clock: every way a guest can read the time reads the Unix
 * epoch, and nothing that waits for time to pass ever does. Results then never
 * depend on when or where a component was built or runs ("now" belongs in the
 * input rows), and a guest cannot time anything, a co-tenant's load included.
 * Installed once when the bundle loads, before any user code; nothing here
 * runs per call.
 */

const g = globalThis as Record<string, unknown>;
const define = (target: object, name: PropertyKey, value: unknown) =>
  Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });

/** The only time a guest can read, in milliseconds since the Unix epoch. */
export const EPOCH = 0;
const now = () => EPOCH;

// Date without a time reads the epoch. The engine's own Date.now is replaced
// on the engine's Date itself: reflection reaches it through any wrapper
// (V8 would answer the real time, StarlingMonkey the build's, QuickJS trap).
const NativeDate = Date;
define(NativeDate, "now", now);
const FixedDate = new Proxy(NativeDate, {
  construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [EPOCH], newTarget),
  apply: () => new NativeDate(EPOCH).toString(),
});
define(g, "Date", FixedDate);
// `new date.constructor()` must not reach the engine's Date either.
define(NativeDate.prototype, "constructor", FixedDate);
define(g, "performance", { now, timeOrigin: EPOCH, mark() {}, measure() {} });

// Intl.DateTimeFormat (V8) formats "now" from V8's own clock when given no date.
type Format = (date?: Date | number) => string;
const DateTimeFormat = (g.Intl as typeof Intl | undefined)?.DateTimeFormat;
if (DateTimeFormat) {
  const proto = DateTimeFormat.prototype;
  const nativeFormat = Object.getOwnPropertyDescriptor(proto, "format")!.get!;
  const nativeFormatToParts = proto.formatToParts;
  // The spec's `format` is one bound function per formatter: keep that.
  const bound = new WeakMap<object, Format>();
  Object.defineProperty(proto, "format", {
    configurable: true,
    enumerable: false,
    get(this: Intl.DateTimeFormat) {
      let format = bound.get(this);
      if (!format) {
        const native = nativeFormat.call(this) as Format;
        format = (date) => native(date === undefined ? EPOCH : date);
        bound.set(this, format);
      }
      return format;
    },
  });
  define(proto, "formatToParts", function formatToParts(this: Intl.DateTimeFormat, date?: Date | number) {
    return nativeFormatToParts.call(this, date === undefined ? EPOCH : date);
  });
}

// File (StarlingMonkey) stamps a file made without lastModified (by its
// constructor, FormData or a multipart body) with the engine's own clock, which
// the build froze: such a file reads the epoch, one given a time keeps it.
const NativeFile = g.File as typeof File | undefined;
if (typeof NativeFile === "function") {
  const nativeLastModified = Object.getOwnPropertyDescriptor(NativeFile.prototype, "lastModified")!.get!;
  const given = new WeakMap<object, number>();
  const FixedFile = new Proxy(NativeFile, {
    construct(target, args, newTarget) {
      const file = Reflect.construct(target, args, newTarget) as File;
      if ((args[2] as FilePropertyBag | undefined)?.lastModified !== undefined) given.set(file, nativeLastModified.call(file) as number);
      return file;
    },
  });
  Object.defineProperty(NativeFile.prototype, "lastModified", {
    configurable: true,
    enumerable: true,
    get(this: File) {
      nativeLastModified.call(this); // the engine's own check that `this` is a File
      return given.get(this) ?? EPOCH;
    },
  });
  define(g, "File", FixedFile);
  define(NativeFile.prototype, "constructor", FixedFile);
}

// Timers are accepted (feature checks and setup code keep working) but never
// fire: there is no event loop between calls, and a handler returns synchronously.
let timerId = 0;
for (const name of ["setTimeout", "setInterval", "setImmediate"]) define(g, name, () => ++timerId);
for (const name of ["clearTimeout", "clearInterval", "clearImmediate"]) define(g, name, () => {});
// AbortSignal.timeout (StarlingMonkey) is a timer too, and its own traps the instance.
const AbortSignalClass = g.AbortSignal as object | undefined;
if (AbortSignalClass) define(AbortSignalClass, "timeout", (_ms: number) => new AbortController().signal);

// Atomics.wait and waitAsync (V8): with no other thread to wake them, all they
// can do is wait for real time to pass (and a pending waitAsync ends the
// executor's process). The other engines have no Atomics.
const atomics = g.Atomics as Record<string, unknown> | undefined;
if (atomics) for (const name of ["wait", "waitAsync"]) delete atomics[name];
