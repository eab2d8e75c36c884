/**
 * A shadow version's answers compared with the current version's (executor/shadow.ts), on pure inputs: nested
 * values, bytes, NaN and ±Infinity compare as the current version's caller saw them, whichever format carried the
 * current answer, and samples hold them in one form.
 */
import { describe, expect, it } from "vitest";
import { compareAnswers } from "../../executor/shadow.ts";
import { decodeBody, encodeBody } from "../../runtime/codec.ts";
import { dateOfText } from "../../runtime/cbor-dates.ts";

/** The shadow's own answer, as runCall gives it for values: NaN as a number, bytes as base64, timestamps as text. */
const shadowRow = {
  ratio: NaN,
  at: "2026-12-06T20:34:49.123456Z",
  summary: { counts: { a: [1, -0, Infinity] }, raw: "AQI=" },
};

/** The current version's answer as it went to its caller, decoded: how a comparison receives it. */
const sent = (format: "json" | "cbor", row: unknown, nonFinite: "null" | "string" = "null", binary?: unknown) => {
  const body = encodeBody(format, { rows: [binary ?? row], errors: [] }, nonFinite);
  return decodeBody(format, typeof body === "string" ? Buffer.from(body) : body) as { rows: unknown[]; errors: [] };
};

describe("shadow comparisons", () => {
  it("match the same nested answer in JSON (NaN written as null or as text) and in CBOR (bytes as byte strings)", () => {
    const binary = { ...shadowRow, summary: { ...shadowRow.summary, raw: new Uint8Array([1, 2]) } };
    const cases: Array<[ReturnType<typeof sent>, boolean]> = [
      [sent("json", shadowRow), true],
      [sent("json", shadowRow, "string"), false],
      [sent("cbor", shadowRow, "null", binary), false],
      [{ rows: [shadowRow], errors: [] }, false],
    ];
    for (const [current, nonFiniteAsNull] of cases) {
      expect(compareAnswers([{}], current, { rows: [shadowRow], errors: [] }, nonFiniteAsNull)).toMatchObject({ compared: 1, matched: 1, mismatched: 0 });
    }
  });

  it("tell a different nested value apart, and keep samples in one form", () => {
    const other = { ...shadowRow, summary: { ...shadowRow.summary, counts: { a: [1, 0, -Infinity] } } };
    const input = { at: dateOfText("2026-12-06T21:34:49.123456+01:00"), raw: new Uint8Array([3]), x: NaN };
    const comparison = compareAnswers([input], sent("json", shadowRow, "string"), { rows: [other], errors: [] });
    expect(comparison).toMatchObject({ compared: 1, matched: 0, mismatched: 1 });
    expect(comparison.samples[0]).toEqual({
      input: { at: "2026-12-06T20:34:49.123456Z", raw: "Aw==", x: "NaN" },
      current: { ...shadowRow, ratio: "NaN", summary: { ...shadowRow.summary, counts: { a: [1, 0, "Infinity"] } } },
      shadow: { ...shadowRow, ratio: "NaN", summary: { ...shadowRow.summary, counts: { a: [1, 0, "-Infinity"] } } },
    });
  });
});
