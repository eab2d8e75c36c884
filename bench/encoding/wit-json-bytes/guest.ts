import { touch, type Row } from "../row.ts";
import { TextDecoderPolyfill, TextEncoderPolyfill } from "../../../guest-sdk/js/text-codec.ts";

// QuickJS has no TextDecoder: a vial guest gets the SDK's polyfill, so does this one.
const decoder = new ((globalThis as any).TextDecoder ?? TextDecoderPolyfill)();
const encoder = new ((globalThis as any).TextEncoder ?? TextEncoderPolyfill)();

export function call(batch: Uint8Array): Uint8Array {
  const rows = JSON.parse(decoder.decode(batch)) as Row[];
  return encoder.encode(JSON.stringify(rows.map(touch)));
}
