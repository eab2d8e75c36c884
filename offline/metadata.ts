/**
 * What an output was made from, kept with it: in a Parquet file's key-value
 * metadata (key "vial"), beside an NDJSON or CSV file in `<output>.meta.json`.
 * No timestamps: an interrupted run that is resumed writes the same bytes as
 * one that never stopped.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FieldSchema } from "../runtime/schema.ts";
import { VialError } from "../builds/errors.ts";
import { writeAtomically } from "../builds/store.ts";
import type { FileFormat } from "./formats/format.ts";
import { parquetKeyValues } from "./formats/parquet.ts";

export const METADATA_KEY = "vial";

export const VIAL_VERSION: string = JSON.parse(readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8")).version;

export interface RunMetadata {
  env: string;
  function: string;
  version: string;
  /** What ran the version: its engine, and "v8" (its bundle in isolates) or "component". */
  engine: { version: string; running: string };
  input: { path: string; format: FileFormat; bytes: number };
  output: { format: FileFormat; outputs: FieldSchema[] };
  /** The errors file, as written. */
  errors: string;
  rows: number;
  failed: number;
  /** "i/n" when the run took one shard of the input. */
  shard: string | null;
  batch: number;
  chunk: number;
  vial: string;
}

export const sidecarPath = (output: string): string => `${output}.meta.json`;

export async function writeSidecar(output: string, metadata: RunMetadata): Promise<void> {
  await writeAtomically(sidecarPath(output), JSON.stringify(metadata, null, 2) + "\n");
}

/** The metadata of an output vial wrote. */
export async function readMetadata(output: string, format: FileFormat): Promise<RunMetadata> {
  let text: string | undefined;
  if (format === "parquet") text = (await parquetKeyValues(output))[METADATA_KEY];
  else if (existsSync(sidecarPath(output))) text = await readFile(sidecarPath(output), "utf8");
  if (text === undefined) throw new VialError(`${output} has no vial metadata (${format === "parquet" ? `no '${METADATA_KEY}' key` : `no ${sidecarPath(output)}`}): was it written by 'vial run'?`);
  return JSON.parse(text) as RunMetadata;
}
