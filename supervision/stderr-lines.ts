/**
 * An executor's stderr, read as lines a bounded amount at a time: a line is cut at MAX_LINE_BYTES (the rest of
 * it skipped up to its newline) and lines past a rate are dropped, with a count of them in the next line passed
 * on. An executor is not trusted: it could write one endless line, or lines faster than the host can log them.
 */
import type { Readable } from "node:stream";
import { TokenBucket } from "./token-bucket.ts";

export const MAX_LINE_BYTES = 4096;
const LINES_PER_SECOND = 20;
const BURST = 100;
const NEWLINE = 0x0a;

export function readStderrLines(stream: Readable, onLine: (line: string) => void): void {
  const bucket = new TokenBucket(LINES_PER_SECOND, BURST);
  let line: Buffer[] = [];
  let bytes = 0;
  let cut = false;
  const end = () => {
    const text = Buffer.concat(line).toString("utf8").trimEnd();
    line = [];
    bytes = 0;
    const wasCut = cut;
    cut = false;
    if (!text || !bucket.take()) return;
    const dropped = bucket.drained();
    onLine(`${dropped ? `(${dropped} lines dropped: over ${LINES_PER_SECOND} a second) ` : ""}${text}${wasCut ? " … (line cut)" : ""}`);
  };
  stream.on("data", (chunk: Buffer) => {
    let from = 0;
    while (from < chunk.byteLength) {
      const newline = chunk.indexOf(NEWLINE, from);
      const to = newline === -1 ? chunk.byteLength : newline;
      const room = MAX_LINE_BYTES - bytes;
      if (to - from > room) cut = true;
      if (room > 0) {
        const piece = chunk.subarray(from, from + Math.min(room, to - from));
        line.push(Buffer.from(piece));
        bytes += piece.byteLength;
      }
      if (newline === -1) break;
      end();
      from = newline + 1;
    }
  });
  stream.on("end", () => bytes > 0 && end());
}
