/**
 * The globals a transformation may use inside a component (see globals.ts):
 * what the deploy type-check allows beyond ES2022. Nothing that does I/O.
 */
declare var console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  time(label?: string): void;
  timeEnd(label?: string): void;
  timeLog(label?: string): void;
};
declare class TextEncoder {
  readonly encoding: string;
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  readonly encoding: string;
  decode(input?: ArrayBufferView | ArrayBuffer): string;
}
declare var crypto: { getRandomValues<T extends ArrayBufferView>(array: T): T };
declare var process: { env: Record<string, string | undefined> };
