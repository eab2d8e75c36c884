import { createHash } from "node:crypto";

/** How a bearer token is known wherever it is checked (host and executor alike): its SHA-256, never itself. */
export const tokenDigest = (token: string): string => createHash("sha256").update(token).digest("hex");
