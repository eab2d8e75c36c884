/**
 * `vial merge`: the outputs of `vial run --shard i/n`, all n of them, back
 * into the output one run over the whole input writes. Shard i holds the
 * rows whose index modulo n is i, in order, so the whole is read round-robin
 * (row g is the next row of shard g mod n); the errors files are merged by
 * row. The result has the same rows, row groups and metadata as an
 * unsharded run (for a batch function, its batches differed: so may its rows).
 */
import { createReadStream, existsSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { VialError } from "../builds/errors.ts";
import { formatOf } from "./formats/format.ts";
import { readOutput, textFile, writeOutput, type OutputRow } from "./formats/outputs.ts";
import { METADATA_KEY, VIAL_VERSION, readMetadata, writeSidecar, type RunMetadata } from "./metadata.ts";
import { parseShard } from "./plan.ts";
import type { RunRowError } from "./batch.ts";

export interface MergeOptions {
  parts: string[];
  output: string;
  errors?: string;
}

/** Rows of one output, one at a time, read a batch ahead. */
class Cursor<T> {
  private buffer: T[] = [];
  private at = 0;
  constructor(private readonly source: AsyncIterator<T[]>) {}
  async next(): Promise<{ value: T } | undefined> {
    while (this.at >= this.buffer.length) {
      const step = await this.source.next();
      if (step.done) return undefined;
      this.buffer = step.value;
      this.at = 0;
    }
    return { value: this.buffer[this.at++]! };
  }
}

/** The parts' metadata, checked to be the n shards of one run, in shard order. */
async function shardsOf(parts: string[]): Promise<Array<{ path: string; metadata: RunMetadata }>> {
  const read = await Promise.all(parts.map(async (part) => ({ path: resolve(part), metadata: await readMetadata(part, formatOf(part)) })));
  const first = read[0]!.metadata;
  const same = (m: RunMetadata) => JSON.stringify([m.env, m.function, m.version, m.input, m.output, m.batch, m.chunk]);
  for (const { path, metadata } of read) {
    if (!metadata.shard) throw new VialError(`${path} is the output of a whole run, not of a shard`);
    if (same(metadata) !== same(first)) throw new VialError(`${path} comes from another run than ${read[0]!.path} (function, version, input, format, batch or chunk differ)`);
  }
  const count = parseShard(first.shard!).count;
  const byIndex = new Map(read.map((r) => [parseShard(r.metadata.shard!).index, r]));
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (read.length !== count || missing.length) throw new VialError(`the parts must be the ${count} shards of one run, each once: missing ${missing.map((i) => `${i}/${count}`).join(", ") || "none"}, given ${read.length}`);
  return Array.from({ length: count }, (_, i) => byIndex.get(i)!);
}

async function* interleave(cursors: Array<Cursor<OutputRow>>, groupRows: number): AsyncGenerator<OutputRow[]> {
  let group: OutputRow[] = [];
  for (let g = 0; ; g++) {
    const next = await cursors[g % cursors.length]!.next();
    if (!next) {
      for (const [i, cursor] of cursors.entries()) if (await cursor.next()) throw new VialError(`the shards do not fit together: shard ${g % cursors.length} ends at row ${g} but shard ${i} has more rows`);
      break;
    }
    group.push(next.value);
    if (group.length === groupRows) {
      yield group;
      group = [];
    }
  }
  if (group.length) yield group;
}

async function* errorLines(path: string): AsyncGenerator<RunRowError[]> {
  if (!existsSync(path)) throw new VialError(`the errors file of a shard, ${path}, is missing`);
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) if (line) yield [JSON.parse(line) as RunRowError];
}

/** The shards' errors, by row. */
async function mergeErrors(paths: string[], target: string): Promise<void> {
  const cursors = paths.map((p) => new Cursor(errorLines(p)));
  const heads = await Promise.all(cursors.map((c) => c.next()));
  const out = await textFile(target);
  try {
    for (;;) {
      let min = -1;
      heads.forEach((head, i) => head && (min < 0 || head.value.row < heads[min]!.value.row) && (min = i));
      if (min < 0) break;
      await out.write(JSON.stringify(heads[min]!.value) + "\n");
      heads[min] = await cursors[min]!.next();
    }
  } finally {
    await out.close();
  }
}

export async function mergeShards(opts: MergeOptions): Promise<RunMetadata> {
  if (opts.parts.length === 0) throw new VialError("name the shards' outputs to merge");
  const shards = await shardsOf(opts.parts);
  const first = shards[0]!.metadata;
  const output = resolve(opts.output);
  if (formatOf(output) !== first.output.format) throw new VialError(`the shards are ${first.output.format}: name the merged output accordingly (--output ….${first.output.format})`);
  const errors = resolve(opts.errors ?? `${opts.output}.errors.ndjson`);
  const metadata: RunMetadata = {
    ...first,
    errors,
    rows: shards.reduce((n, s) => n + s.metadata.rows, 0),
    failed: shards.reduce((n, s) => n + s.metadata.failed, 0),
    shard: null,
    vial: VIAL_VERSION,
  };
  const outputTemp = `${output}.tmp-${process.pid}`;
  const errorsTemp = `${errors}.tmp-${process.pid}`;
  try {
    await mergeErrors(
      shards.map((s) => s.metadata.errors),
      errorsTemp,
    );
    const cursors = shards.map((s) => new Cursor(readOutput(first.output.format, s.path, first.output.outputs)));
    const spec = { format: first.output.format, path: outputTemp, fields: first.output.outputs, keyValues: { [METADATA_KEY]: JSON.stringify(metadata) }, createdBy: `vial ${VIAL_VERSION}` };
    await writeOutput(spec, interleave(cursors, first.chunk));
    await rename(errorsTemp, errors);
    if (first.output.format !== "parquet") await writeSidecar(output, metadata);
    await rename(outputTemp, output);
  } finally {
    await Promise.all([outputTemp, errorsTemp].map((f) => rm(f, { force: true })));
  }
  return metadata;
}
