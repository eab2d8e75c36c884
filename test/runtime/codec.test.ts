/**
 * Request bodies decoded within bounds (runtime/codec.ts, runtime/plain-cbor.ts),
 * on pure inputs: CBOR bodies that cbor-x alone would decode into far more
 * than they hold are refused before it sees them, and so is anything that is
 * not plain data or a timestamp; what is plain decodes as before, random bytes
 * included. Answers write NaN and ±Infinity as the caller asked.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Decoder, Encoder, encode as cborXEncode } from "cbor-x";
import { decodeBody, encodeBody } from "../../runtime/codec.ts";
import { TaggedDate } from "../../runtime/cbor-dates.ts";
import { MAX_CBOR_DEPTH } from "../../runtime/plain-cbor.ts";
import { ApiError } from "../../runtime/errors.ts";
import { array, body, EXPANDING, FLOAT16_ONE, head, INFINITY, map, NAN, tag, text, UNDEFINED, valueSharingBomb } from "../security/cbor-bodies.ts";

/** cbor-x as it decodes when nothing stands in front of it. */
const bare = new Decoder({ useRecords: false, mapsAsObjects: true });
/** The same, with the codec's options: what plain data must decode to. */
const bareAsCodec = new Decoder({ useRecords: false, mapsAsObjects: true, int64AsNumber: true } as ConstructorParameters<typeof Decoder>[0] & { int64AsNumber: boolean });
/** The project's own encoder (plain maps and byte strings). */
const plainEncoder = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });

