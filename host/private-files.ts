/**
 * What a serving host writes is for its own user only: its log holds every
 * tenant's guest output, and an executor runs as `nobody` (or as a user
 * native code in it would share with other local users). Files the host
 * creates get no group or world access (its unix socket is opened to its
 * group explicitly, serve.ts), and a log file it was started with is made
 * private when it is the host user's own and others could read it.
 */
import { fchmodSync, fstatSync } from "node:fs";

/** Sets the process's umask to 077; returns what it made private (stdout and stderr, when they are such files). */
export function keepFilesPrivate(): string[] {
  process.umask(0o077);
  const made: string[] = [];
  for (const [fd, name] of [[1, "stdout"], [2, "stderr"]] as const) {
    try {
      const info = fstatSync(fd);
      if (!info.isFile() || info.uid !== process.getuid?.() || (info.mode & 0o077) === 0) continue;
      fchmodSync(fd, info.mode & 0o700);
      made.push(`${name} (a file that was mode ${(info.mode & 0o777).toString(8)}, now ${(info.mode & 0o700).toString(8)})`);
    } catch {
      // Closed, or not a file whose mode this process may change.
    }
  }
  return made;
}
