/**
 * The executor's last step before Node: `launcher.mjs <layers> -- node ...`
 * sets no-new-privileges, restricts files with Landlock and denies system
 * calls with seccomp, on itself, then becomes the executor by exec: Landlock
 * holds only for threads made after it, and the executor's Node starts its
 * threads before any of its code could apply it. What held and what could
 * not goes to the executor in VIAL_CONFINEMENT, for its report.
 */
import { libc, lastError } from "./native.ts";
import { restrictFiles, type FileRules } from "./landlock.ts";
import { DENIED_FROM_START, denySyscalls } from "./seccomp.ts";
import { CONFINEMENT_ENV, type AppliedLayers } from "./layers.ts";

const PR_SET_NO_NEW_PRIVS = 38;
const F_SETFD = 2;

const attempt = <T>(layer: () => T): T | string => {
  try {
    return layer();
  } catch (error) {
    return (error as Error).message;
  }
};

function main(): never {
  // The descriptors the executor is given: stdio, its channel to the host (executor/channel.ts), and its own socket where it has one (executor/direct/).
  const [rulesJson, descriptors, separator, program, ...args] = process.argv.slice(2);
  const passedOn = descriptors?.split(",").map(Number) ?? [];
  if (!rulesJson || !passedOn.every((fd) => Number.isInteger(fd) && fd >= 0) || separator !== "--" || !program) {
    process.stderr.write("usage: launcher.mjs <file rules as JSON> <descriptors passed on, as 0,1,2,3> -- <program> [args...]\n");
    process.exit(2);
  }
  const rules = JSON.parse(rulesJson) as FileRules;
  const { prctl, execve, fcntl } = libc();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) !== 0) throw new Error(`no-new-privileges could not be set (${lastError()})`);
  const applied: AppliedLayers = {
    landlock: attempt(() => restrictFiles(rules)),
    seccomp: attempt(() => (denySyscalls(DENIED_FROM_START, { others: true }), true as const)),
  };
  const env = Object.entries({ ...process.env, [CONFINEMENT_ENV]: JSON.stringify(applied) }).map(([k, v]) => `${k}=${v}`);
  // Node marked every descriptor close-on-exec when it started.
  for (const fd of passedOn) fcntl(fd, F_SETFD, "int", 0);
  execve(program, [program, ...args, null], [...env, null]);
  throw new Error(`cannot run ${program} (${lastError()})`);
}

try {
  main();
} catch (error) {
  process.stderr.write(`vial executor launcher: ${(error as Error).message}\n`);
  process.exit(126);
}
