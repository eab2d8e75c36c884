/**
 * The CBOR a request body may hold: JSON's data model (maps with text keys,
 * arrays, strings, numbers, booleans, null) plus byte strings and undefined.
 * Checked in one pass over the bytes, without building anything, before
 * cbor-x decodes them: cbor-x also honours tags with which a small body
 * decodes into a far larger value (value sharing, packed values, records,
 * bundled strings) or into objects no JSON body can hold (sets, maps,
 * typed arrays, bignums, errors, regexps), and simple values it resolves
 * through its packed-value table. The pass refuses every tag but two that
 * change nothing and the two date tags around what they may hold (a
 * timestamp's forms: tag 0 around text, tag 1 around a number; cbor-dates.ts
 * decodes them), and nesting deeper than MAX_CBOR_DEPTH (cbor-x recurses).
 */
import { badRequest, type ApiError } from "./errors.ts";

/** Far deeper than a schema nests: a row's fields sit at depth 3 (body, rows, row). */
export const MAX_CBOR_DEPTH = 256;

/** A byte string typed as a Uint8Array: cbor-x's default encoder writes bytes this way. */
const TAG_UINT8_ARRAY = 64;
/** "This is CBOR": a prefix some encoders write, around any item. */
const TAG_SELF_DESCRIBED = 55799;
/** A timestamp: RFC 3339 text (tag 0), or seconds since the epoch, an integer or a float (tag 1). */
const TAG_DATE_TEXT = 0;
const TAG_EPOCH_SECONDS = 1;

/** What cbor-x would make of a tag, for the refusal's message. */
const TAG_NAMES: Array<[from: number, to: number, name: string]> = [
  [0, 0, "date as RFC 3339 text"],
  [1, 1, "date as seconds since the epoch"],
  [2, 3, "bignum"],
  [4, 5, "decimal fraction"],
  [6, 6, "packed value"],
  [14, 15, "bundled string"],
  [25, 25, "string reference"],
  [27, 27, "generic object"],
  [28, 29, "value sharing"],
  [51, 51, "packed values"],
  [64, 87, "typed array"],
  [105, 105, "cbor-x record: encode with useRecords false"],
  [216, 255, "packed prefix or suffix"],
  [256, 256, "string references"],
  [258, 258, "set"],
  [259, 259, "map object"],
  [0xdff9, 0xdff9, "bundled strings"],
  [0xdffe, 0xffff, "cbor-x record: encode with useRecords false"],
  [27647, 32767, "packed prefix or suffix"],
  [1811940352, 2147483647, "packed prefix or suffix"],
];

const PLAIN = "send plain data: maps with text keys, arrays, strings, byte strings, numbers, booleans, null, timestamps (tags 0 and 1)";

function tagRefused(tag: number, at: number): ApiError {
  const name = TAG_NAMES.find(([from, to]) => tag >= from && tag <= to)?.[2];
  return badRequest(`body uses CBOR tag ${tag}${name ? ` (${name})` : ""} at byte ${at}, which is not accepted: ${PLAIN}`);
}

/** Whether the item starting with byte `initial` is what a date tag may hold: definite text for tag 0; for tag 1 an integer or a float. */
function holdsDate(tag: number, initial: number): boolean {
  const major = initial >> 5;
  const info = initial & 0x1f;
  if (tag === TAG_DATE_TEXT) return major === 3 && info !== 31;
  return major === 0 || major === 1 || (major === 7 && info >= 25 && info <= 27);
}

function dateTagRefused(tag: number, at: number): ApiError {
  const holds = tag === TAG_DATE_TEXT ? "RFC 3339 text" : "a number of seconds since the epoch";
  return badRequest(`body uses CBOR tag ${tag} at byte ${at} around something other than ${holds}: a timestamp is tag 0 around RFC 3339 text or tag 1 around a number`);
}

const malformed = (what: string, at: number): ApiError => badRequest(`body is not valid CBOR: ${what} at byte ${at}`);
const truncated = (at: number): ApiError => malformed("it ends in the middle of an item", at);
const tooDeep = (): ApiError => badRequest(`body is not valid CBOR: it is nested too deeply (at most ${MAX_CBOR_DEPTH} levels)`);

