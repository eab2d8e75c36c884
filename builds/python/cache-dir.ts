import { homedir } from "node:os";
import { join } from "node:path";

/** Interpreter and native builds are shared by every store on the machine: minutes once, then reused. */
export const interpreterCacheDir = (): string => process.env.VIAL_CACHE_DIR ?? join(homedir(), ".cache", "vial");
