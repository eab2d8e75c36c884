/** Starts a contender server in a child process (with its own V8 flags) and waits until it listens. */
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export interface ServerProcess {
  origin: string;
  pid: number;
  info: Record<string, unknown>;
  /** Milliseconds from spawn to listening. */
  startMs: number;
  /** Resident set size now, from /proc (bytes). */
  rss(): number;
  /** Full GC in the server (started with --expose-gc), answered when done. */
  collect(): Promise<void>;
  stop(): Promise<void>;
}

/** `env`: variables added to the bench's own for the server's process. */
export async function startServer(script: string, config: object, nodeFlags: string[] = [], env: Record<string, string> = {}, timeoutMs = 300_000): Promise<ServerProcess> {
  const file = fileURLToPath(new URL(script, import.meta.url));
  const started = performance.now();
  const child: ChildProcess = fork(file, [JSON.stringify(config)], {
    env: { ...process.env, ...env },
    execArgv: [...nodeFlags, "--import", "tsx"],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const listening = await new Promise<{ port: number; info: Record<string, unknown> }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not listen within ${timeoutMs} ms`)), timeoutMs);
    child.on("message", (msg: { type: string; port?: number; info?: Record<string, unknown>; message?: string }) => {
      if (msg.type === "listening") {
        clearTimeout(timer);
        resolve({ port: msg.port!, info: msg.info ?? {} });
      } else if (msg.type === "failed") {
        clearTimeout(timer);
        reject(new Error(`${script} failed to start: ${msg.message}`));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (code ${code}) before listening: ${stderr.trim().split("\n").slice(-5).join(" | ")}`));
    });
  });
  const startMs = performance.now() - started;
  return {
    origin: `http://127.0.0.1:${listening.port}`,
    pid: child.pid!,
    info: listening.info,
    startMs,
    rss: () => {
      const line = readFileSync(`/proc/${child.pid}/status`, "utf8").match(/^VmRSS:\s+(\d+) kB/m);
      return line ? Number(line[1]) * 1024 : NaN;
    },
    collect: () =>
      new Promise<void>((resolve) => {
        const done = (msg: { type?: string }) => {
          if (msg?.type !== "gc-done") return;
          child.off("message", done);
          resolve();
        };
        child.on("message", done);
        child.send({ type: "gc" });
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        child.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: "stop" });
      }),
  };
}
