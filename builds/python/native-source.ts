// Where a native package's source comes from, first that has it: a local
// sdist named in the requirements, the copy vial ships, an sdist on a package
// index that answers (PEP 503 simple pages), Debian's source package.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VialError } from "../errors.ts";
import { sha256 } from "../../runtime/digest.ts";
import { sourceArchive, SourceUnavailable } from "../sources/archive.ts";
import type { NativeRecipe } from "./recipes/recipe.ts";

export interface SourceRequest {
  recipe: NativeRecipe;
  version: string;
  /** An sdist the requirements file names by path. */
  localSdist?: string;
  /** Index URLs that answer now: asked only when no local or shipped source fits. */
  indexes: () => Promise<string[]>;
  /** Where downloads go. */
  work: string;
  /** The build cache, which keeps Debian's archives once fetched. */
  cacheDir: string;
  progress: (msg: string) => void;
}

export async function findSource(req: SourceRequest): Promise<string> {
  const { recipe, version } = req;
  if (req.localSdist) return req.localSdist;
  const shipped = recipe.shippedSources[version];
  if (shipped) return shipped;
  const tried = [`vial ships ${Object.keys(recipe.shippedSources).join(", ") || "no version"}`];
  const indexes = await req.indexes();
  for (const index of indexes) {
    const found = await fromIndex(index, req).catch((e: Error) => ({ missing: e.message }));
    if ("path" in found) return found.path;
    tried.push(`${index}: ${found.missing}`);
  }
  if (indexes.length === 0) tried.push("no package index answers");
  let orPut = "";
  const debian = recipe.debianSource;
  const archive = debian?.archives[version];
  if (!debian || !archive) tried.push(`Debian: no known archive of ${recipe.name} ${version}`);
  else {
    const src = { what: `${recipe.name} ${version}`, debian: { pkg: debian.pkg, upstream: upstreamIn(archive.file) }, ...archive, sha256: [archive.sha256] };
    try {
      return await sourceArchive(src, { cacheDir: req.cacheDir, progress: req.progress });
    } catch (e) {
      if (!(e instanceof SourceUnavailable)) throw e;
      tried.push(`Debian: ${e.tried.join(", ") || "no archive lists it"}`);
      orPut = `, or put Debian's ${archive.file} (sha256 ${archive.sha256}) at ${e.keptPath}; full log: ${e.logPath}`;
    }
  }
  throw new VialError(
    `no source for ${recipe.name} ${version} (${tried.join("; ")}): put a local sdist in the requirements instead, e.g. ./${recipe.name}-${version}.tar.gz${orPut}`,
  );
}

/** A source archive found, or why not. */
type Found = { path: string } | { missing: string };

/** An sdist from a PEP 503 index page, checked against the page's sha256. */
async function fromIndex(index: string, { recipe, version, work, progress }: SourceRequest): Promise<Found> {
  const page = `${index.replace(/\/$/, "")}/${recipe.name}/`;
  const res = await fetch(page, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) return { missing: `${res.status} for ${page}` };
  const file = new RegExp(`href="([^"]*/${recipe.name}-${version.replace(/\./g, "\\.")}\\.tar\\.gz)(?:#sha256=([0-9a-f]{64}))?"`, "i");
  const m = file.exec(await res.text());
  if (!m) return { missing: `no ${recipe.name}-${version}.tar.gz` };
  progress(`downloading ${recipe.name} ${version} source from ${index}`);
  const bytes = new Uint8Array(await (await fetch(new URL(m[1], page), { signal: AbortSignal.timeout(300_000) })).arrayBuffer());
  if (m[2] && sha256(bytes) !== m[2]) return { missing: "the sdist's sha256 does not match the index" };
  await mkdir(work, { recursive: true });
  const out = join(work, `${recipe.name}-${version}.tar.gz`);
  await writeFile(out, bytes);
  return { path: out };
}

/** `numpy_1.24.2.orig.tar.xz` -> `1.24.2`. */
const upstreamIn = (file: string): string => file.slice(file.indexOf("_") + 1, file.indexOf(".orig."));
