/** Structured logs (pino): one JSON line per event, with the request id when there is one. */
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

/** `destination`: a stream, or a file descriptor (default 1, stdout). */
export function createLogger(level: string, destination: DestinationStream | number = 1): Logger {
  const stream = typeof destination === "number" ? pino.destination(destination) : destination;
  return pino({ name: "vial", level, base: { pid: process.pid } }, stream);
}
