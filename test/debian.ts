/** Debian packages the tests need (the Python fixtures, the browser), installed by the tests themselves. */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** A Debian package's files, installed if missing. */
export function ensureDebianPackage(pkg: string, path: string): string {
  if (!existsSync(path)) {
    const apt = (...args: string[]) =>
      // Builds in other test files may be installing too: wait for apt's lock.
      execFileSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", ...args], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    const install = () => apt("install", "-y", "-q", "--no-install-recommends", pkg);
    try {
      install();
    } catch {
      apt("update", "-q"); // a fresh machine has no package lists yet
      install();
    }
  }
  return path;
}
