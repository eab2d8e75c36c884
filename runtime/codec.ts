/**
 * Request and response bodies as JSON or CBOR; the response uses the format
 * of the request. CBOR carries bytes natively (byte strings) and NaN and
 * ±Infinity as floats; JSON carries bytes as base64 strings, which is also
 * their form at the guest boundary, and has no literal for non-finite
 * numbers: an answer writes them as null, or as text when the caller asks.
 */
import { Decoder, Encoder, type Options } from "cbor-x";
import { ApiError, badRequest, unsupportedMediaType } from "./errors.ts";
import { checkPlainCbor } from "./plain-cbor.ts";
import "./cbor-dates.ts";

export type WireFormat = "json" | "cbor";

// Plain maps and plain byte strings, readable by any CBOR library (no cbor-x record or typed-array tags).
const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
// Numbers as JSON has them: an integer written in 8 bytes is a number, not a BigInt (int64 then says if it is exact).
// (`int64AsNumber` is in cbor-x's README but not its types.)
const cborDecoder = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as Options & { int64AsNumber: boolean });

export const CONTENT_TYPES: Record<WireFormat, string> = { json: "application/json", cbor: "application/cbor" };

export function formatOf(contentType: string | undefined | null): WireFormat {
  const type = (contentType ?? "application/json").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json" || type === "") return "json";
  if (type === "application/cbor") return "cbor";
  throw unsupportedMediaType(type);
}

export function decodeBody(format: WireFormat, body: Uint8Array): unknown {
  if (body.length === 0) throw badRequest('empty body: send {"rows": [...]}');
  try {
    if (format === "json") return JSON.parse(new TextDecoder().decode(body));
    // Only plain data reaches cbor-x (plain-cbor.ts): none of its tags that expand or build objects.
    checkPlainCbor(body);
    return cborDecoder.decode(body);
  } catch (error) {
    if (error instanceof ApiError) throw error;
    // cbor-x recurses: a body nested deeper than the stack allows is refused like any other bad body.
    const reason = error instanceof RangeError ? "it is nested too deeply" : (error as Error).message;
    throw badRequest(`body is not valid ${format.toUpperCase()}: ${reason}`);
  }
}

/**
 * How a JSON answer writes NaN and ±Infinity (fields that allow them): `null` by default, what JSON.stringify
 * makes of them; `string` as "NaN", "Infinity", "-Infinity", which the caller asks for to tell them apart.
 */
export type NonFiniteForm = "null" | "string";

export function encodeBody(format: WireFormat, value: unknown, nonFinite: NonFiniteForm = "null"): Uint8Array | string {
  const text = wellFormed(value, format === "json" && nonFinite === "string");
  return format === "json" ? JSON.stringify(text) : cbor.encode(text);
}

type WellFormedString = string & { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Lone surrogates (a guest can return them; JS strings may hold them) become
 * U+FFFD: CBOR would otherwise carry ill-formed UTF-8 and JSON unpaired \ud800
 * escapes; with `nonFiniteAsText`, NaN and ±Infinity become their text. Copies
 * only what changes; response values are schema-shaped.
 */
function wellFormed(value: unknown, nonFiniteAsText: boolean): unknown {
  if (typeof value === "string") return (value as WellFormedString).isWellFormed() ? value : (value as WellFormedString).toWellFormed();
  if (typeof value !== "object" || value === null || value instanceof Uint8Array) {
    return nonFiniteAsText && typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
  }
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item, i) => {
      const fixed = wellFormed(item, nonFiniteAsText);
      if (fixed !== item) (out ??= [...value])[i] = fixed;
    });
    return out ?? value;
  }
  // Keys are the host's own (field names from the schema, envelope names) or a map's, made well-formed by the output check.
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const fixed = wellFormed(item, nonFiniteAsText);
    if (fixed !== item) (out ??= { ...value })[key] = fixed;
  }
  return out ?? value;
}

/** The rows of an invoke request body: `{"rows": [...]}`. */
export function rowsOf(body: unknown): unknown[] {
  const rows = (body as { rows?: unknown } | null)?.rows;
  if (typeof body !== "object" || body === null || !Array.isArray(rows)) throw badRequest('body must be an object {"rows": [...]}');
  return rows;
}

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
export const fromBase64 = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, "base64"));
