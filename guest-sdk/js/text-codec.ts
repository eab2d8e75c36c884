/**
 * UTF-8 TextEncoder/TextDecoder for engines that lack them (QuickJS), following
 * the WHATWG Encoding standard: invalid input becomes U+FFFD per maximal
 * subpart (the same strings V8 and SpiderMonkey produce), or a TypeError with
 * `fatal`; a leading BOM is dropped unless `ignoreBOM`; `stream` keeps a split
 * sequence for the next call.
 */
const UTF8_LABELS = new Set(["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"]);

export class TextEncoderPolyfill {
  readonly encoding = "utf-8";

  encode(input = ""): Uint8Array {
    const out = new Uint8Array(input.length * 3);
    return out.slice(0, this.encodeInto(String(input), out).written);
  }

  /** Lone surrogates become U+FFFD; stops before a character that does not fit. */
  encodeInto(input: string, dest: Uint8Array): { read: number; written: number } {
    let read = 0;
    let written = 0;
    while (read < input.length) {
      let c = input.charCodeAt(read);
      let units = 1;
      if (c >= 0xd800 && c <= 0xdbff && read + 1 < input.length) {
        const d = input.charCodeAt(read + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          units = 2;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
      const size = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
      if (written + size > dest.length) break;
      if (size === 1) dest[written] = c;
      else if (size === 2) dest.set([0xc0 | (c >> 6), 0x80 | (c & 63)], written);
      else if (size === 3) dest.set([0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)], written);
      else dest.set([0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63)], written);
      written += size;
      read += units;
    }
    return { read, written };
  }
}

export class TextDecoderPolyfill {
  readonly encoding = "utf-8";
  readonly fatal: boolean;
  readonly ignoreBOM: boolean;
  // Decoder state between `stream` calls: the sequence in progress.
  private needed = 0;
  private seen = 0;
  private cp = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private bomChecked = false;

  constructor(label = "utf-8", options: { fatal?: boolean; ignoreBOM?: boolean } = {}) {
    if (!UTF8_LABELS.has(String(label).trim().toLowerCase())) {
      throw new RangeError(`TextDecoder: encoding '${label}' is not supported here (only utf-8)`);
    }
    this.fatal = Boolean(options.fatal);
    this.ignoreBOM = Boolean(options.ignoreBOM);
  }

  decode(input?: ArrayBufferView | ArrayBuffer, options: { stream?: boolean } = {}): string {
    const b = input === undefined ? new Uint8Array(0) : ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
    const units: number[] = [];
    let out = "";
    const emit = (cp: number) => {
      if (cp > 0xffff) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
      else units.push(cp);
      if (units.length > 8192) out += flush();
    };
    const flush = () => {
      const s = String.fromCharCode.apply(null, units);
      units.length = 0;
      return s;
    };
    const error = () => {
      this.reset();
      if (this.fatal) throw new TypeError("The encoded data was not valid utf-8");
      emit(0xfffd);
    };
    for (let i = 0; i < b.length; i++) {
      const byte = b[i];
      if (this.needed === 0) {
        if (byte < 0x80) emit(byte);
        else if (byte >= 0xc2 && byte <= 0xdf) this.start(1, byte & 0x1f);
        else if (byte >= 0xe0 && byte <= 0xef) {
          this.start(2, byte & 0xf);
          if (byte === 0xe0) this.lower = 0xa0; // overlong
          if (byte === 0xed) this.upper = 0x9f; // surrogates
        } else if (byte >= 0xf0 && byte <= 0xf4) {
          this.start(3, byte & 0x7);
          if (byte === 0xf0) this.lower = 0x90; // overlong
          if (byte === 0xf4) this.upper = 0x8f; // beyond U+10FFFF
        } else error();
        continue;
      }
      if (byte < this.lower || byte > this.upper) {
        error();
        i--; // this byte may start the next sequence
        continue;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      this.cp = (this.cp << 6) | (byte & 0x3f);
      if (++this.seen === this.needed) {
        emit(this.cp);
        this.reset();
      }
    }
    if (!options.stream && this.needed !== 0) error();
    out += flush();
    if (!this.bomChecked && out.length > 0) {
      this.bomChecked = true;
      if (!this.ignoreBOM && out.charCodeAt(0) === 0xfeff) out = out.slice(1);
    }
    if (!options.stream) this.bomChecked = false;
    return out;
  }

  private start(needed: number, bits: number): void {
    this.needed = needed;
    this.seen = 0;
    this.cp = bits;
  }

  private reset(): void {
    this.needed = this.seen = this.cp = 0;
    this.lower = 0x80;
    this.upper = 0xbf;
  }
}
