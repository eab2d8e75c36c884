/**
 * Host configuration: a JSON file (`--config vial.config.json`), then
 * environment variables, then command-line flags, later ones winning.
 *
 *   {
 *     "store": ".vial", "host": "127.0.0.1", "port": 8787, "socket": "/run/vial.sock", "directSockets": "/run/vial/direct",
 *     "bodyLimitBytes": 8388608, "bufferLimitBytes": 268435456, "environmentBufferLimitBytes": 134217728,
 *     "discardBytesPerSecond": 67108864, "headersTimeoutMs": 10000, "stalledResponseMs": 10000, "watchPollMs": 1000,
 *     "maxConnections": 16384, "maxConnectionsPerClient": 4096, "anonymousIdleTimeoutMs": 5000, "keepAliveTimeoutMs": 65000,
 *     "pool": { "size": 2, "maxQueue": 64, "deadlineMs": 1000, "memoryMiB": 256, "outputLimitBytes": 33554432, "engine": "v8" },
 *     "environments": { "fuzzy": { "size": 4, "deadlineMs": 200 } },
 *     "tokens": { "s3cret": ["fuzzy"], "ops-token": ["*"] },
 *     "adminToken": "...", "logLevel": "info"
 *   }
 */
import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { VialError } from "../builds/errors.ts";
import type { PoolSettings } from "../supervision/policy.ts";
import { ENGINE_KINDS } from "../runtime/engines/index.ts";

/** Bearer token -> environments it may invoke ("*" for all). */
export type TokenGrants = Record<string, string[]>;

export interface HostConfig {
  store?: string;
  host: string;
  port: number;
  socket?: string;
  /** A folder where each environment's executor also serves callers itself, at `<env>.sock` (supervision/direct-socket.ts). */
  directSockets?: string;
  bodyLimitBytes: number;
  /** Body bytes (requests being read or served, answers being sent) the host holds at most, for all environments... */
  bufferLimitBytes: number;
  /** ...and for any one environment. */
  environmentBufferLimitBytes: number;
  /** How fast the bodies of refused requests are read and dropped, all together (a flood costs the host no more). */
  discardBytesPerSecond: number;
  /** A client that has not sent its request headers after this long is cut off. */
  headersTimeoutMs: number;
  /** A finished answer its client has not taken after this long is dropped with its connection. */
  stalledResponseMs: number;
  /** Open connections at most, in all and per client address; unset: derived from the descriptors the process may open (host/connection-limits.ts). */
  maxConnections?: number;
  maxConnectionsPerClient?: number;
  /** A connection that has not carried an authenticated request is closed once idle this long. */
  anonymousIdleTimeoutMs: number;
  /** How long a connection that did stays open between requests. */
  keepAliveTimeoutMs: number;
  /** How often current.json is re-read, in case a file-system event was missed. */
  watchPollMs: number;
  /** How long a shutdown waits for in-flight calls. */
  drainTimeoutMs: number;
  pool: PoolSettings;
  environments: Record<string, PoolSettings>;
  /** Empty: no authentication (fine on loopback or a private unix socket). */
  tokens: TokenGrants;
  adminToken?: string;
  logLevel: string;
}

/** A 64th of the machine's memory, between 32 and 256 MiB: room for a few dozen large batches, far from the machine's limit. */
const DEFAULT_BUFFER_LIMIT = Math.min(256 * 2 ** 20, Math.max(32 * 2 ** 20, Math.floor(totalmem() / 64)));

export const DEFAULT_CONFIG: HostConfig = {
  host: "127.0.0.1",
  port: 8787,
  bodyLimitBytes: 8 * 2 ** 20,
  bufferLimitBytes: DEFAULT_BUFFER_LIMIT,
  environmentBufferLimitBytes: Math.floor(DEFAULT_BUFFER_LIMIT / 2),
  discardBytesPerSecond: 64 * 2 ** 20,
  headersTimeoutMs: 10_000,
  stalledResponseMs: 10_000,
  anonymousIdleTimeoutMs: 5000,
  keepAliveTimeoutMs: 65_000,
  watchPollMs: 1000,
  drainTimeoutMs: 30_000,
  pool: {},
  environments: {},
  tokens: {},
  logLevel: "info",
};

