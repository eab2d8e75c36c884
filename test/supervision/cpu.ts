// Processes for judging what the scheduler does: a node process on CPU 0 only, at a given niceness.
import { spawn, type ChildProcess } from "node:child_process";

export const SPIN = "for (;;);";

/** Runs `script` (by default, a spin) in node on CPU 0 only; taskset and nice exec into node, so the pid is node's. */
export const onCpu0 = (niceness = 0, script = SPIN): ChildProcess =>
  spawn("taskset", ["-c", "0", "nice", "-n", String(niceness), process.execPath, "-e", script], { stdio: "ignore" });
