/**
 * A build step's whole output, kept in a file of the cache so that its error can be one line saying what
 * failed, where, and where the rest is. A log is removed once its step succeeds.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { VialError } from "./errors.ts";
import { runCommand, type RunOptions } from "./run-command.ts";

export class BuildLog {
  private constructor(readonly path: string) {}

  /** A new log file `<cacheDir>/logs/<name>-<time>.log`. */
  static open(cacheDir: string, name: string): BuildLog {
    const dir = join(cacheDir, "logs");
    mkdirSync(dir, { recursive: true });
    const log = new BuildLog(join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, "-")}-${process.pid}.log`));
    log.write(`# ${name}, ${new Date().toISOString()}`);
    return log;
  }

  write(text: string): void {
    appendFileSync(this.path, text.endsWith("\n") ? text : `${text}\n`, { mode: 0o600 });
  }

  async discard(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

/**
 * Runs one build command with its output in `log`; a failure is a VialError naming `what`, the last progress
 * step it reached (`==> ` lines) and its last error line, and the log's path.
 */
export async function runLogged(what: string, command: string, args: string[], log: BuildLog, opts: RunOptions = {}): Promise<void> {
  let step = "";
  let lastError = "";
  log.write(`$ ${command} ${args.join(" ")}`);
  const result = await runCommand(command, args, {
    ...opts,
    onLine: (line) => {
      log.write(line);
      if (line.startsWith("==> ")) step = line.slice(4);
      if (/\b(error|E:|failed|fatal)\b/i.test(line)) lastError = line.trim();
      opts.onLine?.(line);
    },
  });
  if (result.code === 0) return;
  const at = step ? ` at "${step}"` : "";
  const said = lastError ? `: ${lastError.length > 200 ? `${lastError.slice(0, 200)}…` : lastError}` : "";
  throw new VialError(`${what} failed${at} (exit ${result.code})${said}; full log: ${log.path}`);
}
