/**
 * Clients that cost a Node server without sending or taking anything: headers
 * that trickle in are cut at `headersTimeoutMs` (408), and an answer that is
 * fully written but not taken by its client within `stalledResponseMs` is
 * dropped with its connection. Bodies that trickle are bounded by each call's
 * deadline (host/body.ts). Each cut is counted in `vial_client_events_total`.
 */
import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { HostMetrics } from "./metrics.ts";

const SWEEP_MS = 1000;

export function guardSlowClients(server: Server, opts: { headersTimeoutMs: number; stalledResponseMs: number; metrics: HostMetrics }): () => void {
  server.headersTimeout = opts.headersTimeoutMs;
  // Invoke bodies are bounded by their deadline; this bounds any other request as a whole.
  server.requestTimeout = Math.max(60_000, opts.headersTimeoutMs);

  // What Node answers by itself, kept: 408 for slow headers, 431 for oversized ones, 400 for the rest.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const [event, status] =
      error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? ["slow_headers", "408 Request Timeout"] : error.code === "HPE_HEADER_OVERFLOW" ? ["bad_http", "431 Request Header Fields Too Large"] : ["bad_http", "400 Bad Request"];
    opts.metrics.clients.inc({ event: error.code === "ECONNRESET" ? "reset" : event });
    if (socket.writable && !socket.destroyed) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  });

  // Responses not yet handed over whole, with the time their answer was seen complete (end() called).
  const open = new Map<ServerResponse, number | undefined>();
  server.on("request", (_req, res: ServerResponse) => {
    open.set(res, undefined);
    const done = () => open.delete(res);
    res.once("close", done).once("finish", done);
  });
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [res, endedAt] of open) {
      if (!res.writableEnded) continue;
      if (endedAt === undefined) {
        open.set(res, now);
      } else if (now - endedAt >= opts.stalledResponseMs) {
        open.delete(res);
        opts.metrics.clients.inc({ event: "stalled_response" });
        res.socket?.destroy();
      }
    }
  }, SWEEP_MS);
  sweep.unref();
  return () => clearInterval(sweep);
}
