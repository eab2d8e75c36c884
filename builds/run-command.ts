import { spawn } from "node:child_process";

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command and collects its output. When it runs under `npm test` or
 * `npm run`, npm's lifecycle variables would leak into a nested npm; only the
 * registry and cache settings are passed on.
 */
export function runCommand(command: string, args: string[], cwd: string, onLine?: (line: string) => void): Promise<CommandResult> {
  const keep = new Set(["npm_config_registry", "npm_config_cache", "npm_config_userconfig"]);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_") || keep.has(k.toLowerCase())));
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk;
      if (onLine) for (const line of chunk.toString().split("\n")) if (line.trim()) onLine(line.trim());
    });
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
  });
}
