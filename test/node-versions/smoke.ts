/**
 * The steps of the smoke run on another Node line, each through the `vial`
 * command or a test of the project's own, in a project copy installed on
 * that line: build, serve, invoke, stop, and the executor sandbox's test.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { releaseEnv, type NodeRelease } from "./node-release.ts";

const run = promisify(execFile);

export interface Smoke {
  release: NodeRelease;
  /** The project copy installed on this release. */
  dir: string;
  store: string;
}

/** `vial <args>` on the release, in the project copy. */
export async function vial(smoke: Smoke, args: string[]): Promise<string> {
  const { stdout } = await run(smoke.release.node, [join(smoke.dir, "bin", "vial.js"), ...args, "--store", smoke.store], {
    cwd: smoke.dir,
    env: releaseEnv(smoke.release),
    timeout: 300_000,
    maxBuffer: 64 * 2 ** 20,
  });
  return stdout;
}

/** A script of the project's (`node_modules/.bin/<bin>`) on the release; resolves with its exit code and output. */
export function projectBin(smoke: Smoke, bin: string, args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(smoke.release.node, [join(smoke.dir, "node_modules", ".bin", bin), ...args], { cwd: smoke.dir, env: releaseEnv(smoke.release) });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c));
    child.stderr.on("data", (c: Buffer) => (output += c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, output }));
  });
}

export interface Served {
  address: string;
  process: ChildProcess;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `vial serve` on a free loopback port; resolves once it listens (not yet ready). */
export async function serveStore(smoke: Smoke): Promise<Served> {
  const child = spawn(smoke.release.node, [join(smoke.dir, "bin", "vial.js"), "serve", "--store", smoke.store, "--port", "0"], {
    cwd: smoke.dir,
    env: releaseEnv(smoke.release),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c));
  const exited = once(child, "exit");
  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).on("line", (line) => {
      let entry: { address?: string } = {};
      try {
        entry = JSON.parse(line) as { address?: string };
      } catch {
        // not a log line
      }
      if (entry.address) resolve(entry.address);
    });
    void exited.then(([code]) => reject(new Error(`vial serve exited with ${code} before listening: ${stderr.trim()}`)));
  });
  const address = await listening;
  return {
    address,
    process: child,
    async stop() {
      child.kill("SIGTERM");
      const [code] = await exited;
      return code as number | null;
    },
  };
}

export async function waitReady(address: string, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await fetch(`${address}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > until) throw new Error(`${address}/readyz still answers ${status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs one of the project's own test files on the release; resolves with vitest's JSON report. */
export async function projectTest(smoke: Smoke, file: string): Promise<{ passed: number; failed: number; output: string }> {
  const report = join(smoke.dir, `.vitest-${file.replace(/\W+/g, "-")}.json`);
  const { output } = await projectBin(smoke, "vitest", ["run", file, "--reporter=json", `--outputFile=${report}`]);
  const json = JSON.parse(await readFile(report, "utf8").catch(() => "{}")) as { numPassedTests?: number; numFailedTests?: number };
  return { passed: json.numPassedTests ?? 0, failed: json.numFailedTests ?? 0, output };
}
