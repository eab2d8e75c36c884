/**
 * Bounds on what a guest produces besides its result rows: error messages and log lines. The SDKs keep to
 * them already, but a guest need not use an SDK, so trusted code applies them to whatever comes back, before
 * it leaves the executor: nothing a guest says can grow the host's memory or its logs past these.
 */

/** A batch error (the guest's `err`, a trap's message) is cut to this many characters. */
export const MAX_ERROR_CHARS = 4096;
/** A row's error is cut to this many characters. */
export const MAX_ROW_ERROR_CHARS = 1024;
/** A call keeps this many log lines, each cut to MAX_LOG_LINE_CHARS; a last line says how many were dropped. */
export const MAX_LOG_LINES = 100;
export const MAX_LOG_LINE_CHARS = 1024;
/**
 * A guest's error longer than this is not even copied out of its isolate or thread: a guest could otherwise
 * make the executor hold a string as large as its own memory limit.
 */
export const MAX_ERROR_COPY_CHARS = 64 * 1024;

/** `text` cut to `max` characters, saying so; never splits a surrogate pair. */
export function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max - (/[\ud800-\udbff]/.test(text[max - 1]!) ? 1 : 0);
  return `${text.slice(0, end)}… (cut: ${text.length} characters in all)`;
}

/** What is said in place of an error message too long to copy. */
export const errorTooLong = (chars: number): string =>
  `(an error message of ${chars} characters, over the ${MAX_ERROR_COPY_CHARS}-character limit: not kept)`;

/** A guest's log lines as they may leave the executor: strings only, bounded in count and length. */
export function boundedLogs(logs: unknown): string[] | undefined {
  if (!Array.isArray(logs) || logs.length === 0) return undefined;
  const kept: string[] = [];
  for (let i = 0; i < logs.length && kept.length < MAX_LOG_LINES; i++) {
    const line = logs[i];
    kept.push(cut(typeof line === "string" ? line : typeof line, MAX_LOG_LINE_CHARS));
  }
  if (logs.length > MAX_LOG_LINES) kept.push(`… ${logs.length - MAX_LOG_LINES} more log lines dropped (at most ${MAX_LOG_LINES} a call)`);
  return kept;
}
