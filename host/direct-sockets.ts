/**
 * The host's rules for executors' own sockets (supervision/direct-socket.ts):
 * where they go, and the tokens, limits and deadlines each executor serves
 * callers by, taken from the host's config so that a caller there meets the
 * host's answers.
 */
import { mkdirSync, statSync } from "node:fs";
import { tokenDigest } from "../runtime/token-digest.ts";
import type { HostConfig } from "./config.ts";
import type { DirectSockets } from "../supervision/direct-socket.ts";
import { executorLimits } from "../supervision/limits.ts";

export type DirectConfig = Pick<HostConfig, "directSockets" | "tokens" | "adminToken" | "bodyLimitBytes" | "environmentBufferLimitBytes" | "headersTimeoutMs" | "keepAliveTimeoutMs">;

export function directSockets(config: DirectConfig): DirectSockets | undefined {
  const folder = config.directSockets;
  if (!folder) return undefined;
  // Private to the host's user and group: whoever may open a socket there may call its environment.
  mkdirSync(folder, { recursive: true, mode: 0o750 });
  // A folder others may write to lets them put a socket of their own in an environment's place.
  if (statSync(folder).mode & 0o002) {
    throw new Error(`the directSockets folder ${folder} may be written by every user, who could put their own socket in an environment's place: make it writable by the host's user only (chmod o-w ${folder})`);
  }
  const grants = Object.entries(config.tokens).map(([token, envs]) => ({ digest: tokenDigest(token), envs }));
  const admin = config.adminToken ? [tokenDigest(config.adminToken)] : [];
  return {
    folder,
    rules: (env, policy) => ({
      tokens: {
        allowed: [...admin, ...grants.filter((g) => g.envs.includes("*") || g.envs.includes(env)).map((g) => g.digest)],
        refused: grants.filter((g) => !g.envs.includes("*") && !g.envs.includes(env)).map((g) => g.digest),
        open: grants.length === 0,
      },
      bodyLimitBytes: config.bodyLimitBytes,
      bufferLimitBytes: config.environmentBufferLimitBytes,
      deadlineMs: policy.deadlineMs,
      headersTimeoutMs: config.headersTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      // Half of what the executor may open: its instances, files and channel keep the rest.
      maxConnections: Math.floor(executorLimits(policy).descriptors / 2),
    }),
  };
}
