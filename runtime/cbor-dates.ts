/**
 * CBOR's two date tags as a request body decodes them: tag 0 (RFC 3339 text) and tag 1 (seconds since the
 * epoch, an integer or a float; plain-cbor.ts lets nothing else through them). Each becomes a TaggedDate: a Date,
 * so that a field other than a timestamp refuses it as "a date", which also keeps the microseconds a Date cannot
 * hold. cbor-x's own decoders would read tag 0 with Date.parse (text without a zone taken as local time, the
 * microseconds lost) and round tag 1 to the millisecond.
 */
import { addExtension } from "cbor-x";
import { instantOfDate, parseTimestamp, type Instant } from "./timestamp.ts";

export class TaggedDate extends Date {
  /** An invalid date (NaN) when what was sent is not a timestamp within years 0001-9999. */
  constructor(
    ms: number,
    private readonly micros: number,
  ) {
    super(ms);
  }

  /** The instant sent, to the microsecond; null when it is not one. */
  get instant(): Instant | null {
    const whole = instantOfDate(this);
    return whole && { ms: whole.ms, micros: this.micros };
  }
}

const invalid = () => new TaggedDate(NaN, 0);

export function dateOfText(text: string): TaggedDate {
  const instant = parseTimestamp(text);
  return instant ? new TaggedDate(instant.ms, instant.micros) : invalid();
}

/** Microseconds from the seconds where a double holds them exactly enough, milliseconds beyond (years past 2255). */
export function dateOfSeconds(seconds: number): TaggedDate {
  if (!Number.isFinite(seconds)) return invalid();
  const micros = Math.abs(seconds) < 2 ** 53 / 1e6 ? Math.round(seconds * 1e6) : Math.round(seconds * 1000) * 1000;
  const ms = Math.floor(micros / 1000);
  return new TaggedDate(ms, micros - ms * 1000);
}

// cbor-x's types ask every extension for a class to encode; these only decode. Its extensions are the process's
// own: the executor decodes request bodies only here.
type AnyExtension = Parameters<typeof addExtension>[0];
addExtension({ tag: 0, decode: (text: unknown) => (typeof text === "string" ? dateOfText(text) : invalid()) } as unknown as AnyExtension);
addExtension({ tag: 1, decode: (seconds: unknown) => (typeof seconds === "number" ? dateOfSeconds(seconds) : invalid()) } as unknown as AnyExtension);
