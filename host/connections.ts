/**
 * Open connections, bounded from the moment they are accepted: at most
 * `maxConnections` in all and `maxConnectionsPerClient` per client address
 * (host/connection-limits.ts), and never so many that fewer than the
 * reserved descriptors stay free beside those the host's own work holds
 * (executors, the store, logs; counted each second). A connection that has
 * not yet carried an authenticated request is anonymous: idle (no request
 * running, nothing sent) for `anonymousIdleTimeoutMs` it is closed, and at
 * the overall limit the anonymous one idle longest makes room for a
 * newcomer. Connections that passed authentication keep the long keep-alive
 * feature servers rely on between batches. Every cut is counted in
 * `vial_client_events_total`.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { readdir } from "node:fs/promises";
import { Gauge } from "prom-client";
import type { ConnectionLimits } from "./connection-limits.ts";
import type { HostMetrics } from "./metrics.ts";
import type { Logger } from "./logger.ts";
import { isTrusted } from "./node-bindings.ts";

interface Connection {
  client: string;
  /** Requests it is carrying now. */
  running: number;
  /** When it last became idle, and how many bytes it had sent by then (a client still sending is not idle). */
  idleSince: number;
  bytesAtIdle: number;
}

/** How often one limit's refusals are logged, at most. */
const WARN_EVERY_MS = 10_000;

export interface ConnectionGuardOptions {
  limits: ConnectionLimits;
  anonymousIdleTimeoutMs: number;
  metrics: HostMetrics;
  log: Logger;
}

export function guardConnections(server: Server, opts: ConnectionGuardOptions): () => void {
  const { limits, metrics } = opts;
  const open = new Map<Socket, Connection>();
  const perClient = new Map<string, number>();
  // Idle anonymous connections, longest idle first (a Set keeps insertion order).
  const idleAnonymous = new Set<Socket>();
  const warned = new Map<string, number>();
  // Descriptors held by everything but connections, as last counted.
  let others = 0;
  const room = () => (limits.descriptorLimit === undefined ? limits.maxConnections : Math.min(limits.maxConnections, limits.descriptorLimit - limits.reservedDescriptors - others));

  // Forgotten at once, not at its 'close': destroy() frees the descriptor now, and the count must say so.
  const forget = (socket: Socket) => {
    const connection = open.get(socket);
    if (!connection) return;
    open.delete(socket);
    idleAnonymous.delete(socket);
    const left = perClient.get(connection.client)! - 1;
    if (left > 0) perClient.set(connection.client, left);
    else perClient.delete(connection.client);
  };
  const cut = (socket: Socket, event: string) => {
    metrics.clients.inc({ event });
    forget(socket);
    socket.destroy();
  };
  const refuse = (socket: Socket, event: string, limit: number) => {
    cut(socket, event);
    const now = performance.now();
    if (now - (warned.get(event) ?? -Infinity) < WARN_EVERY_MS) return;
    warned.set(event, now);
    opts.log.warn({ event, limit, open: open.size }, "a connection limit was reached: new connections are refused (vial_client_events_total counts them)");
  };
  const markIdle = (socket: Socket, connection: Connection) => {
    connection.idleSince = performance.now();
    connection.bytesAtIdle = socket.bytesRead;
    idleAnonymous.delete(socket);
    if (!isTrusted(socket)) idleAnonymous.add(socket);
  };

  server.on("connection", (socket: Socket) => {
    const client = clientAddress(socket);
    if ((perClient.get(client) ?? 0) >= limits.maxConnectionsPerClient) return refuse(socket, "client_connection_limit", limits.maxConnectionsPerClient);
    if (open.size >= room()) {
      const longestIdle = idleAnonymous.values().next().value;
      if (!longestIdle) return refuse(socket, "connection_limit", room());
      cut(longestIdle, "anonymous_evicted");
    }
    const connection: Connection = { client, running: 0, idleSince: 0, bytesAtIdle: 0 };
    open.set(socket, connection);
    perClient.set(client, (perClient.get(client) ?? 0) + 1);
    markIdle(socket, connection);
    socket.once("close", () => forget(socket));
  });

  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const connection = open.get(socket);
    if (!connection) return;
    connection.running++;
    idleAnonymous.delete(socket);
    res.once("close", () => {
      if (--connection.running === 0 && open.has(socket)) markIdle(socket, connection);
    });
  });

  const sweep = setInterval(
    () => {
      if (limits.descriptorLimit !== undefined) {
        // Less the directory's own descriptor, read while it is listed.
        void readdir("/proc/self/fd").then((fds) => (others = Math.max(0, fds.length - 1 - open.size)), () => undefined);
      }
      const now = performance.now();
      for (const socket of idleAnonymous) {
        const connection = open.get(socket)!;
        if (now - connection.idleSince < opts.anonymousIdleTimeoutMs) break;
        // Sending (headers that trickle in are the headers timeout's to cut): idle from now.
        if (socket.bytesRead !== connection.bytesAtIdle) markIdle(socket, connection);
        else cut(socket, "anonymous_idle");
      }
    },
    Math.min(1000, Math.max(50, opts.anonymousIdleTimeoutMs / 4)),
  );
  sweep.unref();

  const gaugeName = "vial_open_connections";
  new Gauge({
    name: gaugeName,
    help: "Client connections open now; anonymous: not yet carried an authenticated request",
    labelNames: ["kind"] as const,
    registers: [metrics.registry],
    collect() {
      let anonymous = 0;
      for (const socket of open.keys()) if (!isTrusted(socket)) anonymous++;
      this.set({ kind: "anonymous" }, anonymous);
      this.set({ kind: "trusted" }, open.size - anonymous);
    },
  });
  return () => {
    clearInterval(sweep);
    metrics.registry.removeSingleMetric(gaugeName);
  };
}

/** Whose connection this is: its address, an IPv6 client by its /64 (one machine usually holds a whole /64), every unix-socket client as one. */
export function clientAddress(socket: Pick<Socket, "remoteAddress">): string {
  const address = socket.remoteAddress;
  if (!address) return "unix";
  if (address.startsWith("::ffff:") && address.includes(".")) return address.slice("::ffff:".length);
  if (!address.includes(":")) return address;
  const [head = "", tail] = address.split("%")[0]!.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(":")}::/64`;
}
