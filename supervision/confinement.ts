/**
 * The host's side of the layers executors set on themselves
 * (executor/confinement): a probe run once per host process in a confined
 * executor, whose native code tries what an escape from V8 would (a socket,
 * a file outside its code, the host's environment, a signal to the host,
 * exec), and each running executor's layers as the kernel reports them.
 */
import { readFile } from "node:fs/promises";
import type { Sandbox } from "./sandbox.ts";
import { runProbe } from "./launch.ts";
import { EXEC_MARKER, PROBE_FLAG, type ProbeResult } from "../executor/confinement/probe.ts";
import { kernelLayers, type ExecutorLayers, type KernelLayers } from "../executor/confinement/layers.ts";

export type ConfinementReport =
  | ({ available: true; denied: Record<keyof ProbeResult["attempts"] | "exec", string> } & ExecutorLayers)
  | { available: false; reason: string };

/** What each attempt would have given native code, for the warning when it was not denied. */
const GAINS: Record<string, string> = {
  inetSocket: "open network sockets",
  unixSocket: "open unix sockets",
  readOutside: "read files outside its code that its user may read",
  readHostEnvironment: "read the host's environment",
  signalHost: "signal the host",
  exec: "run programs",
};

/** Runs the native probe in an executor launched by `launch`: its layers and how each attempt ended. */
export async function probeConfinement(launch: Sandbox["launch"], entry: string): Promise<ConfinementReport> {
  let output: string;
  try {
    output = await runProbe(launch("component", [entry, PROBE_FLAG, String(process.pid)]));
  } catch (error) {
    return { available: false, reason: `a confined executor did not start (${(error as Error).message})` };
  }
  const [json = "", exec = ""] = output.split("\n");
  let result: ProbeResult;
  try {
    result = JSON.parse(json) as ProbeResult;
  } catch {
    // Executors then start without the layers: a host that cannot read its probe still serves.
    return { available: false, reason: `the probe printed something else: ${JSON.stringify(json.slice(0, 200))}` };
  }
  if (!result.layers) return { available: false, reason: "the launcher did not run" };
  return { available: true, ...result.layers, denied: { ...result.attempts, exec: exec === EXEC_MARKER ? "allowed" : exec } };
}

export function confinementWarnings(report: ConfinementReport): string[] {
  if (!report.available) return [`executors set no Landlock or seccomp layers of their own: ${report.reason}`];
  return [
    ...(typeof report.landlock === "string" ? [`executors' files are not restricted by Landlock: ${report.landlock}`] : []),
    ...(report.seccomp !== true ? [`executors' own seccomp filters are missing: ${report.seccomp}`] : []),
    ...Object.entries(report.denied)
      .filter(([, outcome]) => outcome === "allowed")
      .map(([attempt]) => `native code in an executor can ${GAINS[attempt] ?? attempt}`),
  ];
}

/** A running executor's no-new-privileges flag and seccomp filters, from the kernel (what it cannot misreport). */
export async function processLayers(pid: number): Promise<KernelLayers | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  return status === undefined ? undefined : kernelLayers(status);
}
