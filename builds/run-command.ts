/** Runs the tools a build needs (npm, pip, clang, wizer), streaming their output line by line. */
import { spawn } from "node:child_process";

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onLine?: (line: string) => void;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCommand(command: string, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    const output = { stdout: "", stderr: "" };
    // Chunks may end mid-line: each stream keeps its partial line until the newline comes.
    const partial = { stdout: "", stderr: "" };
    const emit = (line: string) => line.trim() && opts.onLine?.(line);
    const feed = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output[stream] += text;
      const lines = (partial[stream] + text).split("\n");
      partial[stream] = lines.pop()!;
      lines.forEach(emit);
    };
    child.stdout.on("data", feed("stdout"));
    child.stderr.on("data", feed("stderr"));
    child.on("error", reject);
    child.on("close", (code) => {
      emit(partial.stdout);
      emit(partial.stderr);
      resolve({ code: code ?? 1, ...output });
    });
  });
}

/** Like runCommand, but a non-zero exit is an error carrying the output's last lines. */
export async function run(command: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const result = await runCommand(command, args, opts);
  if (result.code === 0) return result.stdout;
  const tail = (result.stdout + result.stderr).trim().split("\n").slice(-40).join("\n");
  throw new Error(`${command} ${args.join(" ")} exited with ${result.code}:\n${tail}`);
}
