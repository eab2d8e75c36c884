// Installs a pip requirements file into a site-packages folder for the WASI
// interpreter. Pure-Python distributions run there as they are; a native one
// runs only when vial has a recipe to build it (native-layer.ts), so any other
// is refused by name, before and after pip runs.
import { createHash } from "node:crypto";
import { VialError } from "../errors.ts";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { run } from "../run-command.ts";
import { normalizeName, recipeFor, recipeNames } from "./recipes/index.ts";

export interface ParsedRequirements {
  /** Requirement lines as pip gets them (local paths made absolute). */
  lines: string[];
  /** Local wheel/sdist files referenced. */
  localFiles: string[];
  findLinks: string[];
  indexUrl?: string;
  extraIndexUrls: string[];
  noIndex: boolean;
}

const LOCAL_ARCHIVE = /\.(whl|tar\.gz|tgz|zip|tar\.bz2)$/i;
const OPTION_WITH_VALUE = /^(--find-links|-f|--index-url|-i|--extra-index-url)(?:\s+|=)(.+)$/;

/** Parses pip's requirements format (the subset vial supports). */
export async function parseRequirements(file: string): Promise<ParsedRequirements> {
  const base = dirname(resolve(file));
  if (!existsSync(file)) throw new VialError(`requirements file not found: ${file}`);
  const text = (await readFile(file, "utf8")).replace(/\\\r?\n/g, " ");
  const out: ParsedRequirements = { lines: [], localFiles: [], findLinks: [], extraIndexUrls: [], noIndex: false };
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/(^|\s)#.*$/, "").trim();
    if (!line) return;
    const where = `${basename(file)} line ${i + 1}`;
    const opt = OPTION_WITH_VALUE.exec(line);
    if (opt) {
      const value = opt[2].trim();
      if (opt[1] === "--find-links" || opt[1] === "-f") {
        const dir = /^[a-z]+:\/\//i.test(value) ? value : abs(value);
        if (!dir.includes("://") && !existsSync(dir)) throw new VialError(`${where}: --find-links folder not found: ${value}`);
        out.findLinks.push(dir);
      } else if (opt[1] === "--index-url" || opt[1] === "-i") out.indexUrl = value;
      else out.extraIndexUrls.push(value);
      return;
    }
    if (line === "--no-index") {
      out.noIndex = true;
      return;
    }
    if (line.startsWith("-")) throw new VialError(`${where}: unsupported option: ${line}`);
    if (line.startsWith(".") || line.startsWith("/") || LOCAL_ARCHIVE.test(line)) {
      const path = abs(line);
      if (!existsSync(path)) throw new VialError(`${where}: file not found: ${line}`);
      if (path.endsWith(".whl")) refuseNativeWheel(basename(path));
      out.localFiles.push(path);
      out.lines.push(path);
      return;
    }
    out.lines.push(line);
  });
  return out;
}

/** A wheel is usable only if it is tagged for any Python platform: *-none-any. */
export function refuseNativeWheel(name: string): void {
  const parts = name.replace(/\.whl$/, "").split("-");
  const [abi, platform] = parts.slice(-2);
  if (parts.length < 5 || abi !== "none" || platform !== "any") {
    throw new VialError(`native dependency refused: ${name} (tags ${abi}-${platform}; only pure-Python *-none-any wheels run in the sandbox). ${nativeHint(parts[0])}`);
  }
}

/** What to do about a native distribution: use its recipe, or there is none. */
function nativeHint(distribution: string): string {
  const recipe = recipeFor(distribution);
  if (recipe) return `vial builds ${recipe.name} from source for the sandbox: require ${recipe.name}==${recipe.defaultVersion} instead`;
  return `vial builds native packages only from a recipe, and has none for ${distribution} (it has: ${recipeNames().join(", ")}; see docs/python.md, "numpy and other native packages")`;
}

/** Digest of the requirements file and every local file it references. */
export async function requirementsDigest(file: string): Promise<string> {
  const req = await parseRequirements(file);
  const h = createHash("sha256").update(await readFile(file));
  const files = [...req.localFiles];
  for (const dir of req.findLinks) {
    if (dir.includes("://")) continue;
    for (const f of (await readdir(dir)).sort()) files.push(join(dir, f));
  }
  for (const f of files) {
    if (!statSync(f).isFile()) continue;
    h.update(f).update(await readFile(f));
  }
  return h.digest("hex");
}

/**
 * Installs the requirements; `substitutes` replaces lines (a native package by the wheel of its built Python
 * files) and `added` are installed with them (native packages the requested ones need).
 */
