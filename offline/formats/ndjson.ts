/**
 * NDJSON in: one row per line, passed on as the line's own text (the
 * executor parses it, as it parses a request body); blank lines are skipped
 * but counted, so line numbers stay those of the file.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { InputRow, InputSource, Selection } from "./format.ts";

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const READ_CHUNK_BYTES = 1 << 20;

/** True when the bytes [start, end) hold only spaces, tabs and carriage returns. */
function blank(buffer: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const byte = buffer[i]!;
    if (byte !== 0x20 && byte !== 0x09 && byte !== CARRIAGE_RETURN) return false;
  }
  return true;
}

export async function readNdjson(path: string, selection: Selection): Promise<InputSource> {
  const total = (await stat(path)).size;
  const stream = createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  async function* chunks(): AsyncGenerator<InputRow[]> {
    let rest: Buffer = Buffer.alloc(0);
    let line = 0;
    let index = 0;
    const take = (buffer: Buffer, start: number, end: number, out: InputRow[]) => {
      line++;
      if (blank(buffer, start, end)) return;
      const i = index++;
      if (i < selection.fromIndex || !selection.select(i)) return;
      let stop = end;
      if (stop > start && buffer[stop - 1] === CARRIAGE_RETURN) stop--;
      let json = buffer.toString("utf8", start, stop);
      if (line === 1 && json.charCodeAt(0) === 0xfeff) json = json.slice(1);
      out.push({ index: i, line, json });
    };
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const buffer = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      const out: InputRow[] = [];
      let start = 0;
      for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
        take(buffer, start, end, out);
        start = end + 1;
      }
      rest = buffer.subarray(start);
      if (out.length) yield out;
    }
    if (rest.length) {
      const out: InputRow[] = [];
      take(rest, 0, rest.length, out);
      if (out.length) yield out;
    }
  }
  return { chunks: chunks(), position: () => ({ done: stream.bytesRead, total }) };
}
