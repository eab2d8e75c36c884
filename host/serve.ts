/**
 * `vial serve`: the host on a TCP port (loopback by default) or a unix
 * socket. The only module that knows about Node's HTTP server. SIGTERM and
 * SIGINT stop accepting connections, let running calls finish, then exit.
 */
import { createAdaptorServer } from "@hono/node-server";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { existsSync, unlinkSync, chmodSync } from "node:fs";
import { createHost, type CreateHostOptions, type Host } from "./host.ts";
import { guardSlowClients } from "./slow-clients.ts";
import { guardConnections } from "./connections.ts";
import { boundUnreadBodies, type AppFetch } from "./unread-bodies.ts";
import { letBodyCome } from "./node-bindings.ts";
import { isInvoke } from "./routes/invoke.ts";
import { gracefulClose } from "./graceful-close.ts";

/** How long the last answers, written by the end of the drain, get to reach their readers. */
const ANSWER_GRACE_MS = 5_000;

export interface ServeOptions extends CreateHostOptions {
  /** Shut down on SIGTERM/SIGINT and exit the process (the CLI does; embedders call shutdown() themselves). */
  exitOnSignal?: boolean;
}

export interface Serving {
  host: Host;
  server: Server;
  /** Where it listens: "http://127.0.0.1:8787" or "unix:/path/to.sock". */
  address: string;
  shutdown(): Promise<void>;
}

export async function serve(opts: ServeOptions = {}): Promise<Serving> {
  const host = createHost(opts);
  const { config, log } = host;
  // Bodies the app leaves unread are bounded here, not drained by @hono/node-server (up to 64 MiB each).
  const fetch = boundUnreadBodies(host.app.fetch as AppFetch, { bytesPerSecond: config.discardBytesPerSecond, metrics: host.metrics });
  // Node checks for slow headers on this interval: often enough for the headers timeout to mean what it says.
  const serverOptions = { connectionsCheckingInterval: Math.min(1000, config.headersTimeoutMs / 2) };
  const server = createAdaptorServer({ fetch, autoCleanupIncoming: false, serverOptions }) as Server;
  // Keep-alive connections from feature servers stay open between batches (anonymous ones do not: connections.ts).
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  const stopConnections = guardConnections(server, { limits: host.connections, anonymousIdleTimeoutMs: config.anonymousIdleTimeoutMs, metrics: host.metrics, log });
  // A client sending `Expect: 100-continue` is told to go on only once its request is admitted (body.ts): a shed
  // request is answered before its body is sent. Other routes let it go on at once, as Node does by default.
  server.on("checkContinue", (req: IncomingMessage, res: ServerResponse) => {
    if (!isInvoke(req.method, req.url)) letBodyCome(req, res);
    server.emit("request", req, res);
  });
  const connectionsClose = gracefulClose(server);
  const stopGuard = guardSlowClients(server, { headersTimeoutMs: config.headersTimeoutMs, stalledResponseMs: config.stalledResponseMs, metrics: host.metrics });

  const address = await new Promise<string>((resolve, reject) => {
    server.once("error", reject);
    if (config.socket) {
      // A socket file left by a process that died would make listen fail.
      if (existsSync(config.socket)) unlinkSync(config.socket);
      server.listen(config.socket, () => {
        chmodSync(config.socket!, 0o660);
        resolve(`unix:${config.socket}`);
      });
    } else {
      server.listen(config.port, config.host, () => {
        const bound = server.address();
        const port = typeof bound === "object" && bound ? bound.port : config.port;
        resolve(`http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`);
      });
    }
  });
  const { lowered, ...connections } = host.connections;
  log.info({ address, connections }, "listening (warming pools; /readyz turns 200 when every pool is warm)");
  if (lowered) log.warn({ connections }, lowered);

  let stopping: Promise<void> | undefined;
  const shutdown = () =>
    (stopping ??= (async () => {
      log.info("shutting down: no new connections, finishing running calls");
      stopGuard();
      stopConnections();
      const closed = connectionsClose.stopListening();
      connectionsClose.endIdle();
      await host.close();
      // Every call is answered; its connection ends once the answer is sent, and a slow reader gets a few seconds.
      connectionsClose.endIdle();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, ANSWER_GRACE_MS).unref());
      await Promise.race([closed, grace]);
      connectionsClose.destroyAll();
      log.info("stopped");
    })());

  const onSignal = (signal: NodeJS.Signals) => {
    log.info({ signal }, "signal received");
    void shutdown().then(() => process.exit(0));
  };
  if (opts.exitOnSignal) {
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  }
  return { host, server, address, shutdown };
}
