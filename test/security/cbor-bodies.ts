/**
 * CBOR request bodies written byte by byte, as a hostile client would: bodies
 * that cbor-x alone decodes into far more than they hold (value sharing,
 * packed values, records), and the pieces to build others. Shared by the
 * codec's unit tests and the decoding tests through a real host.
 */

/** An item's head: major type and argument, in the shortest form. */
export function head(major: number, n: number): number[] {
  const m = major << 5;
  if (n < 24) return [m | n];
  if (n < 2 ** 8) return [m | 24, n];
  if (n < 2 ** 16) return [m | 25, n >> 8, n & 0xff];
  return [m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export const text = (s: string): number[] => {
  const bytes = [...Buffer.from(s)];
  return [...head(3, bytes.length), ...bytes];
};
export const tag = (n: number): number[] => head(6, n);
export const array = (n: number): number[] => head(4, n);
export const map = (n: number): number[] => head(5, n);

/** `{"rows": <rows>}` around an encoded array of rows. */
export const body = (rows: number[]): Uint8Array => new Uint8Array([...map(1), ...text("rows"), ...rows]);

export const FLOAT16_ONE = [0xf9, 0x3c, 0x00];
export const NAN = [0xf9, 0x7e, 0x00];
export const INFINITY = [0xf9, 0x7c, 0x00];
export const MINUS_INFINITY = [0xf9, 0xfc, 0x00];
export const UNDEFINED = [0xf7];

/**
 * About `bytes` of `{"rows": [...]}` for a function taking `x: float64` and
 * `xs: array<float64>`: the first row shares (tag 28) an array of 40,000
 * floats, every other row refers to it (tag 29, 3 bytes). Each row is valid
 * for the schema; decoded, every row holds the whole array.
 */
export function valueSharingBomb(bytes: number): Uint8Array {
  const floats = 40_000;
  const first = [...map(2), ...text("x"), ...FLOAT16_ONE, ...text("xs"), ...tag(28), ...array(floats), ...Array(floats).fill(FLOAT16_ONE).flat()];
  const ref = [...map(2), ...text("x"), ...FLOAT16_ONE, ...text("xs"), ...tag(29), 0x00];
  const refs = Math.max(1, Math.floor((bytes - first.length - 16) / ref.length));
  const out = new Uint8Array(16 + first.length + refs * ref.length);
  const start = [...map(1), ...text("rows"), ...array(refs + 1), ...first];
  out.set(start);
  for (let i = 0, at = start.length; i < refs; i++, at += ref.length) out.set(ref, at);
  return out.subarray(0, start.length + refs * ref.length);
}

const KILOBYTE_STRING = "k".repeat(1000);

/** Small bodies that cbor-x decodes into a thousand times their size, each by another of its extensions. */
export const EXPANDING: Array<{ name: string; tag: number; body: Uint8Array }> = [
  {
    name: "value sharing",
    tag: 28,
    // [28("k" x 1000), 29(0), 29(0), ...]
    body: body([...array(1001), ...tag(28), ...text(KILOBYTE_STRING), ...Array(1000).fill([...tag(29), 0x00]).flat()]),
  },
  {
    name: "packed values",
    tag: 51,
    // 51([["k" x 1000], [], [], [simple(0) x 1000]]): each simple value 0 stands for the packed string.
    body: body([...tag(51), ...array(4), ...array(1), ...text(KILOBYTE_STRING), ...array(0), ...array(0), ...array(1000), ...Array(1000).fill(0xe0)]),
  },
  {
    name: "cbor-x record: encode with useRecords false",
    tag: 0xdfff,
    // [57343([57344, ["k" x 1000], 1]), 57344([1]) x 1000]: a record's keys are written once, used by every later record.
    body: body([
      ...array(1001),
      ...tag(0xdfff), ...array(3), ...head(0, 0xe000), ...array(1), ...text(KILOBYTE_STRING), 0x01,
      ...Array(1000).fill([...tag(0xe000), ...array(1), 0x01]).flat(),
    ]),
  },
];
