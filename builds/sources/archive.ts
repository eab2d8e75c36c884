/**
 * One source archive a build needs, found and verified: the copy kept in the cache (or put there by hand),
 * the copy vial ships, then every place Debian's archive may hold it (debian.ts). Whatever the place, an
 * archive is used only when its sha256 is one the project knows for that upstream version: any revision that
 * carries the same upstream source works, and a tampered or unexpected file is refused.
 */
import { existsSync } from "node:fs";
import { copyFile, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { BuildLog } from "../build-log.ts";
import { VialError } from "../errors.ts";
import { sha256 } from "../../runtime/digest.ts";
import { debianAddresses } from "./debian.ts";

export interface SourceArchive {
  /** What it is, for messages: "zlib 1.2.13". */
  what: string;
  /** Debian's source package and the upstream part of its version. */
  debian: { pkg: string; upstream: string };
  /** The archive's name in Debian's pool, and where it is kept in the cache. */
  file: string;
  /** Every sha256 the project accepts for it. */
  sha256: string[];
  /** The copy vial ships, if it ships one. */
  shipped?: string;
  /** Said in the error when nothing is found: where else the same bytes come from. */
  alsoKnownAs?: string;
}

const FETCH_TIMEOUT_MS = 300_000;

/** No place had the archive: what was tried, where a copy may be put by hand, and the log. */
export class SourceUnavailable extends VialError {
  override name = "SourceUnavailable";
  constructor(readonly src: SourceArchive, readonly tried: string[], readonly keptPath: string, readonly logPath: string) {
    super(
      `cannot fetch ${src.what} source ${src.file} (tried ${tried.join("; ") || "nothing: no Debian archive lists it"})` +
        `: put the file${src.alsoKnownAs ? ` (${src.alsoKnownAs})` : ""} with sha256 ${src.sha256[0]} at ${keptPath} and run again; full log: ${logPath}`,
    );
  }
}

/** Folder of the cache where sources are kept, and where a user may put one by hand. */
export const sourcesDir = (cacheDir: string): string => join(cacheDir, "sources");

/** The archive's path in the cache, verified; fetched first if it is not there. */
export async function sourceArchive(
  src: SourceArchive,
  opts: { cacheDir: string; progress?: (msg: string) => void; addresses?: typeof debianAddresses },
): Promise<string> {
  const dir = sourcesDir(opts.cacheDir);
  const kept = join(dir, src.file);
  const tried: string[] = [];
  const accept = (bytes: Uint8Array, from: string): boolean => {
    const digest = sha256(bytes);
    if (src.sha256.includes(digest)) return true;
    tried.push(`${from}: unexpected sha256 ${digest.slice(0, 12)}…`);
    return false;
  };
  if (existsSync(kept) && accept(await readFile(kept), kept)) return kept;
  await mkdir(dir, { recursive: true });
  if (src.shipped && accept(await readFile(src.shipped), src.shipped)) {
    await copyFile(src.shipped, kept);
    return kept;
  }
  const log = BuildLog.open(opts.cacheDir, `source-${src.debian.pkg}`);
  opts.progress?.(`fetching ${src.what} source (${src.file})`);
  for (const url of await (opts.addresses ?? debianAddresses)(src.debian.pkg, src.debian.upstream, src.file, (l) => log.write(l))) {
    const got = await download(url).catch((e: Error) => ({ failed: e.message }));
    log.write(`GET ${url}: ${"failed" in got ? got.failed : `${got.bytes.byteLength} bytes`}`);
    if ("failed" in got) tried.push(`${url}: ${got.failed}`);
    else if (accept(got.bytes, url)) {
      await writeFile(`${kept}.tmp-${process.pid}`, got.bytes);
      await rename(`${kept}.tmp-${process.pid}`, kept);
      await log.discard();
      return kept;
    }
  }
  for (const line of tried) log.write(`tried ${line}`);
  throw new SourceUnavailable(src, tried, kept, log.path);
}

async function download(url: string): Promise<{ bytes: Uint8Array }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`${res.status}`);
  }
  return { bytes: new Uint8Array(await res.arrayBuffer()) };
}
