// wasi:cli/*: no environment, fixed argv, empty stdin, captured stdout/stderr,
// no terminals; exit ends only the calling instance.
import { GuestExit } from "./errors.js";
import { InputStream, OutputStream } from "./io.js";

export class TerminalInput {}
export class TerminalOutput {}

export interface CliOptions {
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
}

export function cliImports(opts: CliOptions) {
  const stdin = new InputStream();
  const stdout = new OutputStream(opts.onStdout);
  const stderr = new OutputStream(opts.onStderr);
  return {
    streams: { stdout, stderr },
    imports: {
      "wasi:cli/environment": {
        getEnvironment: (): [string, string][] => [],
        getArguments: (): string[] => ["python"],
        initialCwd: (): string | undefined => undefined,
      },
      "wasi:cli/exit": {
        exit(status: { tag: "ok" | "err" }): never {
          stdout.flushPending();
          stderr.flushPending();
          throw new GuestExit(status.tag === "ok" ? 0 : 1);
        },
      },
      "wasi:cli/stdin": { getStdin: () => stdin },
      "wasi:cli/stdout": { getStdout: () => stdout },
      "wasi:cli/stderr": { getStderr: () => stderr },
      "wasi:cli/terminal-input": { TerminalInput },
      "wasi:cli/terminal-output": { TerminalOutput },
      "wasi:cli/terminal-stdin": { getTerminalStdin: () => undefined },
      "wasi:cli/terminal-stdout": { getTerminalStdout: () => undefined },
      "wasi:cli/terminal-stderr": { getTerminalStderr: () => undefined },
    },
  };
}
