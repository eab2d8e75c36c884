/**
 * Where a run keeps its work until the output is whole: `<output>.partial/`,
 * beside the output (same file system, so the output appears by one rename).
 *
 *   run.json          what the run is (input, function, version, batch, chunk, shard): a resume must match it
 *   checkpoint.json   the segments written whole, with their row and error counts
 *   000000.ndjson     a segment's output rows, as the host answers them, one per line
 *   000000.errors     its failed rows, one JSON object per line
 *
 * A segment is written under a temporary name, synced and renamed, and only
 * then listed in checkpoint.json (itself replaced atomically): whatever kills
 * a run, the checkpoint names whole segments only.
 */
import { mkdir, readFile, rm, rename } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { VialError } from "../builds/errors.ts";
import { writeAtomically } from "../builds/store.ts";

export interface RunIdentity {
  input: { path: string; bytes: number; modifiedMs: number; format: string };
  output: { format: string };
  env: string;
  function: string;
  version: string;
  batch: number;
  chunk: number;
  shard: string | null;
}

export interface SegmentCounts {
  rows: number;
  failed: number;
}

const describe = (key: string, value: unknown) => `${key} ${JSON.stringify(value)}`;

/** The first way `wanted` differs from the interrupted run's identity, in words. */
function difference(had: RunIdentity, wanted: RunIdentity): string | undefined {
  const flat = (id: RunIdentity): Record<string, unknown> => ({
    "input file": id.input.path,
    "input size": id.input.bytes,
    "input modification time": id.input.modifiedMs,
    "input format": id.input.format,
    "output format": id.output.format,
    environment: id.env,
    function: id.function,
    version: id.version,
    "--batch": id.batch,
    "--chunk": id.chunk,
    "--shard": id.shard,
  });
  const a = flat(had);
  const b = flat(wanted);
  const key = Object.keys(a).find((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
  return key && `the interrupted run had ${describe(key, a[key])}, this one ${describe(key, b[key])}`;
}

export class RunFolder {
  private constructor(
    readonly dir: string,
    readonly segments: SegmentCounts[],
  ) {}

  static pathFor(output: string): string {
    return `${output}.partial`;
  }

  /** What an interrupted run into `output` was, if one left its folder. */
  static async interrupted(output: string): Promise<RunIdentity | undefined> {
    const file = join(RunFolder.pathFor(output), "run.json");
    return existsSync(file) ? (JSON.parse(await readFile(file, "utf8")) as RunIdentity) : undefined;
  }

  /** Starts a run's folder, or takes up an interrupted one (`resume`) that is the same run. */
  static async open(output: string, identity: RunIdentity, resume: boolean): Promise<RunFolder> {
    const dir = RunFolder.pathFor(output);
    const had = await RunFolder.interrupted(output);
    if (had && !resume) throw new VialError(`an interrupted run left ${dir}: continue it with --resume, or delete that folder to start over`);
    if (had) {
      const differs = difference(had, identity);
      if (differs) throw new VialError(`cannot resume into ${output}: ${differs} (run it as before, or delete ${dir} to start over)`);
      const checkpoint = join(dir, "checkpoint.json");
      const segments = existsSync(checkpoint) ? (JSON.parse(await readFile(checkpoint, "utf8")) as { segments: SegmentCounts[] }).segments : [];
      return new RunFolder(dir, segments);
    }
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeAtomically(join(dir, "run.json"), JSON.stringify(identity, null, 2));
    return new RunFolder(dir, []);
  }

  rowsFile(segment: number): string {
    return join(this.dir, `${String(segment).padStart(6, "0")}.ndjson`);
  }

  errorsFile(segment: number): string {
    return join(this.dir, `${String(segment).padStart(6, "0")}.errors`);
  }

  /** Publishes segment `segment` (its files written whole under `.tmp` names) and records it. */
  async commit(segment: number, counts: SegmentCounts): Promise<void> {
    if (segment !== this.segments.length) throw new Error(`segment ${segment} committed out of order (have ${this.segments.length})`);
    await rename(`${this.errorsFile(segment)}.tmp`, this.errorsFile(segment));
    await rename(`${this.rowsFile(segment)}.tmp`, this.rowsFile(segment));
    this.segments.push(counts);
    await writeAtomically(join(this.dir, "checkpoint.json"), JSON.stringify({ segments: this.segments }));
  }

  totals(): SegmentCounts {
    return this.segments.reduce((sum, s) => ({ rows: sum.rows + s.rows, failed: sum.failed + s.failed }), { rows: 0, failed: 0 });
  }

  remove(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}
