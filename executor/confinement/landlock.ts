/**
 * Landlock: the kernel's unprivileged access control, applied by a process
 * to itself and everything it later runs. The executor may read its code,
 * Node and the system's shared libraries (what loading them needs), its own
 * /proc entries and its memory limits; write /dev/null; run Node; and touch
 * nothing else, whatever its user could. Where the kernel also knows them:
 * no TCP binds or connects, and no signals or abstract unix sockets beyond
 * its own process.
 */
import { closeSync, fstatSync, openSync } from "node:fs";
import { lastError, libc } from "./native.ts";

const SYS_CREATE_RULESET = 444; // the same on x86-64 and arm64
const SYS_ADD_RULE = 445;
const SYS_RESTRICT_SELF = 446;
const CREATE_RULESET_VERSION = 1;
const RULE_PATH_BENEATH = 1;

const EXECUTE = 1 << 0;
const WRITE_FILE = 1 << 1;
const READ_FILE = 1 << 2;
const READ_DIR = 1 << 3;
const TRUNCATE = 1 << 14;
const IOCTL_DEV = 1 << 15;
/** Every filesystem right each ABI version knows, so each is denied unless a rule grants it. */
const HANDLED_FS: Record<number, number> = { 1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1 };
const HANDLED_NET_TCP = 0b11; // bind, connect (ABI 4)
const SCOPED = 0b11; // abstract unix sockets, signals (ABI 6)

export interface FileRules {
  /** Readable (and listable) files and folders. */
  read: string[];
  /** Readable and executable: the programs it may run. */
  execute: string[];
  /** Readable and writable files (devices: with their ioctls). */
  readWrite: string[];
}

/** The Landlock ABI version this kernel offers, or why there is none. */
export function landlockVersion(): number | string {
  const version = Number(libc().createRuleset(SYS_CREATE_RULESET, null, 0, CREATE_RULESET_VERSION));
  return version > 0 ? version : `the kernel has no Landlock here (${lastError()})`;
}

const handledFs = (abi: number) => HANDLED_FS[Math.max(...Object.keys(HANDLED_FS).map(Number).filter((v) => v <= abi))]!;

/**
 * Restricts this thread (and all it runs from now on) to `rules`. Resolves
 * with the ABI version applied; throws with the reason when the kernel does
 * not allow it. Paths that do not exist are skipped.
 */
export function restrictFiles(rules: FileRules): number {
  const abi = landlockVersion();
  if (typeof abi === "string") throw new Error(abi);
  const fs = handledFs(abi);
  const { createRuleset, addPathRule, restrictSelf, close } = libc();
  const attr = { handledFs: fs, handledNet: abi >= 4 ? HANDLED_NET_TCP : 0, scoped: abi >= 6 ? SCOPED : 0 };
  const size = abi >= 6 ? 24 : abi >= 4 ? 16 : 8;
  const ruleset = Number(createRuleset(SYS_CREATE_RULESET, attr, size, 0));
  if (ruleset < 0) throw new Error(`Landlock refused a ruleset (${lastError()})`);
  try {
    const grant = (path: string, access: number) => {
      let fd: number;
      try {
        fd = openSync(path, "r");
      } catch {
        return; // not on this machine
      }
      try {
        // A file takes only the rights that apply to files.
        const allowed = fstatSync(fd).isDirectory() ? access : access & (EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV);
        if (Number(addPathRule(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, { allowed: allowed & fs, parentFd: fd }, 0)) < 0) throw new Error(`Landlock refused a rule for ${path} (${lastError()})`);
      } finally {
        closeSync(fd);
      }
    };
    for (const path of rules.read) grant(path, READ_FILE | READ_DIR);
    for (const path of rules.execute) grant(path, READ_FILE | READ_DIR | EXECUTE);
    for (const path of rules.readWrite) grant(path, READ_FILE | WRITE_FILE | TRUNCATE | IOCTL_DEV);
    if (Number(restrictSelf(SYS_RESTRICT_SELF, ruleset, 0)) < 0) throw new Error(`Landlock could not be applied (${lastError()})`);
  } finally {
    close(ruleset);
  }
  return abi;
}
