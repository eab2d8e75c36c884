/**
 * Timestamps on the wire: RFC 3339 text with a time zone, read into one canonical form, UTC with microseconds
 * (`2026-12-06T20:34:49.123456Z`), which is what the host passes on and answers. Shared by the guest SDK (a JS
 * function gets a Date) and the executor (which checks and normalises what callers and guests send). Plain
 * arithmetic only: no Intl, and nothing that reads the clock.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const pad = (n: number, width: number) => String(n).padStart(width, "0");

const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a date of the proleptic Gregorian calendar (civil days, by 400-year eras). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  return era * 146_097 + yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear - 719_468;
}

/** The date of a day since 1970-01-01 (the inverse of daysFromCivil). */
function civilFromDays(days: number): [year: number, month: number, day: number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const mp = Math.floor((5 * dayOfYear + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, dayOfYear - Math.floor((153 * mp + 2) / 5) + 1];
}

/** Milliseconds since the epoch of year `y` (0001-9999), month, day…, by arithmetic (rows carry timestamps by the thousand). */
const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number): number => daysFromCivil(y, mo, d) * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000;

/** A timestamp as the executor passes it on: whole milliseconds since the epoch, and the microseconds beyond them. */
export interface Instant {
  ms: number;
  micros: number;
}

/** Reads RFC 3339 text; returns null when it is not one (a zone is required) or is out of the years 0001-9999. */
export function parseTimestamp(text: string): Instant | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s, fraction = "", , sign, oh, om] = m;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  // A date that does not exist (February 30).
  if (day > daysIn(year, month)) return null;
  let ms = utc(year, month, day, hour, minute, Math.min(second, 59));
  if (second === 60) ms += 1000; // a leap second is read as the next second, as Python's datetime cannot hold it
  if (sign) ms -= (sign === "+" ? 1 : -1) * (Number(oh) * 60 + Number(om)) * 60_000;
  const digits = (fraction + "000000").slice(0, 6);
  ms += Number(digits.slice(0, 3));
  const instant = { ms, micros: Number(digits.slice(3)) };
  return inRange(instant) ? instant : null;
}

/** Years 0001-9999, as Python's datetime holds them. */
const FIRST = utc(1, 1, 1, 0, 0, 0);
const LAST = utc(9999, 12, 31, 23, 59, 59) + 999;
const inRange = ({ ms }: Instant) => ms >= FIRST && ms <= LAST;

/** The canonical text of an instant: UTC, microseconds, `Z`. */
export function formatTimestamp({ ms, micros }: Instant): string {
  const days = Math.floor(ms / MS_PER_DAY);
  const [year, month, day] = civilFromDays(days);
  const inDay = ms - days * MS_PER_DAY;
  const seconds = Math.floor(inDay / 1000);
  return (
    `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` +
    `T${pad(Math.floor(seconds / 3600), 2)}:${pad(Math.floor(seconds / 60) % 60, 2)}:${pad(seconds % 60, 2)}` +
    `.${pad(inDay % 1000, 3)}${pad(micros, 3)}Z`
  );
}

/** An instant from a Date (a JS guest's value, or what a CBOR tag 1 decodes to); null for an invalid or out-of-range Date. */
export function instantOfDate(date: Date): Instant | null {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) return null;
  const instant = { ms: Math.floor(ms), micros: Math.round((ms - Math.floor(ms)) * 1000) % 1000 };
  return inRange(instant) ? instant : null;
}

/** Whether `text` is already in the canonical form (what every timestamp is once the executor has read it). */
export function isCanonicalTimestamp(text: string): boolean {
  // Checked in place, character by character: rows carry timestamps by the thousand, and reading and writing
  // one again to compare cost a microsecond each. Canonical text never holds a leap second (it is read as the next).
  if (text.length !== 27 || !CANONICAL_SHAPE.test(text)) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysIn(year, month) && digitsAt(text, 11, 2) <= 23 && digitsAt(text, 14, 2) <= 59 && digitsAt(text, 17, 2) <= 59;
}

const CANONICAL_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digitsAt(text: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) n = n * 10 + text.charCodeAt(i) - 48;
  return n;
}

/** Days in a month of the proleptic Gregorian calendar (as Date and Python's datetime count them). */
const daysIn = (year: number, month: number): number => (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : DAYS[month - 1]!);
