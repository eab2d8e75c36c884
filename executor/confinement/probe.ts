/**
 * What native code inside a confined executor can do, tried from native
 * code in that executor (C functions called directly, as a V8 escape
 * would): open a socket, read a file outside its code, read the host's
 * environment (its tokens), signal the host, run a program. Printed as
 * one JSON line; the exec attempt comes last, as a second line, since a
 * success replaces the process (and the program then says so).
 */
import { executorLayers, type ExecutorLayers } from "./layers.ts";
import { lastError, libc } from "./native.ts";

const AF_UNIX = 1;
const AF_INET = 2;
const SOCK_STREAM = 1;
const O_RDONLY = 0;

/** Per attempt: "allowed", or the error that stopped it. */
export interface ProbeResult {
  layers: ExecutorLayers | undefined;
  attempts: { inetSocket: string; unixSocket: string; readOutside: string; readHostEnvironment: string; signalHost: string };
}

export const EXEC_MARKER = "vial-probe-executed";
/** The executor's argument that runs the probe instead of serving: `--probe-confinement <host pid>`. */
export const PROBE_FLAG = "--probe-confinement";
/** A file every user may read, outside any executor's code. */
const OUTSIDE = "/etc/passwd";

/** Runs the probe against the host process `hostPid`; prints its results, then tries exec and prints why that failed. */
export function runNativeProbe(hostPid: number): never {
  const c = libc();
  const outcome = (result: number) => (result >= 0 ? "allowed" : lastError());
  const result: ProbeResult = {
    layers: executorLayers(),
    attempts: {
      inetSocket: outcome(c.socket(AF_INET, SOCK_STREAM, 0)),
      unixSocket: outcome(c.socket(AF_UNIX, SOCK_STREAM, 0)),
      readOutside: outcome(c.open(OUTSIDE, O_RDONLY)),
      readHostEnvironment: outcome(c.open(`/proc/${hostPid}/environ`, O_RDONLY)),
      signalHost: outcome(c.kill(hostPid, 0)),
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  c.execve("/bin/sh", ["/bin/sh", "-c", `echo ${EXEC_MARKER}`, null], [null]);
  process.stdout.write(`${lastError()}\n`);
  process.exit(0);
}
