/**
 * The command an executor starts with, one layer per program, each doing
 * its part and exec'ing the next (so the executor ends up the same process
 * with every layer applied):
 *
 *   nice -n 10                         below the host in the scheduler
 *   unshare --user ... --ipc --uts     namespaces of its own (where the machine allows them)
 *   sh -c <private mounts>             a /tmp and /dev/shm of its own, its code read-only (with the namespaces)
 *   setpriv --no-new-privs             no privileges gained by exec; no capabilities left in its namespace
 *   prlimit --data --nofile --nproc    its resource limits
 *   node launcher.mjs <files> <fds> -- no-new-privileges, Landlock and seccomp, set by the process on itself;
 *                                      only the descriptors it is given pass on
 *                                      (executor/confinement: these need no privilege, so they hold in any pod)
 *   node --permission ...              the executor, under Node's permission model
 *
 * util-linux (unshare, setpriv, prlimit, mount) and a POSIX shell are all it
 * needs; every program but the last node exits into the next within
 * milliseconds (the launcher's Node in about 40).
 */
import { spawn, type SpawnOptions, type StdioOptions } from "node:child_process";
import { dirname } from "node:path";
import { ENGINES, type EngineKind } from "../runtime/engines/index.ts";
import type { ExecutorCode } from "./code.ts";
import type { ExecutorLimits } from "./limits.ts";
import { shieldedStdio } from "./descriptors.ts";
import { EXECUTOR_MALLOC_ENV } from "../runtime/malloc-env.ts";
import type { FileRules } from "../executor/confinement/landlock.ts";

export const NOBODY = 65534;
export const EXECUTOR_NICENESS = 10;
/**
 * The executor's only environment variables, none of the host's: malloc's
 * settings (malloc-env.ts), and UTC as the guests' time zone, which V8 would
 * otherwise take from the machine's (the WebAssembly engines know only UTC).
 */
export const EXECUTOR_ENV = { ...EXECUTOR_MALLOC_ENV, TZ: "UTC" };
const NAMESPACES = ["--user", "--map-root-user", "--net", "--pid", "--ipc", "--uts", "--fork", "--kill-child", "--mount-proc"];
/** How large an executor's own /tmp and /dev/shm may grow (memory the watchdog would not see). */
const PRIVATE_TMP_SIZE = "1m";
/**
 * Run as root of the new user namespace, before any capability is dropped,
 * with the folders to keep as arguments, then `--` and the command: a tmpfs
 * over /tmp and one over /dev/shm hide the host's, then each folder is bound
 * back at its own path, read-only (one under /tmp or /dev/shm from the
 * hidden one, reached through a descriptor opened before it was hidden).
 */
const PRIVATE_MOUNTS = `
exec 8</dev/shm 9</tmp &&
mount -n -t tmpfs -o mode=0755,size=${PRIVATE_TMP_SIZE},nosuid,nodev,noexec vial /tmp &&
mount -n -t tmpfs -o mode=0755,size=${PRIVATE_TMP_SIZE},nosuid,nodev,noexec vial /dev/shm || exit
while [ "$1" != -- ]; do
  case "$1" in
    /tmp/*) from="/proc/self/fd/9/\${1#/tmp/}" ;;
    /dev/shm/*) from="/proc/self/fd/8/\${1#/dev/shm/}" ;;
    *) from="$1" ;;
  esac
  mount -n --no-canonicalize --bind -o ro,X-mount.mkdir "$from" "$1" || exit
  shift
done
shift
unset PWD from
exec "$@" 8<&- 9<&-`;
const hidden = (path: string) => path.startsWith("/tmp/") || path.startsWith("/dev/shm/");

/**
 * An executor's heap may grow to 1.5x what was live after its last full
 * collection (V8 otherwise lets a small heap grow up to 4x): a large batch
 * leaves a few hundred MiB of garbage, and under a flood of them the
 * flooded executor peaked at 450 MiB instead of 300, for the same batches
 * served. A process-wide V8 flag: the isolates' heaps follow it too.
 */
const HEAP_GROWTH = "--heap-growing-percent=50";
const PERMISSION_FLAG = process.allowedNodeEnvironmentFlags.has("--permission") ? "--permission" : "--experimental-permission";

/** What the machine allows, as detected (sandbox.ts). */
export interface Setup {
  namespaces: boolean;
  /** A /tmp and /dev/shm of its own (needs the namespaces). */
  privateTmp: boolean;
  nobody: boolean;
  /** The launcher's layers (the machine may not load them: koffi or libseccomp missing). */
  confined: boolean;
}

/**
 * Shared libraries, for the dynamic loader starting Node and for the addons
 * the executor loads. Executable: the kernel checks the right on the loader
 * too (which could then start any program, but the running executor denies
 * itself exec).
 */
const SYSTEM_LIBRARIES = ["/lib", "/lib64", "/usr/lib", "/usr/lib64", "/etc/ld.so.cache"];

/**
 * What Landlock lets an executor touch: its code, Node, the shared libraries,
 * its own /proc entries, the memory figures libuv sizes heaps from
 * (/proc/meminfo, the cgroup's limits), OpenSSL's configuration and
 * /dev/null, which Node reads and opens at start.
 */
