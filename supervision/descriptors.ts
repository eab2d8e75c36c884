/**
 * Executors inherit no descriptor of the host's but their channel and
 * stdio. A descriptor opened without close-on-exec (one the host was given
 * by whoever started it: `exec 7<secret` in a shell, a supervisor's pipe)
 * would otherwise survive into every executor, where the permission model
 * does not stop a read through it. Each such descriptor gets /dev/null in
 * its place in the spawn's stdio, so the child's copy is replaced before it
 * runs anything; the child's own descriptors are left alone.
 */
import { openSync, readdirSync, readFileSync } from "node:fs";
import type { StdioOptions } from "node:child_process";

/** The close-on-exec bit of the `flags:` field of /proc/<pid>/fdinfo/<fd> (octal). */
const O_CLOEXEC = 0o2000000;

/** The host's descriptors above stdio that lack close-on-exec (none where /proc cannot tell). */
export function inheritableDescriptors(): number[] {
  let fds: string[];
  try {
    fds = readdirSync("/proc/self/fd");
  } catch {
    return [];
  }
  const open: number[] = [];
  for (const name of fds) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const flags = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"))?.[1];
      if (flags !== undefined && (parseInt(flags, 8) & O_CLOEXEC) === 0) open.push(fd);
    } catch {
      // Closed meanwhile (the listing's own descriptor among them).
    }
  }
  return open.sort((a, b) => a - b);
}

let devNull: number | undefined;

/**
 * `stdio` extended with /dev/null at every one of `descriptors` it does not
 * already set: libuv dup2s it over the child's copy before exec.
 */
export function shieldedStdio(stdio: Exclude<StdioOptions, string>, descriptors: number[]): StdioOptions {
  const extra = descriptors.filter((fd) => fd >= stdio.length);
  if (extra.length === 0) return stdio;
  devNull ??= openSync("/dev/null", "r"); // opened close-on-exec, like everything Node opens
  const shielded = [...stdio];
  for (let fd = stdio.length; fd <= extra.at(-1)!; fd++) shielded.push(extra.includes(fd) ? devNull : "ignore");
  return shielded;
}