const POOL_KEYS = ["size", "maxQueue", "deadlineMs", "memoryMiB", "outputLimitBytes", "executorMemoryMiB", "engine"] as const;

function checkPoolSettings(where: string, value: unknown): PoolSettings {
  if (typeof value !== "object" || value === null) throw new VialError(`${where} must be an object`);
  const settings = value as Record<string, unknown>;
  for (const [key, v] of Object.entries(settings)) {
    if (!(POOL_KEYS as readonly string[]).includes(key)) throw new VialError(`${where}.${key} is not a pool setting (use ${POOL_KEYS.join(", ")})`);
    if (key === "engine") {
      if (!(ENGINE_KINDS as string[]).includes(v as string)) throw new VialError(`${where}.engine must be one of ${ENGINE_KINDS.join(", ")}`);
    } else if (!Number.isInteger(v) || (v as number) < (key === "maxQueue" ? 0 : 1)) throw new VialError(`${where}.${key} must be a positive integer`);
  }
  return settings as PoolSettings;
}

/** `VIAL_TOKENS`: JSON like the config's "tokens", or `token=env1,env2;token2=*`. */
export function parseTokens(text: string): TokenGrants {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return checkTokens(JSON.parse(trimmed));
  const grants: TokenGrants = {};
  for (const entry of trimmed.split(";").filter(Boolean)) {
    const [token, envs] = entry.split("=");
    if (!token || envs === undefined) throw new VialError(`VIAL_TOKENS entry '${entry}' is not token=env1,env2`);
    grants[token.trim()] = envs.split(",").map((e) => e.trim()).filter(Boolean);
  }
  return grants;
}

function checkTokens(value: unknown): TokenGrants {
  if (typeof value !== "object" || value === null) throw new VialError("tokens must map a token to a list of environments");
  for (const [token, envs] of Object.entries(value)) {
    if (!Array.isArray(envs) || !envs.every((e) => typeof e === "string")) {
      throw new VialError(`tokens['${token.slice(0, 4)}…'] must be a list of environment names (or ["*"])`);
    }
  }
  return value as TokenGrants;
}

export function parseConfigFile(text: string, file = "config"): Partial<HostConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new VialError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null) throw new VialError(`${file} must hold a JSON object`);
  const c = raw as Record<string, unknown>;
  const out: Partial<HostConfig> = { ...(c as Partial<HostConfig>) };
  if (c.pool !== undefined) out.pool = checkPoolSettings("pool", c.pool);
  if (c.environments !== undefined) {
    out.environments = Object.fromEntries(
      Object.entries(c.environments as Record<string, unknown>).map(([env, s]) => [env, checkPoolSettings(`environments.${env}`, s)]),
    );
  }
  if (c.tokens !== undefined) out.tokens = checkTokens(c.tokens);
  return out;
}

function readConfigText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new VialError(`cannot read the configuration file ${file}: ${code === "EISDIR" ? "it is a folder (give the file in it)" : (code ?? (error as Error).message)}`);
  }
}

export function loadConfig(opts: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Partial<HostConfig> } = {}): HostConfig {
  const env = opts.env ?? process.env;
  const fromFile = opts.file ? parseConfigFile(readConfigText(opts.file), opts.file) : {};
  const fromEnv: Partial<HostConfig> = {};
  if (env.VIAL_TOKENS) fromEnv.tokens = parseTokens(env.VIAL_TOKENS);
  if (env.VIAL_ADMIN_TOKEN) fromEnv.adminToken = env.VIAL_ADMIN_TOKEN;
  if (env.VIAL_STORE) fromEnv.store = env.VIAL_STORE;
  const defined = Object.fromEntries(Object.entries(opts.overrides ?? {}).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_CONFIG, ...fromFile, ...fromEnv, ...defined };
}
