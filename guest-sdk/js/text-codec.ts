/** UTF-8 TextEncoder/TextDecoder for engines that lack them (QuickJS). */
export class TextEncoderPolyfill {
  readonly encoding = "utf-8";
  encode(input = ""): Uint8Array {
    const out: number[] = [];
    for (let i = 0; i < input.length; i++) {
      let c = input.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < input.length) {
        const d = input.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
        }
      }
      if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
      if (c < 0x80) out.push(c);
      else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
      else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    }
    return new Uint8Array(out);
  }
}

export class TextDecoderPolyfill {
  readonly encoding = "utf-8";
  decode(input?: ArrayBufferView | ArrayBuffer): string {
    if (!input) return "";
    const b = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    let out = "";
    for (let i = 0; i < b.length; ) {
      const c = b[i++];
      let cp = 0xfffd;
      const cont = (k: number) => i + k <= b.length && [...b.subarray(i, i + k)].every((x) => (x & 0xc0) === 0x80);
      if (c < 0x80) cp = c;
      else if (c >= 0xc2 && c < 0xe0 && cont(1)) cp = ((c & 31) << 6) | (b[i++] & 63);
      else if (c >= 0xe0 && c < 0xf0 && cont(2)) cp = ((c & 15) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63);
      else if (c >= 0xf0 && c < 0xf5 && cont(3)) cp = ((c & 7) << 18) | ((b[i++] & 63) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63);
      out += String.fromCodePoint(cp);
    }
    return out;
  }
}
