// Runs a command, streaming its output line-wise to a progress callback and
// keeping the tail for the error message when it fails.
import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
  input?: string;
}

export async function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
    const tail: string[] = [];
    let out = "";
    // Chunks may end mid-line: keep each stream's partial line until its newline.
    const partial = { stdout: "", stderr: "" };
    const emit = (line: string) => {
      if (!line.trim()) return;
      tail.push(line);
      if (tail.length > 40) tail.shift();
      opts.onLine?.(line);
    };
    const feed = (stream: "stdout" | "stderr", buf: Buffer) => {
      const text = buf.toString("utf8");
      if (stream === "stdout") out += text;
      const lines = (partial[stream] + text).split("\n");
      partial[stream] = lines.pop()!;
      lines.forEach(emit);
    };
    child.stdout.on("data", (b: Buffer) => feed("stdout", b));
    child.stderr.on("data", (b: Buffer) => feed("stderr", b));
    child.on("error", reject);
    child.on("close", (code) => {
      emit(partial.stdout);
      emit(partial.stderr);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}:\n${tail.join("\n")}`));
    });
    child.stdin.end(opts.input ?? "");
  });
}
