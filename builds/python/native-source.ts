// Where a native package's source comes from, first that has it: a local
// sdist named in the requirements, the copy vial ships, an sdist on a package
// index that answers (PEP 503 simple pages), Debian's source package.
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { VialError } from "../errors.ts";
import { runCommand } from "../run-command.ts";
import { sha256 } from "../../runtime/digest.ts";
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
  if (recipe.debianSource) {
    const found = await fromDebian(recipe.debianSource, req);
    if ("path" in found) return found.path;
    tried.push(`Debian: ${found.missing}`);
  }
  throw new VialError(
    `no source for ${recipe.name} ${version} (${tried.join("; ")}): put a local sdist in the requirements instead, e.g. ./${recipe.name}-${version}.tar.gz`,
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

/** `apt-get source` of the Debian package when its upstream version is the one asked for. */
async function fromDebian(pkg: string, { version, work, progress }: SourceRequest): Promise<Found> {
  const show = await runCommand("apt-cache", ["showsrc", pkg]);
  const versions = [...show.stdout.matchAll(/^Version: (?:\d+:)?([^-\s]+)-\S+$/gm)];
  const match = versions.find((v) => v[1] === version);
  if (!match) return { missing: `Debian has ${versions.map((v) => v[1]).join(", ") || "no source package"}` };
  const full = match[0].slice("Version: ".length);
  await mkdir(work, { recursive: true });
  progress(`apt-get source ${pkg}=${full}`);
  const got = await runCommand("apt-get", ["source", "--download-only", `${pkg}=${full}`], { cwd: work });
  const orig = (await readdir(work)).find((f) => f.startsWith(`${pkg}_${version}.orig.tar.`));
  if (got.code !== 0 || !orig) return { missing: `apt-get source ${pkg}=${full} failed: ${(got.stderr.match(/^E: .*$/m) ?? ["no orig tarball"])[0]}` };
  return { path: join(work, orig) };
}