export const executorFiles = (code: ExecutorCode): FileRules => ({
  read: [...code.readable, "/proc/self", "/proc/meminfo", "/sys/fs/cgroup", "/etc/ssl/openssl.cnf"],
  execute: [process.execPath, ...SYSTEM_LIBRARIES],
  readWrite: ["/dev/null"],
});

export interface LaunchCommand {
  command: string;
  args: string[];
  options: SpawnOptions;
  /** The host's descriptors it replaces with /dev/null (for a caller that sets stdio of its own: launchStdio). */
  inherited: number[];
}

export interface LaunchSpec {
  code: ExecutorCode;
  setup: Setup;
  limits: ExecutorLimits;
  /** The host's descriptors without close-on-exec (descriptors.ts). */
  inherited: number[];
}

/** The stdio of a launch with `stdio`, every descriptor the host would pass on replaced (descriptors.ts). */
export const launchStdio = (stdio: Exclude<StdioOptions, string>, spec: Pick<LaunchSpec, "inherited">) => shieldedStdio(stdio, spec.inherited);

export interface LaunchOptions {
  /** How far below the host the process runs in the scheduler (default 10). */
  niceness?: number;
  /** A listening socket the executor serves callers on itself (executor/direct/): its descriptor here. */
  directFd?: number;
}

/** Where an executor finds its own socket's listener (executor/direct/). */
export const DIRECT_FD = 4;

export function launchCommand(spec: LaunchSpec, engine: EngineKind, entryArgs: string[], { niceness = EXECUTOR_NICENESS, directFd }: LaunchOptions = {}): LaunchCommand {
  // Stderr is read by the host; descriptor 3 is the channel to it (executor/channel.ts), 4 its own socket if it has one.
  const stdio: Exclude<StdioOptions, string> = ["ignore", "ignore", "pipe", "pipe", ...(directFd === undefined ? [] : [directFd])];
  const { code, setup, limits } = spec;
  const node = [
    process.execPath,
    "--no-warnings",
    HEAP_GROWTH,
    PERMISSION_FLAG,
    ...code.readable.map((dir) => `--allow-fs-read=${dir}`),
    ...ENGINES[engine].nodeFlags({ confined: setup.confined }),
    ...entryArgs,
  ];
  const descriptors = stdio.map((_, fd) => fd).join(",");
  const confined = setup.confined ? [process.execPath, "--no-warnings", code.launcher, JSON.stringify(executorFiles(code)), descriptors, "--", ...node] : node;
  // The process count is per user: only in a user namespace of its own is it this executor's alone.
  const rlimits = ["prlimit", `--data=${limits.dataBytes}`, `--nofile=${limits.descriptors}`, ...(setup.namespaces ? [`--nproc=${limits.processes}`] : []), "--"];
  // Root of its namespace (or the host's root user) holds capabilities until they are dropped here; `nobody` has none.
  const holdsCapabilities = setup.namespaces || (!setup.nobody && process.getuid?.() === 0);
  const privileges = ["setpriv", "--no-new-privs", ...(holdsCapabilities ? ["--bounding-set=-all", "--inh-caps=-all"] : []), "--"];
  const executor = [...privileges, ...rlimits, ...confined];
  // Its code, read-only even to root of its namespace; and whatever else it needs that the private mounts hide.
  const kept = [...new Set([code.dir, ...[...code.readable, dirname(process.execPath)].filter(hidden)])];
  const mounted = setup.privateTmp ? ["sh", "-c", PRIVATE_MOUNTS, "vial-executor", ...kept, "--", ...executor] : executor;
  const isolated = setup.namespaces ? ["unshare", ...NAMESPACES, "--", ...mounted] : executor;
  const options: SpawnOptions = {
    env: EXECUTOR_ENV,
    cwd: "/",
    stdio: launchStdio(stdio, spec),
    ...(setup.nobody ? { uid: NOBODY, gid: NOBODY } : {}),
  };
  // Below the host in the scheduler (every thread inherits it): routing, health checks and other environments'
  // answers come before a flooded environment's work.
  return { command: "nice", args: ["-n", String(niceness), ...isolated], options, inherited: spec.inherited };
}

/** Runs a probe program the way an executor would run; resolves with what it printed, or rejects. */
export function runProbe(command: LaunchCommand): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command.command, command.args, { ...command.options, stdio: launchStdio(["ignore", "pipe", "pipe"], command) });
    let out = "";
    let err = "";
    child.stdout!.on("data", (chunk: Buffer) => (out += chunk));
    child.stderr!.on("data", (chunk: Buffer) => (err += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(probeFailure(err) || `exit code ${code}`))));
  });
}

/** What a failed probe said: the thrown error's line where Node printed one (its last lines name only Node's version), else its last lines. */
function probeFailure(stderr: string): string {
  const lines = stderr.trim().split("\n").filter((line) => line.trim() && !/^Node\.js v/.test(line));
  return lines.find((line) => /^[A-Za-z]*Error\b/.test(line)) ?? lines.slice(-2).join(" ");
}
