/**
 * Debian packages the project's own commands and tests install where they
 * are missing (the container engine, HAProxy, the browser, native Python
 * packages): apt-get install, and on failure the package lists updated
 * first (a fresh machine has none) and the install tried again.
 */
import { spawnSync } from "node:child_process";

/** Waits for apt's lock (other builds may be installing) and retries a download that failed once. */
const APT = ["-o", "DPkg::Lock::Timeout=600", "-o", "Acquire::Retries=2"];

function apt(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync("apt-get", [...APT, ...args], { encoding: "utf8", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? result.error.message : ""}` };
}

/** Installs `packages`; throws with apt's last lines when it cannot. */
export function installDebianPackages(packages: string[]): void {
  const install = ["install", "-y", "-q", "--no-install-recommends", ...packages];
  if (apt(install).ok) return;
  for (const [what, args] of [["apt-get update", ["update", "-q"]], [`apt-get install ${packages.join(" ")}`, install]] as const) {
    const { ok, output } = apt([...args]);
    if (!ok) throw new Error(`${what} failed:\n${output.trim().split("\n").slice(-12).join("\n")}`);
  }
}
