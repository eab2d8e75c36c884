/**
 * Whether a batch's per-row errors say a row ran out of memory, in the words
 * its engine uses for that. Only the errors list is read, never row data. An
 * instance whose rows hit its memory limit is replaced like one that trapped:
 * it is full, or fragmented, and the next call would fail too.
 */
export function rowRanOutOfMemory(envelope: string, words: RegExp): boolean {
  if (!words.test(envelope)) return false;
  const { errors } = JSON.parse(envelope) as { errors?: Array<{ error?: unknown }> };
  return !!errors?.some((e) => typeof e.error === "string" && words.test(e.error));
}