export async function installPythonRequirements(
  requirementsFile: string,
  targetDir: string,
  onProgress?: (msg: string) => void,
  substitutes: Map<string, string> = new Map(),
  added: string[] = [],
): Promise<void> {
  const req = await parseRequirements(requirementsFile);
  if (req.lines.length === 0) return;
  const work = await mkdtemp(join(tmpdir(), "vial-req-"));
  try {
    const normalized = join(work, "requirements.txt");
    await writeFile(normalized, [...req.lines.map((l) => substitutes.get(l) ?? l), ...added].join("\n") + "\n");
    const args = [
      "-m", "pip", "install", "--target", targetDir, "--upgrade", "--no-compile",
      "--no-warn-script-location", "--disable-pip-version-check", "--root-user-action=ignore", "--no-build-isolation",
      "-r", normalized,
    ];
    for (const d of req.findLinks) args.push("--find-links", d);
    const indexes = req.noIndex ? [] : await reachableIndexes(req);
    if (indexes.length === 0) args.push("--no-index");
    else {
      args.push("--index-url", indexes[0]);
      for (const u of indexes.slice(1)) args.push("--extra-index-url", u);
    }
    onProgress?.(`pip install (${indexes.length ? `index ${indexes[0]}` : "offline"})`);
    try {
      await run(pythonForPip(), args, { onLine: (l) => onProgress?.(`pip: ${l}`) });
    } catch (e) {
      throw new VialError(`installing ${basename(requirementsFile)} failed: ${pipFailure(String((e as Error).message))}`);
    }
    await refuseNativeResult(targetDir, requestedNames(req.lines));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

// Debian's python3.11 (same version as the guest) ships pip with setuptools
// and wheel, which building a pure-Python sdist offline needs.
function pythonForPip(): string {
  return process.env.VIAL_PIP_PYTHON ?? (existsSync("/usr/bin/python3.11") ? "/usr/bin/python3.11" : "python3");
}

/** The most telling line of pip's output: its ERROR, else the build's own error. */
function pipFailure(output: string): string {
  const lines = output.split("\n").map((l) => l.trim());
  const generic = /^(error: (metadata-generation-failed|subprocess-exited-with-error)|hint:|note:)/i;
  return (
    lines.find((l) => l.startsWith("ERROR:")) ??
    [...lines].reverse().find((l) => /error/i.test(l) && !generic.test(l) && !/^[×╰]/.test(l)) ??
    lines.filter(Boolean).pop() ??
    "pip failed"
  );
}

/** Index URLs (file/config/env, pip's default last resort) that answer now. */
export async function reachableIndexes(req: ParsedRequirements): Promise<string[]> {
  let configured: string[] = [];
  try {
    const cfg = await run(pythonForPip(), ["-m", "pip", "config", "list"]);
    for (const m of cfg.matchAll(/^[^=]*\.(index-url|extra-index-url)='([^']*)'$/gm)) {
      configured.push(...m[2].split(/\s+/).filter(Boolean));
    }
  } catch {
    configured = [];
  }
  const primary = req.indexUrl ?? process.env.PIP_INDEX_URL ?? "https://pypi.org/simple";
  const all = [primary, ...req.extraIndexUrls, ...configured];
  const ok: string[] = [];
  for (const url of [...new Set(all)]) if (await reachable(url)) ok.push(url);
  return ok;
}

async function reachable(url: string): Promise<boolean> {
  if (url.startsWith("file://")) return existsSync(new URL(url));
  try {
    const res = await fetch(url, { method: "HEAD", signal: AbortSignal.timeout(3000) });
    return res.status < 500;
  } catch {
    return false;
  }
}

/**
 * After pip: any compiled file or non-pure wheel tag means native code. The message names first what the
 * requirements asked for (pandas), then what it pulled in (numpy), so it points at the line to change.
 */
async function refuseNativeResult(site: string, requested: string[]): Promise<void> {
  const distInfos = (await readdir(site)).filter((d) => d.endsWith(".dist-info"));
  const native = new Map<string, string>();
  for (const d of distInfos) {
    const wheel = join(site, d, "WHEEL");
    if (existsSync(wheel) && /^Root-Is-Purelib:\s*false/im.test(await readFile(wheel, "utf8"))) {
      native.set(d.replace(/\.dist-info$/, ""), "not a pure-Python distribution");
    }
  }
  const owners = await recordOwners(site, distInfos);
  for (const file of (await readdir(site, { recursive: true })).map(String).filter((f) => /\.(so|pyd|dylib)(\.|$)/.test(f))) {
    const dist = owners.get(file) ?? file;
    if (!native.has(dist)) native.set(dist, `contains compiled ${basename(file)}`);
  }
  if (native.size === 0) return;
  const asked = (dist: string) => requested.includes(distributionName(dist));
  const [[dist, why], ...others] = [...native].sort(([a], [b]) => Number(asked(b)) - Number(asked(a)));
  const also = others.length ? `; with it ${others.map(([d]) => d).join(", ")}` : "";
  throw new VialError(`native dependency refused: ${dist} (${why}${also}). ${nativeHint(distributionName(dist))}`);
}

/** `pandas-2.3.3` or `pandas/_libs/lib.so` -> `pandas`, as pip normalizes names. */
const distributionName = (distOrPath: string): string => normalizeName(distOrPath.split(/[-/]/)[0]);

/** The name each requirement line asks for: `pandas>=2`, `./wheels/pandas-2.2.3-...whl` -> `pandas`. */
function requestedNames(lines: string[]): string[] {
  return lines.map((l) => normalizeName((l.startsWith("/") ? basename(l).split("-")[0] : /^[A-Za-z0-9._-]+?(?=\s*([[=<>!~;@ ]|$))/.exec(l)?.[0]) ?? l));
}

/** Installed file -> the distribution whose RECORD lists it. */
async function recordOwners(site: string, distInfos: string[]): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  for (const d of distInfos) {
    const record = join(site, d, "RECORD");
    if (!existsSync(record)) continue;
    for (const line of (await readFile(record, "utf8")).split("\n")) {
      const file = line.split(",")[0];
      if (file) owners.set(relative(site, join(site, file)), d.replace(/\.dist-info$/, ""));
    }
  }
  return owners;
}
