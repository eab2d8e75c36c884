/**
 * Stopping the HTTP server without cutting an answer short. Node's
 * `server.close()` destroys every idle keep-alive connection, and with it an
 * answer still in the socket's buffer, not yet taken by a slow or distant
 * reader: through a pod's network, answers to calls drained at SIGTERM were
 * lost that way. Here listening stops on its own, a connection whose answer
 * is written while stopping ends once that answer is sent, and idle
 * connections end after what they hold.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { Server as NetServer, type Socket } from "node:net";

export interface GracefulClose {
  /** Stops listening; every answer from now on ends its connection once sent. Resolves when no connection is left. */
  stopListening(): Promise<void>;
  /** Ends the connections with no call in progress, once what they hold is sent. */
  endIdle(): void;
  /** Destroys whatever connection is left, and the server's own timers. */
  destroyAll(): void;
}

export function gracefulClose(server: Server): GracefulClose {
  const connections = new Set<Socket>();
  const answering = new Set<Socket>();
  let stopping = false;
  server.on("connection", (socket: Socket) => {
    connections.add(socket);
    socket.once("close", () => {
      connections.delete(socket);
      answering.delete(socket);
    });
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    answering.add(socket);
    res.once("finish", () => {
      answering.delete(socket);
      if (stopping) socket.end();
    });
  });
  return {
    stopListening() {
      stopping = true;
      return new Promise((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    },
    endIdle() {
      for (const socket of connections) if (!answering.has(socket)) socket.end();
    },
    destroyAll() {
      for (const socket of connections) socket.destroy();
      server.close(); // nothing left to close: clears the server's connection-checking timer
    },
  };
}
