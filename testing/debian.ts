/** Debian packages the tests need (the Python fixtures, the browser, the load balancer), installed by the tests themselves. */
import { existsSync } from "node:fs";
import { installDebianPackages } from "../builds/debian-packages.ts";

/** A Debian package's files, installed if missing. */
export function ensureDebianPackage(pkg: string, path: string): string {
  if (!existsSync(path)) installDebianPackages([pkg]);
  return path;
}
