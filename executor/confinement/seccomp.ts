/**
 * Seccomp filters of the executor's own, stacked on whatever the container
 * runtime installed: every thread of the process, and everything it runs,
 * gets EPERM from the system calls a V8 escape would reach for and an
 * executor never makes. A deny list over Node's own needs: the calls Node,
 * V8 and libuv make vary by version, and an allow list that misses one
 * fails executors at random.
 */
import { lastError, libseccomp } from "./native.ts";

const ACT_ALLOW = 0x7fff0000;
const actErrno = (errno: number) => 0x00050000 | errno;
const EPERM = 1;
const ENOSYS = 38;
const ATTR_TSYNC = 4; // every thread of the process, not only the caller
const CMP_NE = 1;
const CMP_MASKED_EQ = 7;

/** What the executor never needs, from before Node starts. */
export const DENIED_FROM_START = [
  // the network: no socket but the channel and stdio it was given
  "socket", "socketpair",
  // other processes: tracing, reading or writing their memory, taking their descriptors
  "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp", "process_madvise",
  // the filesystem's structure
  "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount", "fsconfig", "fspick", "mount_setattr",
  "name_to_handle_at", "open_by_handle_at",
  // namespaces (clone's namespace flags below)
  "unshare", "setns",
  // the kernel's keyrings, BPF, performance counters, io_uring, userfaultfd
  "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
  // the machine
  "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff", "acct", "syslog", "quotactl",
  "iopl", "ioperm",
];

/** What it needs only to start Node: denied by the executor itself once it runs. */
export const DENIED_ONCE_RUNNING = ["execve", "execveat"];

/** clone's flags that make new namespaces: CLONE_NEWTIME, NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
const CLONE_NAMESPACE_FLAGS = [0x80, 0x20000, 0x2000000, 0x4000000, 0x8000000, 0x10000000, 0x20000000, 0x40000000];

/**
 * Installs one filter denying `names` on every thread; with `others`, also
 * clone into new namespaces and limits set on other processes. Throws with
 * the reason.
 */
export function denySyscalls(names: string[], opts: { others?: boolean } = {}): void {
  const seccomp = libseccomp();
  const filter = seccomp.init(ACT_ALLOW);
  if (!filter) throw new Error("libseccomp could not make a filter");
  try {
    const check = (result: number, what: string) => {
      if (result < 0) throw new Error(`libseccomp refused ${what} (${-result})`);
    };
    check(seccomp.attrSet(filter, ATTR_TSYNC, 1), "synchronising threads");
    for (const name of names) {
      const nr = seccomp.resolveName(name);
      if (nr < 0) continue; // not a system call of this architecture
      check(seccomp.ruleAdd(filter, actErrno(EPERM), nr, 0, null), name);
    }
    if (opts.others) {
      const clone = seccomp.resolveName("clone");
      for (const flag of CLONE_NAMESPACE_FLAGS) check(seccomp.ruleAdd(filter, actErrno(EPERM), clone, 1, [{ arg: 0, op: CMP_MASKED_EQ, datumA: flag, datumB: flag }]), "clone's namespace flags");
      // clone3 passes its flags in memory a filter cannot read: without it, the C library falls back to clone.
      check(seccomp.ruleAdd(filter, actErrno(ENOSYS), seccomp.resolveName("clone3"), 0, null), "clone3");
      // Its own limits only (pid 0): another process of its user's (the host's) could otherwise be lowered to nothing.
      check(seccomp.ruleAdd(filter, actErrno(EPERM), seccomp.resolveName("prlimit64"), 1, [{ arg: 0, op: CMP_NE, datumA: 0, datumB: 0 }]), "prlimit64");
    }
    const loaded = seccomp.load(filter);
    if (loaded < 0) throw new Error(`the kernel refused the seccomp filter (${-loaded}, ${lastError()})`);
  } finally {
    seccomp.release(filter);
  }
}
