/** Runs the `vial` command as a user would: a child process of bin/vial.js. */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { REPO } from "../host/helpers.ts";

const BIN = join(REPO, "bin/vial.js");

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runVial(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running `vial` (dev, serve): its stdout lines as they come, and a way to wait for one. */
export function startVial(args: string[]) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const waiting: Array<{ pattern: RegExp; from: number; resolve(line: string): void }> = [];
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk));
  createInterface({ input: child.stdout! }).on("line", (line) => {
    lines.push(line);
    for (const w of [...waiting]) {
      if (lines.length - 1 >= w.from && w.pattern.test(line)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  return {
    lines,
    stderr: () => stderr,
    /** The next stdout line (from now on) that matches. */
    next(pattern: RegExp): Promise<string> {
      return new Promise((resolve) => waiting.push({ pattern, from: lines.length, resolve }));
    },
    async stop(): Promise<number | null> {
      child.kill("SIGTERM");
      return exited;
    },
  };
}
