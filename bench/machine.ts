/** What the numbers were measured on: machine, load, runtime and package versions, source revision. */
import { cpus, loadavg, release, totalmem } from "node:os";
import { execFileSync } from "node:child_process";
import { packageVersion } from "../builds/package-version.ts";

const PACKAGES = ["hono", "@hono/node-server", "undici", "hdr-histogram-js", "isolated-vm", "componentize-qjs", "@bytecodealliance/jco-transpile", "fuzzball", "esbuild", "vega", "vega-lite"];

function git(args: string[]): string | null {
  try {
    return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo() {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    memory_gib: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    platform: process.platform,
    arch: process.arch,
    loadavg_at_start: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export function versions() {
  const packages: Record<string, string | null> = {};
  for (const name of PACKAGES) {
    try {
      packages[name] = packageVersion(name);
    } catch {
      packages[name] = null;
    }
  }
  return { node: process.version, v8: process.versions.v8, packages, commit: git(["rev-parse", "HEAD"]), worktree_dirty: (git(["status", "--porcelain"]) ?? "") !== "" };
}
