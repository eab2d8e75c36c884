/**
 * Timestamps on the wire: RFC 3339 text with a time zone, read into one canonical form, UTC with microseconds
 * (`2026-12-06T20:34:49.123456Z`), which is what the host passes on and answers. Shared by the guest SDK (a JS
 * function gets a Date) and the executor (which checks and normalises what callers and guests send). Plain
 * arithmetic only: no Intl, and nothing that reads the clock.
 */

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;
const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** Milliseconds since the epoch of year `y` (0001-9999), month, day…: Date.UTC would read years 0-99 as 1900-1999. */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y);
  return date.getTime();
}

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
  let ms = utc(year, month, day, hour, minute, Math.min(second, 59));
  // A date that does not exist (February 30) comes out in another month.
  if (new Date(ms).getUTCDate() !== day) return null;
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
  const date = new Date(ms);
  return (
    `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}` +
    `T${pad(date.getUTCHours(), 2)}:${pad(date.getUTCMinutes(), 2)}:${pad(date.getUTCSeconds(), 2)}` +
    `.${pad(date.getUTCMilliseconds(), 3)}${pad(micros, 3)}Z`
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
  const instant = text.length === 27 ? parseTimestamp(text) : null;
  return instant !== null && formatTimestamp(instant) === text;
}
