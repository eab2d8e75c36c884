/**
 * structuredClone for engines that lack it (QuickJS): the structured clone
 * algorithm over the types a transformation can hold (no transfer list, no
 * host objects). Cycles and shared references are preserved; functions and
 * symbols throw a DataCloneError, as in browsers and Node.
 */
const toTag = (v: object) => Object.prototype.toString.call(v).slice(8, -1);

function dataCloneError(what: string): Error {
  const message = `${what} could not be cloned`;
  const DOMEx = (globalThis as { DOMException?: new (m: string, n: string) => Error }).DOMException;
  return DOMEx ? new DOMEx(message, "DataCloneError") : Object.assign(new Error(message), { name: "DataCloneError" });
}

const ERRORS: Record<string, ErrorConstructor> = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };

export function structuredClonePolyfill<T>(value: T): T {
  const seen = new Map<object, unknown>();
  const clone = (v: unknown): unknown => {
    if (typeof v === "function" || typeof v === "symbol") throw dataCloneError(String(v).slice(0, 60));
    if (v === null || typeof v !== "object") return v;
    if (seen.has(v)) return seen.get(v);
    const keep = <U>(out: U): U => (seen.set(v, out), out);
    const tag = toTag(v);
    switch (tag) {
      case "Array": {
        const out = keep(new Array((v as unknown[]).length));
        for (const k of Object.keys(v)) out[k as unknown as number] = clone((v as Record<string, unknown>)[k]);
        return out;
      }
      case "Object": {
        const out = keep({} as Record<string, unknown>);
        for (const k of Object.keys(v)) out[k] = clone((v as Record<string, unknown>)[k]);
        return out;
      }
      case "Date":
        return keep(new Date((v as Date).getTime()));
      case "RegExp":
        return keep(new RegExp((v as RegExp).source, (v as RegExp).flags));
      case "Map": {
        const out = keep(new Map());
        for (const [k, x] of v as Map<unknown, unknown>) out.set(clone(k), clone(x));
        return out;
      }
      case "Set": {
        const out = keep(new Set());
        for (const x of v as Set<unknown>) out.add(clone(x));
        return out;
      }
      case "ArrayBuffer":
        return keep((v as ArrayBuffer).slice(0));
      case "Boolean":
      case "Number":
      case "String":
      case "BigInt":
        return keep(Object((v as { valueOf(): unknown }).valueOf()));
      case "Error": {
        const e = v as Error;
        const out = keep(new (ERRORS[e.name] ?? Error)(e.message));
        if (e.stack !== undefined) out.stack = e.stack;
        if ("cause" in e) out.cause = clone(e.cause);
        return out;
      }
    }
    if (ArrayBuffer.isView(v)) {
      const buffer = clone(v.buffer) as ArrayBuffer;
      if (tag === "DataView") return keep(new DataView(buffer, v.byteOffset, v.byteLength));
      const Ctor = (v as unknown as { constructor: new (b: ArrayBuffer, o: number, n: number) => unknown }).constructor;
      return keep(new Ctor(buffer, v.byteOffset, (v as unknown as { length: number }).length));
    }
    throw dataCloneError(`#<${tag}>`);
  };
  return clone(value) as T;
}
