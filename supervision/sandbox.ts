/**
 * How an executor process is cordoned off, decided once per host process by
 * trying it: the strongest setup that starts (and runs V8) on this machine
 * is kept, and what it lacks is reported. Every setup has:
 *
 * - Node's permission model: reads of its own code only, no writes, no child
 *   processes, workers only for component threads, addons only for V8.
 * - An empty environment and `/` as working directory.
 * - No descriptor of the host's but its channel and stdio (descriptors.ts).
 * - No new privileges and no capabilities; limits on its memory (with the
 *   host's watchdog, memory-watch.ts), descriptors and, in a user namespace
 *   of its own, processes (limits.ts).
 *
 * Where the machine allows them:
 *
 * - Where unprivileged user namespaces work (`unshare`): its own user,
 *   network, process, mount, IPC and UTS namespaces: no network interface
 *   at all, no other process (the host, other executors) visible, signalable
 *   or traceable, and a /tmp and /dev/shm of its own.
 * - When the host runs as root: the unprivileged user `nobody`, so not even
 *   native code in the executor can read the host's private files.
 * - Layers that need no privilege, so they hold in any pod (confinement.ts):
 *   Landlock (files: its code and Node only; no signals to other
 *   processes), seccomp filters of its own (no sockets, no exec, no ptrace,
 *   mounts, namespaces, keyrings, BPF, perf or io_uring), proven by a
 *   native probe run in a confined executor.
 */
import type { EngineKind } from "../runtime/engines/index.ts";
import { isolatedVmAvailability, type IsolatedVmAvailability } from "../runtime/v8/isolated-vm.ts";
import type { ExecutorCode } from "./code.ts";
import { inheritableDescriptors } from "./descriptors.ts";
import { executorLimits, measureIsolateData, type ExecutorLimits } from "./limits.ts";
import { MEMORY_WATCH_MS } from "./memory-watch.ts";
import { DEFAULT_POLICY } from "./policy.ts";
import { launchCommand, NOBODY, runProbe, type LaunchCommand, type LaunchOptions, type LaunchSpec, type Setup } from "./launch.ts";
import { confinementWarnings, probeConfinement, type ConfinementReport } from "./confinement.ts";

export { EXECUTOR_ENV, runProbe, type LaunchCommand } from "./launch.ts";

export interface SandboxReport {
  /** Own user, network (no interfaces), process, mount, IPC and UTS namespaces. */
  namespaces: boolean;
  /** A /tmp and /dev/shm of its own (empty tmpfs, 1 MiB each) instead of the host's: with the namespaces. */
  privateTmp: boolean;
  /** Who executors run as. */
  user: string;
  /** No privileges gained through exec (setuid programs, file capabilities), and no capabilities held. */
  noNewPrivileges: true;
  /** Node's permission model (own code readable, nothing writable, no child processes). */
  permissionModel: true;
  environment: "empty";
  /** The host's descriptors without close-on-exec: executors get /dev/null in their place. */
  shieldedDescriptors: number[];
  /** How each executor's limits (listed per environment) are held. */
  limits: {
    /** A watchdog reads the executor's resident size every `watchMs` and kills it past its cap; RLIMIT_DATA stops faster allocations. */
    memory: "watchdog";
    watchMs: number;
    /** RLIMIT_NPROC, counted in the executor's own user namespace (without one it would count every process of the user). */
    processes: boolean;
  };
  /** The layers executors set on themselves, and what native code in one was denied when tried. */
  confinement: ConfinementReport;
  /** Whether executors can run the V8 engine, or why not. */
  v8: IsolatedVmAvailability;
  warnings: string[];
}

export interface Sandbox {
  report: SandboxReport;
  /** The limits every executor it launches gets. */
  limits: ExecutorLimits;
  launch(engine: EngineKind, entryArgs: string[], opts?: LaunchOptions): LaunchCommand;
  /** The same sandbox with other limits: one environment's executors. */
  withLimits(limits: ExecutorLimits): Sandbox;
}

/** Whether V8 runs in an executor launched by `launch`. */
const v8Availability = (launch: Sandbox["launch"], code: ExecutorCode) => isolatedVmAvailability((args) => runProbe(launch("v8", args)), code.isolatedVm);

const launcher =
  (spec: Omit<LaunchSpec, "limits">, limits: ExecutorLimits): Sandbox["launch"] =>
  (engine, entryArgs, opts) =>
    launchCommand({ ...spec, limits }, engine, entryArgs, opts);

