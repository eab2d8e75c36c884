/**
 * What the confinement layers of one executor process are, as the process
 * itself sees them: set by the launcher (launcher.ts) and by the executor
 * once it runs (`confineRunning`), read back from the kernel for the report.
 */
import { DENIED_ONCE_RUNNING, denySyscalls } from "./seccomp.ts";
import { readSmallFile } from "./native.ts";

/** The variable the launcher tells the executor what it applied in. */
export const CONFINEMENT_ENV = "VIAL_CONFINEMENT";

/** Per layer: what holds (Landlock's ABI version, true), or why it does not. */
export interface AppliedLayers {
  landlock: number | string;
  seccomp: true | string;
}

export interface ExecutorLayers extends KernelLayers {
  landlock: number | string;
  /** The executor's own filters: from the launcher, and the one denying exec installed once it runs. */
  seccomp: true | string;
}

let runningFilter: true | string | undefined;
/** What the launcher said, taken out of the environment the guests' process has. */
let given: string | undefined;

/** Denies exec to every thread of this process, once: the executor's Node is running, nothing else will be. */
export function confineRunning(): void {
  given ??= process.env[CONFINEMENT_ENV];
  delete process.env[CONFINEMENT_ENV];
  if (runningFilter !== undefined || !given) return;
  try {
    denySyscalls(DENIED_ONCE_RUNNING);
    runningFilter = true;
  } catch (error) {
    runningFilter = (error as Error).message;
  }
}

/** What the kernel says of a process's layers. */
export interface KernelLayers {
  noNewPrivileges: boolean;
  /** Seccomp filters on the process: the container runtime's, if any, and the executor's own two. */
  seccompFilters: number;
}

/** No-new-privileges and the seccomp filters, as a process's /proc/<pid>/status says. */
export function kernelLayers(status: string): KernelLayers {
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0);
  return { noNewPrivileges: field("NoNewPrivs") === 1, seccompFilters: field("Seccomp_filters") };
}

/** This process's layers, as the launcher set them and the kernel reports them. */
export function executorLayers(): ExecutorLayers | undefined {
  if (!given) return undefined;
  const applied = JSON.parse(given) as AppliedLayers;
  return {
    ...kernelLayers(readSmallFile("/proc/self/status") ?? ""),
    landlock: applied.landlock,
    seccomp: applied.seccomp !== true ? applied.seccomp : runningFilter ?? "exec is not denied yet",
  };
}