/** The error decodeBody throws for `bytes`, or undefined when it decodes. */
function refusal(bytes: Uint8Array | number[]): ApiError | undefined {
  try {
    decodeBody("cbor", bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
    return undefined;
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return error;
  }
}

const decoded = (bytes: number[]) => decodeBody("cbor", new Uint8Array(bytes));
/** `{"rows": [{"x": <value>}]}` */
const rowWith = (value: number[]) => body([...array(1), ...map(1), ...text("x"), ...value]);

/** Only what JSON holds, plus byte strings, undefined and CBOR's dates: no Tag, other Date, Map, Set, typed array other than bytes, BigInt, Error, RegExp. */
function isPlain(value: unknown): boolean {
  if (value === null || value === undefined || ["boolean", "number", "string"].includes(typeof value)) return true;
  if (value instanceof Uint8Array) return true; // Buffer included; other typed arrays are not Uint8Arrays
  if (value instanceof TaggedDate) return true;
  if (Array.isArray(value)) return value.every(isPlain);
  return typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(isPlain);
}

describe("CBOR that expands", () => {
  it("refuses a 1 MiB body that cbor-x alone decodes into billions of floats (value sharing, tags 28/29)", () => {
    const bomb = valueSharingBomb(2 ** 20);
    expect(bomb.length).toBeLessThanOrEqual(2 ** 20);
    // The attack is real: every row holds the one shared 40,000-float array.
    const { rows } = bare.decode(bomb) as { rows: Array<{ xs: number[] }> };
    expect(rows.length * rows[0]!.xs.length).toBeGreaterThan(3e9);
    expect(rows[1]!.xs).toBe(rows[0]!.xs);
    const error = refusal(bomb);
    expect(error).toMatchObject({ status: 400, code: "bad_request" });
    expect(error!.message).toMatch(/^body uses CBOR tag 28 \(value sharing\) at byte \d+, which is not accepted: send plain data/);
  });

  for (const { name, tag: number, body: bytes } of EXPANDING) {
    it(`refuses tag ${number} (${name}), which cbor-x expands over 100 times`, () => {
      expect(JSON.stringify(bare.decode(bytes)).length).toBeGreaterThan(100 * bytes.length);
      expect(refusal(bytes)?.message).toContain(`CBOR tag ${number} (${name})`);
    });
  }
});

describe("CBOR that is not plain data", () => {
  const tagged: Array<[number, number[], string]> = [
    [2, [...head(2, 3), 1, 2, 3], "bignum"],
    [4, [...array(2), ...head(0, 0x19), 0x01, 0x90, 0x01], "decimal fraction"], // 1e400: Infinity in cbor-x
    [6, [0x00], "packed value"],
    [27, [...array(2), ...text("RegExp"), ...text("(a+)+$")], "generic object"],
    [29, [0x00], "value sharing"],
    [86, [...head(2, 8), 0, 0, 0, 0, 0, 0, 0xf0, 0x3f], "typed array"],
    [258, [...array(1), 0x01], "set"],
    [259, [...map(1), ...text("a"), 0x01], "map object"],
    [0xdff9, [...array(2), 0x00, 0x00], "bundled strings"],
    [0xe000, [...array(1), 0x01], "cbor-x record: encode with useRecords false"],
    [230, text("x"), "packed prefix or suffix"],
    [64, [0x01], "typed array"], // tag 64 is accepted only around a byte string
    [1234, [0x01], ""],
  ];
  for (const [number, content, name] of tagged) {
    it(`refuses tag ${number}${name ? ` (${name})` : ""}, naming it and where it is`, () => {
      const message = refusal(rowWith([...tag(number), ...content]))?.message;
      expect(message).toContain(`CBOR tag ${number}${name ? ` (${name})` : ""} at byte 10,`);
    });
  }

  it("refuses simple values other than false, true, null and undefined (cbor-x looks them up in its packed values)", () => {
    for (const simple of [[0xe0], [0xf3], [0xf8, 0x20], [0xf8, 0xff]]) {
      expect(refusal(rowWith(simple))?.message).toMatch(/^body uses CBOR simple value \d+ at byte 10, which is not accepted/);
    }
  });

  it("refuses map keys that are not text strings", () => {
    for (const key of [[0x01], [0xf6], [0xf5], [...head(2, 1), 0x61], [...array(0)], [...tag(55799), ...text("x")]]) {
      const bytes = body([...array(1), ...map(1), ...key, 0x01]);
      expect(refusal(bytes)?.message).toBe(
        `body has a CBOR map key that is not a text string at byte 8: send plain data: maps with text keys, arrays, strings, byte strings, numbers, booleans, null, timestamps (tags 0 and 1)`,
      );
    }
  });

  it(`refuses nesting deeper than ${MAX_CBOR_DEPTH} levels, however it is nested`, () => {
    const nested = (levels: number, open: number[]) => [...Array(levels).fill(open).flat(), ...array(0)];
    // {"rows": [[...]]}: the body's map is the first level.
    expect(refusal(body(nested(MAX_CBOR_DEPTH - 1, array(1))))).toBeUndefined();
    for (const open of [array(1), [0x9f], [...map(1), ...text("a")], [0xbf, ...text("a")]]) {
      expect(refusal(body(nested(MAX_CBOR_DEPTH, open)))?.message).toBe(`body is not valid CBOR: it is nested too deeply (at most ${MAX_CBOR_DEPTH} levels)`);
    }
    expect(refusal(body(nested(1_000_000, array(1))))?.message).toBe(`body is not valid CBOR: it is nested too deeply (at most ${MAX_CBOR_DEPTH} levels)`);
  });

  it("refuses malformed CBOR with what is wrong and where", () => {
    const cases: Array<[number[], string]> = [
      [[...map(1), ...text("rows")], "it ends in the middle of an item at byte 6"],
      [[...map(1), ...text("rows"), ...array(3), 0x01], "it ends in the middle of an item at byte 6"],
      [[...map(1), ...text("rows"), ...head(3, 10), 0x61], "it ends in the middle of an item at byte 6"],
      [[...map(1), ...text("rows"), ...array(0), 0x00], "more data after the body's item at byte 7"],
      [[...map(1), ...text("rows"), 0x1c], "reserved additional information 28 at byte 6"],
      [[...map(1), ...text("rows"), 0xff], "a break outside an indefinite-length array or map at byte 6"],
      [[...map(1), ...text("rows"), 0x7f, 0x61, 0x61, 0xff], "an indefinite length outside an array or map at byte 6"],
      [[...map(1), ...text("rows"), 0xbf, ...text("a"), 0xff], "a map ends between a key and its value at byte 9"],
      [[...map(1), ...text("rows"), ...head(4, 2 ** 31)], "it ends in the middle of an item at byte 6"],
    ];
    for (const [bytes, what] of cases) expect(refusal(bytes)?.message).toBe(`body is not valid CBOR: ${what}`);
  });
});

describe("plain CBOR", () => {
  it("decodes numbers, non-finite floats and undefined as they are (the row check decides on them)", () => {
    const row = (value: number[]) => (decoded([...rowWith(value)]) as { rows: Array<{ x: unknown }> }).rows[0]!.x;
    expect(row(FLOAT16_ONE)).toBe(1);
    expect(row(NAN)).toBeNaN();
    expect(row(INFINITY)).toBe(Infinity);
    expect(row(UNDEFINED)).toBeUndefined();
    expect(row([0xfb, ...new Uint8Array(new Float64Array([0.1]).buffer).reverse()])).toBe(0.1);
    // An integer in 8 bytes is a number, as JSON has it; int64's own check then says whether it is exact.
    expect(row([0x1b, 0, 0, 1, 0, 0, 0, 0, 0])).toBe(2 ** 40);
    expect(row([0x3b, 0, 0, 1, 0, 0, 0, 0, 0])).toBe(-(2 ** 40) - 1);
  });

  it("accepts byte strings typed as Uint8Array (tag 64) and the self-described CBOR prefix (tag 55799)", () => {
    const bytes = new Uint8Array([...tag(55799), ...rowWith([...tag(64), ...head(2, 3), 1, 2, 3])]);
    const { rows } = decodeBody("cbor", bytes) as { rows: Array<{ x: Uint8Array }> };
    expect([...rows[0]!.x]).toEqual([1, 2, 3]);
    // cbor-x's own encode() writes bytes with tag 64.
    const fromDefault = decodeBody("cbor", cborXEncode({ rows: [{ x: new Uint8Array([4, 5]) }] })) as { rows: Array<{ x: Uint8Array }> };
    expect([...fromDefault.rows[0]!.x]).toEqual([4, 5]);
  });

  it("decodes timestamps, tag 0 around RFC 3339 text and tag 1 around seconds, to the microsecond", () => {
    const date = (value: number[]) => (decoded([...rowWith(value)]) as { rows: Array<{ x: unknown }> }).rows[0]!.x as TaggedDate;
    const float64 = (x: number) => [0xfb, ...new Uint8Array(new Float64Array([x]).buffer).reverse()];
    const cases: Array<[number[], { ms: number; micros: number } | null]> = [
      [[...tag(0), ...text("2026-12-06T21:34:49.123456+01:00")], { ms: Date.UTC(2026, 11, 6, 20, 34, 49, 123), micros: 456 }],
      [[...tag(1), 0x1a, 0x65, 0x92, 0x00, 0x80], { ms: 0x65920080 * 1000, micros: 0 }],
      [[...tag(1), 0x20], { ms: -1000, micros: 0 }],
      [[...tag(1), ...float64(1765053289.123456)], { ms: 1765053289123, micros: 456 }],
      [[...tag(1), ...float64(-0.5)], { ms: -500, micros: 0 }],
      // What the date tags hold but a timestamp is not: decoded as a date that is not one, for the row check to name.
      [[...tag(0), ...text("2026-12-06T21:34:49")], null],
      [[...tag(0), ...text("10000-01-01T00:00:00Z")], null],
      [[...tag(1), ...NAN], null],
      [[...tag(1), 0x1b, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00], null],
    ];
    for (const [bytes, instant] of cases) {
      expect(date(bytes)).toBeInstanceOf(Date);
      expect(date(bytes).instant).toEqual(instant);
    }
    // What clients' encoders write for a Date: tag 1 (cbor-x) and tag 0 (cbor2's default for a datetime).
    const fromClient = decodeBody("cbor", plainEncoder.encode({ rows: [{ x: new Date(1765053289123) }] })) as { rows: Array<{ x: TaggedDate }> };
    expect(fromClient.rows[0]!.x.instant).toEqual({ ms: 1765053289123, micros: 0 });
  });

  it("refuses a date tag around anything else, naming the tag and where it is", () => {
    for (const [number, content] of [[0, [0x01]], [0, [0x7f, 0x61, 0x61, 0xff]], [0, [...tag(1), 0x01]], [1, text("1765053289")], [1, array(0)], [1, [0xf5]], [1, [...head(2, 1), 0x01]]] as Array<[number, number[]]>) {
      expect(refusal(rowWith([...tag(number), ...content]))?.message).toMatch(new RegExp(`^body uses CBOR tag ${number} at byte 10 around something other than`));
    }
  });

  it("keeps the last of repeated keys, as JSON.parse does", () => {
    const twice = body([...array(1), ...map(2), ...text("x"), 0x01, ...text("x"), 0x02]);
    expect(decodeBody("cbor", twice)).toEqual({ rows: [{ x: 2 }] });
    expect(decodeBody("json", Buffer.from('{"rows": [{"x": 1, "x": 2}]}'))).toEqual({ rows: [{ x: 2 }] });
  });

  it("decodes any plain value the project's encoder writes, unchanged", () => {
    const leaf = fc.oneof(fc.string(), fc.double(), fc.integer(), fc.maxSafeInteger(), fc.boolean(), fc.constant(null), fc.uint8Array({ maxLength: 40 }));
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value"), { maxLength: 5 }), fc.dictionary(fc.string(), tie("value"), { maxKeys: 5 })),
    }));
    fc.assert(
      fc.property(value, (v) => {
        const bytes = plainEncoder.encode({ rows: [v] });
        expect(decodeBody("cbor", bytes)).toEqual(bareAsCodec.decode(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it("turns any bytes into plain data or a 400, never into anything else", () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // A valid body with a few bytes changed: near misses reach deeper than random bytes.
      fc.tuple(fc.jsonValue(), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 3 })).map(([v, changes]) => {
        const out = new Uint8Array(plainEncoder.encode({ rows: [v] }));
        for (const [at, byte] of changes) out[at % out.length] = byte;
        return out;
      }),
      // Whatever cbor-x's default encoder makes of values a client might hold: dates, sets, maps, typed arrays.
      fc.oneof(fc.date(), fc.constant(new Set([1])), fc.constant(new Map([["a", 1]])), fc.constant(new Float64Array([1, 2])), fc.jsonValue()).map((v) => new Encoder({ useRecords: true }).encode({ rows: [{ x: v }] })),
      fc.date().map((v) => plainEncoder.encode({ rows: [{ x: v }] })),
    );
    fc.assert(
      fc.property(bytes, (b) => {
        const error = refusal(b);
        if (error) expect(error.status).toBe(400);
        else expect(isPlain(decodeBody("cbor", b))).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("answers", () => {
  const answer = { rows: [{ x: NaN, xs: [Infinity, 1.5, -Infinity], m: { a: { b: NaN } } }, null], errors: [] };

  it("write NaN and ±Infinity as null in JSON unless the caller asks for text, and as floats in CBOR", () => {
    expect(encodeBody("json", answer)).toBe('{"rows":[{"x":null,"xs":[null,1.5,null],"m":{"a":{"b":null}}},null],"errors":[]}');
    expect(encodeBody("json", answer, "null")).toBe(encodeBody("json", answer));
    expect(encodeBody("json", answer, "string")).toBe('{"rows":[{"x":"NaN","xs":["Infinity",1.5,"-Infinity"],"m":{"a":{"b":"NaN"}}},null],"errors":[]}');
    const cbor = bareAsCodec.decode(encodeBody("cbor", answer, "string") as Uint8Array) as typeof answer;
    expect(cbor.rows[0]).toEqual({ x: NaN, xs: [Infinity, 1.5, -Infinity], m: { a: { b: NaN } } });
  });

  it("leave the values they were given unchanged", () => {
    const copy = structuredClone(answer);
    encodeBody("json", answer, "string");
    expect(answer).toEqual(copy);
  });
});
