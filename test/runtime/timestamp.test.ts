/**
 * Timestamps read and written by arithmetic, against what JS's own Date makes of the same instants (proleptic
 * Gregorian, years 0001-9999), on pure inputs: every day of the edge years, and random instants across the range.
 */
import { describe, expect, it } from "vitest";
import { formatTimestamp, isCanonicalTimestamp, parseTimestamp } from "../../runtime/timestamp.ts";
import { random } from "../offline/helpers.ts";

/** Date's reading of an instant, to the millisecond, with the microseconds added: the reference. */
function dateText(ms: number, micros: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}${String(micros).padStart(3, "0")}Z`;
}

/** Date's milliseconds for a year 0001-9999 (Date.UTC would read years 0-99 as 1900-1999). */
function dateMs(year: number, month: number, day: number, h: number, mi: number, s: number): number {
  const date = new Date(Date.UTC(2000, month - 1, day, h, mi, s));
  date.setUTCFullYear(year);
  return date.getTime();
}

const FIRST = dateMs(1, 1, 1, 0, 0, 0);
const LAST = dateMs(9999, 12, 31, 23, 59, 59) + 999;
const pad = (n: number, width: number) => String(n).padStart(width, "0");

describe("timestamps", () => {
  it("write every instant as Date reads it, and read their own text back", () => {
    const r = random(11);
    const instants: Array<{ ms: number; micros: number }> = [];
    for (const year of [1, 4, 100, 1600, 1900, 1969, 1970, 2000, 2024, 9999]) {
      for (let day = 0; day < 366; day++) instants.push({ ms: dateMs(year, 1, 1, 0, 0, 0) + day * 86_400_000 + Math.floor(r() * 86_400_000), micros: Math.floor(r() * 1000) });
    }
    for (let i = 0; i < 20_000; i++) instants.push({ ms: FIRST + Math.floor(r() * (LAST - FIRST)), micros: Math.floor(r() * 1000) });
    for (const instant of instants) {
      if (instant.ms > LAST) continue;
      const text = formatTimestamp(instant);
      expect(text).toBe(dateText(instant.ms, instant.micros));
      expect(isCanonicalTimestamp(text)).toBe(true);
      expect(parseTimestamp(text)).toEqual(instant);
    }
  });

  it("read dates and offsets as Date does, and refuse dates that do not exist", () => {
    const r = random(12);
    for (let i = 0; i < 20_000; i++) {
      const [year, month, day] = [1 + Math.floor(r() * 9999), 1 + Math.floor(r() * 12), 1 + Math.floor(r() * 31)];
      const [h, mi, s] = [Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 60)];
      const offset = Math.floor(r() * 24 * 60) - 12 * 60;
      const zone = offset === 0 ? "Z" : `${offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
      const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}.5${zone}`;
      const local = dateMs(year, month, day, h, mi, s);
      const exists = new Date(local).getUTCDate() === day;
      const ms = local - offset * 60_000 + 500;
      const expected = exists && ms >= FIRST && ms <= LAST ? { ms, micros: 0 } : null;
      expect(parseTimestamp(text), text).toEqual(expected);
    }
    expect(parseTimestamp("2024-02-29T00:00:00Z")).not.toBeNull();
    expect(parseTimestamp("2023-02-29T00:00:00Z")).toBeNull();
    expect(parseTimestamp("1900-02-29T00:00:00Z")).toBeNull();
    expect(parseTimestamp("2000-02-29T00:00:00Z")).not.toBeNull();
    expect(parseTimestamp("0000-12-31T23:00:00-02:00")).toEqual({ ms: FIRST + 3_600_000, micros: 0 });
    expect(parseTimestamp("2026-12-31T23:59:60Z")).toEqual({ ms: dateMs(2027, 1, 1, 0, 0, 0), micros: 0 });
  });

  it("say text is canonical only when it is what they would write", () => {
    const r = random(13);
    const digit = () => String(Math.floor(r() * 10));
    const digits = (n: number, first = digit) => first() + Array.from({ length: n - 1 }, digit).join("");
    for (let i = 0; i < 20_000; i++) {
      const low = (top: number) => () => String(Math.floor(r() * top));
      const text = `${digits(4)}-${digits(2, low(2))}-${digits(2, low(4))}T${digits(2, low(3))}:${digits(2, low(7))}:${digits(2, low(7))}.${digits(6)}Z`;
      const read = parseTimestamp(text);
      expect(isCanonicalTimestamp(text), text).toBe(read !== null && formatTimestamp(read) === text);
    }
    for (const text of ["2026-12-06T20:34:49.123456Z", "0001-01-01T00:00:00.000000Z", "9999-12-31T23:59:59.999999Z", "2024-02-29T12:00:00.000000Z"]) {
      expect(isCanonicalTimestamp(text), text).toBe(true);
    }
    for (const text of [
      "2026-12-06T20:34:49.123456z",
      "2026-12-06t20:34:49.123456Z",
      "2026-12-06T20:34:49.12345Z",
      "2026-12-06T20:34:49.123456+00:00",
      "0000-12-06T20:34:49.123456Z",
      "2023-02-29T00:00:00.000000Z",
      "2026-13-06T20:34:49.123456Z",
      "2026-12-06T24:00:00.000000Z",
      "2026-12-06T20:60:00.000000Z",
      "2026-12-06T20:34:60.000000Z",
      "２026-12-06T20:34:49.123456Z",
    ]) {
      expect(isCanonicalTimestamp(text), text).toBe(false);
    }
  });
});
