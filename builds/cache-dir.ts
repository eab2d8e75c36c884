import { homedir } from "node:os";
import { join } from "node:path";

/** Builds shared by every store on the machine (interpreters, native packages, image bases, Node releases): minutes once, then reused. */
export const buildCacheDir = (): string => process.env.VIAL_CACHE_DIR ?? join(homedir(), ".cache", "vial");
