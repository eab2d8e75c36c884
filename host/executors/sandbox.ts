/**
 * How an executor process is cordoned off, decided once per host process by
 * trying it: the strongest setup that starts (and runs V8) on this machine
 * is kept, and what it lacks is reported.
 *
 * - Node's permission model: reads of its own code only, no writes, no child
 *   processes, workers only for component threads, addons only for V8.
 * - An empty environment and `/` as working directory.
 * - Where unprivileged user namespaces work (`unshare`): its own user,
 *   network and process namespaces: no network interface at all, and no
 *   other process (the host, other executors) visible, signalable or
 *   traceable.
 * - When the host runs as root: the unprivileged user `nobody`, so not even
 *   native code in the executor can read the host's private files.
 */
import { spawn, type SpawnOptions } from "node:child_process";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { EngineKind } from "../../runtime/instantiate.ts";
import type { ExecutorCode } from "./code.ts";
import { EXECUTOR_MALLOC_ENV } from "../malloc-env.ts";

const NOBODY = 65534;
const EXECUTOR_NICENESS = 10;
/** The executor's only environment variables, none of the host's: malloc's settings (malloc-env.ts). */
export const EXECUTOR_ENV = EXECUTOR_MALLOC_ENV;
const NAMESPACES = ["--user", "--map-root-user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"];
/**
 * An executor's heap may grow to 1.5x what was live after its last full
 * collection (V8 otherwise lets a small heap grow up to 4x): a large batch
 * leaves a few hundred MiB of garbage, and under a flood of them the
 * flooded executor peaked at 450 MiB instead of 300, for the same batches
 * served. A process-wide V8 flag: the isolates' heaps follow it too.
 */
const HEAP_GROWTH = "--heap-growing-percent=50";
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";

interface Setup {
  namespaces: boolean;
  nobody: boolean;
}

export interface SandboxReport {
  /** Own user, network (no interfaces) and process namespaces. */
  namespaces: boolean;
  /** Who executors run as. */
  user: string;
  /** Node's permission model (own code readable, nothing writable, no child processes). */
  permissionModel: true;
  environment: "empty";
  /** Whether executors can run the V8 engine, or why not. */
  v8: { available: true; /** The isolated-vm line that loads: "isolated-vm-6 6.2.0". */ isolatedVm: string } | { available: false; reason: string };
  warnings: string[];
}

export interface LaunchCommand {
  command: string;
  args: string[];
  options: SpawnOptions;
}

export interface Sandbox {
  report: SandboxReport;
  /** `niceness` (default 10): how far below the host the process runs in the scheduler. */
  launch(engine: EngineKind, entryArgs: string[], niceness?: number): LaunchCommand;
}

function launcher(code: ExecutorCode, setup: Setup) {
  return (engine: EngineKind, entryArgs: string[], niceness = EXECUTOR_NICENESS): LaunchCommand => {
    const node = [
      "--no-warnings",
      HEAP_GROWTH,
      PERMISSION_FLAG,
      ...code.readable.map((dir) => `--allow-fs-read=${dir}`),
      ...(engine === "v8" ? ["--allow-addons"] : ["--allow-worker", "--no-wasm-lazy-compilation"]),
      ...entryArgs,
    ];
    const options: SpawnOptions = {
      env: EXECUTOR_ENV,
      cwd: "/",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      serialization: "advanced",
      ...(setup.nobody ? { uid: NOBODY, gid: NOBODY } : {}),
    };
    const inner = setup.namespaces ? ["unshare", ...NAMESPACES, "--", process.execPath, ...node] : [process.execPath, ...node];
    // Below the host in the scheduler (every thread inherits it): routing, health checks and other environments'
    // answers come before a flooded environment's work.
    return { command: "nice", args: ["-n", String(niceness), ...inner], options };
  };
}

/** Runs a probe program the way an executor would run; resolves with what it printed, or rejects. */
export function runProbe(command: LaunchCommand): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, command.args, { ...command.options, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk));
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(err.trim().split("\n").slice(-2).join(" ") || `exit code ${code}`))));
  });
}

/** Loads the first of isolated-vm's folders that loads (as the executor's loader does), runs an isolate; prints the answer and the folder. */
const V8_PROBE = (folders: string[]) =>
  `let ivm, from, failed = []; for (const f of ${JSON.stringify(folders)}) { try { ivm = require(f + "/isolated-vm.js"); from = f; break; } catch (e) { failed.push(String(e.message).split("\\n")[0]); } }` +
  ` if (!ivm) throw new Error(failed.join("; ")); const i = new ivm.Isolate({ memoryLimit: 8 }); process.stdout.write(String(i.compileScriptSync("6*7").runSync(i.createContextSync())) + "\\n" + from);`;

async function v8Availability(launch: Sandbox["launch"], code: ExecutorCode): Promise<SandboxReport["v8"]> {
  try {
    if (code.isolatedVm.length === 0) throw new Error(`isolated-vm is not installed for Node ${process.versions.node}`);
    const [answer, folder] = (await runProbe(launch("v8", ["-e", V8_PROBE(code.isolatedVm)]))).split("\n");
    if (answer !== "42" || !folder) throw new Error("an isolate did not compute");
    const { version } = JSON.parse(readFileSync(join(folder, "package.json"), "utf8")) as { version: string };
    return { available: true, isolatedVm: `${basename(folder)} ${version}` };
  } catch (error) {
    return { available: false, reason: `isolated-vm cannot run in an executor here (${(error as Error).message})` };
  }
}

async function detect(code: ExecutorCode): Promise<Sandbox> {
  const root = process.getuid?.() === 0;
  const setups: Setup[] = [
    { namespaces: true, nobody: root },
    ...(root ? [{ namespaces: true, nobody: false }] : []),
    { namespaces: false, nobody: root },
    ...(root ? [{ namespaces: false, nobody: false }] : []),
  ];
  const failures: string[] = [];
  for (const setup of setups) {
    const launch = launcher(code, setup);
    try {
      await runProbe(launch("component", ["-e", "process.exit(0)"]));
    } catch (error) {
      failures.push(`${describe(setup)}: ${(error as Error).message}`);
      continue;
    }
    const v8 = await v8Availability(launch, code);
    const warnings = [
      ...(setup.namespaces ? [] : ["executors share the host's network and process namespaces (unprivileged user namespaces are not available here): a V8 or engine bug could reach the network and other processes"]),
      ...(root && !setup.nobody ? ["executors run as root, like the host: native code in one could read the host's files"] : []),
      ...failures.map((f) => `tried and failed: ${f}`),
    ];
    return {
      report: { namespaces: setup.namespaces, user: setup.nobody ? `nobody (uid ${NOBODY})` : `the host's user (uid ${process.getuid?.() ?? "?"})`, permissionModel: true, environment: "empty", v8, warnings },
      launch,
    };
  }
  throw new Error(`no executor can start on this machine: ${failures.join("; ")}`);
}

const describe = (setup: Setup) => `${setup.namespaces ? "namespaces" : "no namespaces"}, ${setup.nobody ? "as nobody" : "as the host's user"}`;

let detected: Promise<Sandbox> | undefined;

export function executorSandbox(code: ExecutorCode): Promise<Sandbox> {
  detected ??= detect(code);
  return detected;
}
