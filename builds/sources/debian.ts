/**
 * Where Debian's archive may hold a source package's file: every revision of the package that apt knows,
 * newest first (the one `apt-get source` picks comes first), then the package's folder in the pool of every
 * archive apt reads sources from (a file another release still carries). The archive does not always serve
 * what its indexes list: a revision's files can answer 404 while an older one's are served.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { runCommand } from "../run-command.ts";

/** What `apt-get source` reads from: bookworm's source indexes, written if apt has none. */
const SOURCE_LIST = "/etc/apt/sources.list.d/vial-deb-src.sources";
const DEB_SRC = `Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
`;

const APT = ["-o", "DPkg::Lock::Timeout=600", "-o", "Acquire::Retries=2"];

/** Candidate addresses of `file` of source package `pkg` at upstream version `upstream`, best first. */
export async function debianAddresses(pkg: string, upstream: string, file: string, log: (line: string) => void): Promise<string[]> {
  await ensureSourceIndexes(pkg, log);
  const urls: string[] = [];
  for (const revision of await revisions(pkg, upstream, log)) {
    const printed = await runCommand("apt-get", [...APT, "source", "--print-uris", "--download-only", `${pkg}=${revision}`], { cwd: "/" });
    log(`apt-get source --print-uris ${pkg}=${revision}: exit ${printed.code}`);
    const line = printed.stdout.split("\n").find((l) => l.includes(` ${file} `));
    const url = line?.match(/^'([^']+)'/)?.[1];
    if (url) urls.push(url);
  }
  for (const repo of await sourceRepositories()) urls.push(`${repo}${poolFolder(pkg)}/${encodeURIComponent(file)}`);
  return [...new Set(urls)];
}

/** `pool/main/z/zlib`, `pool/main/libf/libfoo`: Debian's layout of the pool. */
const poolFolder = (pkg: string): string => `pool/main/${pkg.startsWith("lib") ? pkg.slice(0, 4) : pkg[0]}/${pkg}`;

/** Revisions of `pkg` whose upstream version is `upstream`, newest first. */
async function revisions(pkg: string, upstream: string, log: (line: string) => void): Promise<string[]> {
  const shown = await runCommand("apt-cache", ["showsrc", "--only-source", pkg]);
  const all = [...new Set([...shown.stdout.matchAll(/^Version: (\S+)$/gm)].map((m) => m[1]))];
  const matching = all.filter((v) => upstreamOf(v) === upstream).sort((a, b) => (newer(a, b) ? -1 : 1));
  log(`apt-cache showsrc ${pkg}: ${all.join(", ") || "none"}; of upstream ${upstream}: ${matching.join(", ") || "none"}`);
  return matching;
}

/** `1:1.2.13.dfsg-1+deb12u1` -> `1.2.13.dfsg`: no epoch, no Debian revision. */
export const upstreamOf = (version: string): string => version.replace(/^\d+:/, "").replace(/-[^-]*$/, "");

const newer = (a: string, b: string): boolean => {
  try {
    execFileSync("dpkg", ["--compare-versions", a, "gt", b]);
    return true;
  } catch {
    return false;
  }
};

async function sourceRepositories(): Promise<string[]> {
  const targets = await runCommand("apt-get", ["indextargets", "--format", "$(REPO_URI)", "Created-By: Sources"]);
  return [...new Set(targets.stdout.split("\n").filter(Boolean))];
}

/** Source indexes apt can read: a `deb-src` entry for bookworm where none exists, and fresh lists where `pkg` is unknown. */
async function ensureSourceIndexes(pkg: string, log: (line: string) => void): Promise<void> {
  if (!hasDebSrc()) {
    writeFileSync(SOURCE_LIST, DEB_SRC);
    log(`wrote ${SOURCE_LIST}`);
  }
  const known = await runCommand("apt-cache", ["showsrc", "--only-source", pkg]);
  if (known.code === 0 && known.stdout.trim()) return;
  log("apt-get update (no source index knows the package yet)");
  const updated = await runCommand("apt-get", [...APT, "update", "-q"]);
  log(updated.stdout + updated.stderr);
}

function hasDebSrc(): boolean {
  const dir = "/etc/apt/sources.list.d";
  const files = ["/etc/apt/sources.list", ...(existsSync(dir) ? readdirSync(dir).map((f) => `${dir}/${f}`) : [])];
  return files.some((f) => existsSync(f) && /^(deb-src\s|Types:.*\bdeb-src\b)/m.test(readFileSync(f, "utf8")));
}
