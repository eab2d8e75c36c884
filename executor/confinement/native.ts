/**
 * The C functions the confinement layers call, through koffi (a foreign
 * function interface with prebuilt binaries): libc's prctl, syscall and
 * execve, and libseccomp, which compiles syscall rules to the kernel's
 * filter programs for whatever architecture this is. Loaded on first use.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import type * as Koffi from "koffi";

/** Set by the executor's bundler: koffi's folder as the host resolved it (a bundle lives away from node_modules). */
declare const VIAL_KOFFI_FOLDER: string | undefined;

/** koffi's installed folder. */
export function koffiFolder(): string {
  if (typeof VIAL_KOFFI_FOLDER !== "undefined") return VIAL_KOFFI_FOLDER;
  return join(createRequire(import.meta.url).resolve("koffi/package.json"), "..");
}

let koffi: typeof Koffi | undefined;

function ffi(): typeof Koffi {
  koffi ??= createRequire(import.meta.url)(join(koffiFolder(), "index.js")) as typeof Koffi;
  return koffi;
}

/** The errno the last call left, as its name where known ("EPERM"). */
export function lastError(): string {
  const code = ffi().errno();
  return ERRNO_NAMES[code] ?? `errno ${code}`;
}

const ERRNO_NAMES: Record<number, string> = { 1: "EPERM", 2: "ENOENT", 3: "ESRCH", 13: "EACCES", 22: "EINVAL", 38: "ENOSYS", 95: "EOPNOTSUPP", 97: "EAFNOSUPPORT" };

function libcBindings() {
  const k = ffi();
  const libc = k.load("libc.so.6");
  k.struct("vial_landlock_ruleset_attr", { handledFs: "uint64", handledNet: "uint64", scoped: "uint64" });
  k.pack("vial_landlock_path_beneath_attr", { allowed: "uint64", parentFd: "int32" });
  return {
    prctl: libc.func("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)"),
    /** landlock_create_ruleset(attr, size, flags) */
    createRuleset: libc.func("long syscall(long, _In_ vial_landlock_ruleset_attr *, size_t, uint32_t)"),
    /** landlock_add_rule(ruleset, LANDLOCK_RULE_PATH_BENEATH, attr, 0) */
    addPathRule: libc.func("long syscall(long, int, int, _In_ vial_landlock_path_beneath_attr *, uint32_t)"),
    /** landlock_restrict_self(ruleset, flags) */
    restrictSelf: libc.func("long syscall(long, int, uint32_t)"),
    close: libc.func("int close(int)"),
    read: libc.func("long read(int, _Out_ uint8_t *, size_t)"),
    execve: libc.func("int execve(const char *, const char **, const char **)"),
    fcntl: libc.func("int fcntl(int, int, ...)"),
    open: libc.func("int open(const char *, int)"),
    // For the probe: what native code that escaped V8 would try.
    socket: libc.func("int socket(int, int, int)"),
    kill: libc.func("int kill(int, int)"),
  };
}

function seccompBindings() {
  const k = ffi();
  const lib = k.load("libseccomp.so.2");
  k.struct("vial_scmp_arg_cmp", { arg: "uint32", op: "int", datumA: "uint64", datumB: "uint64" });
  return {
    init: lib.func("void *seccomp_init(uint32_t)"),
    attrSet: lib.func("int seccomp_attr_set(void *, int, uint32_t)"),
    resolveName: lib.func("int seccomp_syscall_resolve_name(const char *)"),
    ruleAdd: lib.func("int seccomp_rule_add_array(void *, uint32_t, int, unsigned int, _In_ vial_scmp_arg_cmp *)"),
    load: lib.func("int seccomp_load(void *)"),
    release: lib.func("void seccomp_release(void *)"),
  };
}

let libcLoaded: ReturnType<typeof libcBindings> | undefined;
let seccompLoaded: ReturnType<typeof seccompBindings> | undefined;

export const libc = () => (libcLoaded ??= libcBindings());

/** A small file read by the C library, where Node's permission model does not let Node read it (/proc/self/status). */
export function readSmallFile(path: string): string | undefined {
  const { open, read, close } = libc();
  const fd = open(path, 0);
  if (fd < 0) return undefined;
  const buffer = Buffer.alloc(64 * 1024);
  try {
    const length = Number(read(fd, buffer, buffer.length));
    return length < 0 ? undefined : buffer.subarray(0, length).toString("utf8");
  } finally {
    close(fd);
  }
}
export const libseccomp = () => (seccompLoaded ??= seccompBindings());
