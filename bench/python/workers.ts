/** Long-lived python3 workers (bench/python/worker.py), one request at a time each, over stdin/stdout. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ROOT } from "../envs.ts";

const WORKER = fileURLToPath(new URL("./worker.py", import.meta.url));
const SDK = `${ROOT}guest-sdk/python`;
/** Debian's CPython, where python3-fuzzywuzzy is installed (testing/python.ts). */
export const NATIVE_PYTHON = "/usr/bin/python3";

export class PythonWorker {
  private readonly pending: Array<{ resolve: (line: string) => void; reject: (e: Error) => void }> = [];
  private exited: Error | undefined;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
    createInterface({ input: child.stdout }).on("line", (line) => this.pending.shift()?.resolve(line));
    child.once("exit", (code) => {
      this.exited = new Error(`python worker exited (code ${code}): ${stderr.trim().split("\n").slice(-3).join(" | ")}`);
      for (const p of this.pending.splice(0)) p.reject(this.exited);
    });
  }

  static async start(modulePath: string): Promise<PythonWorker> {
    const child = spawn(NATIVE_PYTHON, ["-B", "-W", "ignore", WORKER, SDK, modulePath], { stdio: ["pipe", "pipe", "pipe"] });
    const worker = new PythonWorker(child);
    const first = await worker.next();
    if (first !== "ready") throw new Error(`python worker said ${first.slice(0, 200)}`);
    return worker;
  }

  private next(): Promise<string> {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }

  private async request(line: string): Promise<string> {
    const answer = this.next();
    this.child.stdin.write(line);
    const text = await answer;
    const tab = text.indexOf("\t");
    if (text.slice(0, tab) !== "1") throw new Error(JSON.parse(text.slice(tab + 1)) as string);
    return text.slice(tab + 1);
  }

  /** The output envelope (JSON text), as the guest's `call` returns it. */
  call(fn: string, batch: string): Promise<string> {
    return this.request(`call\t${fn}\t${batch}\n`);
  }

  /** Calls back to back for `ms`, timed inside CPython: milliseconds per call. */
  async time(fn: string, batch: string, ms: number): Promise<number[]> {
    return JSON.parse(await this.request(`time\t${fn}\t${batch}\t${ms}\n`)) as number[];
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
