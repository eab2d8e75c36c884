/**
 * The file formats `vial run` reads and writes, and what both sides of a
 * format agree on: rows as the host answers them (JSON values, bytes as
 * base64), a failed row as `null`, and where each input row came from.
 */
import { extname } from "node:path";
import { VialError } from "../../builds/errors.ts";

export const FILE_FORMATS = ["ndjson", "csv", "parquet"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const EXTENSIONS: Record<string, FileFormat> = {
  ".ndjson": "ndjson",
  ".jsonl": "ndjson",
  ".csv": "csv",
  ".parquet": "parquet",
  ".pq": "parquet",
};

/** The format named, or the one the file's extension says. */
export function formatOf(path: string, named?: string): FileFormat {
  if (named !== undefined) {
    if ((FILE_FORMATS as readonly string[]).includes(named)) return named as FileFormat;
    throw new VialError(`unknown format '${named}': use ${FILE_FORMATS.join(", ")}`);
  }
  const format = EXTENSIONS[extname(path).toLowerCase()];
  if (!format) throw new VialError(`cannot tell the format of ${path} from its extension: name it with --format (${FILE_FORMATS.join(", ")}) or use .ndjson, .jsonl, .csv or .parquet`);
  return format;
}

export type Row = Record<string, unknown>;

/** One input row, ready for the executor: its JSON text, its index in the file, and its line where the format has lines. */
export interface InputRow {
  index: number;
  line?: number;
  json: string;
}

/** Which rows to read: from `fromIndex` on, those `select` keeps (a shard); the others are skipped unparsed where the format allows. */
export interface Selection {
  fromIndex: number;
  select(index: number): boolean;
}

export interface InputSource {
  /** Selected rows, in file order, a few at a time. */
  chunks: AsyncIterable<InputRow[]>;
  /** How far the reading is: bytes or rows of the file. */
  position(): { done: number; total: number };
  /** Rows in the file, when the format says so up front. */
  totalRows?: number;
}