/** An indefinite-length container's count of items left: more than any body holds, and even (a map's keys come at even counts). */
const INDEFINITE = 2 ** 52;

// The pass is synchronous and never re-entered: one stack serves every call. Per open container
// around the current one: the items it still expects and whether it is a map.
const outerLeft = new Float64Array(MAX_CBOR_DEPTH + 1);
const outerIsMap = new Uint8Array(MAX_CBOR_DEPTH + 1);

/** Throws a 400 naming the first thing in `bytes` that is not plain data; returns when all of it is. */
export function checkPlainCbor(bytes: Uint8Array): void {
  const end = bytes.length;
  let pos = 0;
  let level = 0; // containers open; level 0 expects the body's one item
  let left = 1; // items the current container still expects (a map's keys and values count apart)
  let isMap = false;
  while (left > 0) {
    if (pos >= end) throw truncated(pos);
    const at = pos;
    const initial = bytes[pos++]!;
    const major = initial >> 5;
    const info = initial & 0x1f;
    if (major === 3 && info < 24) {
      // The most common item, a short text string (every key is one): fits anywhere, no argument bytes.
      if (info > end - pos) throw truncated(at);
      pos += info;
    } else if (initial === 0xff) {
      if (left <= end) throw malformed("a break outside an indefinite-length array or map", at);
      if (isMap && left % 2 === 1) throw malformed("a map ends between a key and its value", at);
      left = 1; // the container itself is the item that just ended, below
    } else {
      if (isMap && left % 2 === 0 && major !== 3) throw badRequest(`body has a CBOR map key that is not a text string at byte ${at}: ${PLAIN}`);
      let arg = info;
      if (info >= 24) {
        const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : info === 31 ? 0 : -1;
        if (size < 0) throw malformed(`reserved additional information ${info}`, at);
        if (size > end - pos) throw truncated(at);
        arg = size === 0 ? -1 : 0;
        for (let i = 0; i < size; i++) arg = arg * 256 + bytes[pos++]!;
        if (arg < 0 && major !== 4 && major !== 5) throw malformed("an indefinite length outside an array or map", at);
      }
      if (major === 6) {
        if (arg === TAG_SELF_DESCRIBED) continue; // the tagged item follows and counts in its place
        if (arg === TAG_UINT8_ARRAY && pos < end && bytes[pos]! >> 5 === 2 && (bytes[pos]! & 0x1f) !== 31) continue;
        if (arg === TAG_DATE_TEXT || arg === TAG_EPOCH_SECONDS) {
          if (pos < end && holdsDate(arg, bytes[pos]!)) continue;
          throw dateTagRefused(arg, at);
        }
        throw tagRefused(arg, at);
      }
      if (major === 7) {
        if (info < 20 || info === 24) throw badRequest(`body uses CBOR simple value ${arg} at byte ${at}, which is not accepted: ${PLAIN}`);
      } else if (major === 2 || major === 3) {
        if (arg > end - pos) throw truncated(at);
        pos += arg;
      } else if (major === 4 || major === 5) {
        const items = arg < 0 ? INDEFINITE : major === 5 ? arg * 2 : arg;
        // Every item takes at least a byte: a count the rest of the body cannot hold is refused before it is trusted.
        if (items > end - pos && items !== INDEFINITE) throw truncated(at);
        if (items > 0) {
          if (level === MAX_CBOR_DEPTH) throw tooDeep();
          outerLeft[level] = left;
          outerIsMap[level] = isMap ? 1 : 0;
          level++;
          left = items;
          isMap = major === 5;
          continue;
        }
      }
    }
    // One item is complete: so is every container it was the last item of.
    left--;
    while (left === 0 && level > 0) {
      level--;
      left = outerLeft[level]! - 1;
      isMap = outerIsMap[level] === 1;
    }
  }
  if (pos !== end) throw malformed("more data after the body's item", pos);
}
