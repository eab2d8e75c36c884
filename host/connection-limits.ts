/**
 * How many connections the host keeps open, derived from how many
 * descriptors the process may hold (the soft RLIMIT_NOFILE, which Node
 * raises to the hard limit at start): a reserve always stays free for what
 * must work during a flood of connections (restarting an executor, reading
 * a version from the store, the store watcher, logs), and connections get
 * the rest, up to a ceiling that keeps their memory small.
 */
import { readFileSync } from "node:fs";

export interface ConnectionLimits {
  /** The process's soft limit on open descriptors; undefined where it cannot be read (no /proc). */
  descriptorLimit?: number;
  /** Descriptors kept from connections. */
  reservedDescriptors: number;
  maxConnections: number;
  /** Per client address (IPv6: per /64; every unix-socket client counts as one). */
  maxConnectionsPerClient: number;
  /** What was configured and could not be given, and why. */
  lowered?: string;
}

/** About 5 KiB of the host's memory each: 80 MiB at the ceiling. */
const CEILING = 16_384;
const MIN_RESERVE = 64;

/** The soft limit on open descriptors, from /proc/self/limits. */
export function descriptorLimit(limits = "/proc/self/limits"): number | undefined {
  try {
    const line = readFileSync(limits, "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const soft = line?.slice("Max open files".length).trim().split(/\s+/)[0];
    return soft === undefined || soft === "unlimited" ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

/** Descriptors never given to connections: 64, or a tenth of the limit when that is more. */
export const reserveFor = (descriptors: number): number => Math.max(MIN_RESERVE, Math.ceil(descriptors / 10));

export function connectionLimits(configured: { maxConnections?: number; maxConnectionsPerClient?: number }, descriptors = descriptorLimit()): ConnectionLimits {
  const reservedDescriptors = descriptors === undefined ? 0 : reserveFor(descriptors);
  const room = descriptors === undefined ? CEILING : Math.max(1, descriptors - reservedDescriptors);
  const maxConnections = Math.min(configured.maxConnections ?? CEILING, room);
  // A quarter each by default: one address (a NAT, a load balancer, the unix socket) gets plenty, and not everything.
  const maxConnectionsPerClient = Math.min(configured.maxConnectionsPerClient ?? Math.max(1, Math.floor(maxConnections / 4)), maxConnections);
  const lowered =
    configured.maxConnections !== undefined && configured.maxConnections > maxConnections
      ? `maxConnections ${configured.maxConnections} is more than the ${descriptors} descriptors the process may open allow with ${reservedDescriptors} kept in reserve: raise the limit (ulimit -n) to serve more`
      : undefined;
  return { descriptorLimit: descriptors, reservedDescriptors, maxConnections, maxConnectionsPerClient, ...(lowered ? { lowered } : {}) };
}