function sandboxOf(report: SandboxReport, spec: Omit<LaunchSpec, "limits">, limits: ExecutorLimits): Sandbox {
  return { report, limits, launch: launcher(spec, limits), withLimits: (other) => sandboxOf(report, spec, other) };
}

async function detect(code: ExecutorCode): Promise<Sandbox> {
  const root = process.getuid?.() === 0;
  // Namespaces first (without them even nobody shares the network and sees other processes), then nobody (root's
  // files), then private mounts.
  const setups: Setup[] = [];
  for (const namespaces of [true, false]) {
    for (const nobody of root ? [true, false] : [false]) {
      for (const privateTmp of namespaces ? [true, false] : [false]) setups.push({ namespaces, privateTmp, nobody, confined: false });
    }
  }
  // Descriptors inherited by this process: Node and libuv open everything else close-on-exec.
  const inherited = inheritableDescriptors();
  await measureIsolateData();
  const limits = executorLimits(DEFAULT_POLICY);
  const failures: string[] = [];
  // The first setup that starts executors and runs V8 in them; failing V8 everywhere, the first that starts them.
  let chosen: { setup: Setup; v8: SandboxReport["v8"] } | undefined;
  const v8Failures: { setup: Setup; reason?: string }[] = [];
  for (const setup of setups) {
    const launch = launcher({ code, setup, inherited }, limits);
    try {
      await runProbe(launch("component", ["-e", "process.exit(0)"]));
    } catch (error) {
      failures.push(`${describe(setup)}: ${(error as Error).message}`);
      continue;
    }
    const v8 = await v8Availability(launch, code);
    if (v8.available || !chosen) chosen = { setup, v8 };
    // Another setup may read what this one cannot (an install that `nobody` may not read); none can add a missing one.
    if (v8.available || code.isolatedVm.length === 0) break;
    v8Failures.push({ setup, reason: v8.reason });
  }
  if (!chosen) throw new Error(`no executor can start on this machine: ${failures.join("; ")}`);
  const { setup: open, v8 } = chosen;
  // The same setup with the launcher's layers, kept when its executors still start and run what the open one ran.
  const confinedLaunch = launcher({ code, setup: { ...open, confined: true }, inherited }, limits);
  let confinement = await probeConfinement(confinedLaunch, code.entry);
  if (confinement.available && v8.available) {
    const confinedV8 = await v8Availability(confinedLaunch, code);
    if (!confinedV8.available) confinement = { available: false, reason: `V8 does not run under them: ${confinedV8.reason}` };
  }
  const setup: Setup = { ...open, confined: confinement.available };
  for (const failed of v8Failures) if (failed.setup !== setup) failures.push(`${describe(failed.setup)}: ${failed.reason}`);
  const warnings = [
    ...(setup.namespaces ? [] : ["executors share the host's network, process, IPC and UTS namespaces, and its /tmp and /dev/shm (unprivileged user namespaces are not available here): a V8 or engine bug could reach the network and other processes"]),
    ...(setup.namespaces && !setup.privateTmp ? ["executors see the host's /tmp and /dev/shm (a private mount failed)"] : []),
    ...(root && !setup.nobody ? ["executors run as root, like the host: native code in one could read the host's files"] : []),
    ...(setup.namespaces ? [] : ["executors' processes are not limited in number: RLIMIT_NPROC would count every process of their user"]),
    ...confinementWarnings(confinement),
    ...code.warnings,
    ...failures.map((f) => `tried and failed: ${f}`),
  ];
  const report: SandboxReport = {
    namespaces: setup.namespaces,
    privateTmp: setup.privateTmp,
    user: setup.nobody ? `nobody (uid ${NOBODY})` : `the host's user (uid ${process.getuid?.() ?? "?"})`,
    noNewPrivileges: true,
    permissionModel: true,
    environment: "empty",
    shieldedDescriptors: inherited,
    limits: { memory: "watchdog", watchMs: MEMORY_WATCH_MS, processes: setup.namespaces },
    confinement,
    v8,
    warnings,
  };
  return sandboxOf(report, { code, setup, inherited }, limits);
}

const describe = (setup: Setup) => `${setup.namespaces ? (setup.privateTmp ? "namespaces" : "namespaces without private mounts") : "no namespaces"}, ${setup.nobody ? "as nobody" : "as the host's user"}`;

let detected: Promise<Sandbox> | undefined;

export function executorSandbox(code: ExecutorCode): Promise<Sandbox> {
  detected ??= detect(code);
  return detected;
}
