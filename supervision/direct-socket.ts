/**
 * An executor's own socket (executor/direct/): a unix socket the host binds
 * under a hidden name and hands to the executor as a descriptor (an executor
 * may make no socket), then publishes at `<folder>/<env>.sock` by renaming it
 * once the executor is warm. A rename replaces the path at once: a restarted
 * executor or a new version takes every new connection from then on, while
 * connections already open finish on the executor they reached. The host
 * never accepts on it: its own handle closes once the executor holds a copy
 * (moved to a second hidden name first, as closing a listener unlinks its path).
 */
import { createServer, type Server } from "node:net";
import { chmodSync, renameSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import type { DirectSetup } from "../executor/protocol.ts";
import type { PoolPolicy } from "./policy.ts";

export const directSocketPath = (folder: string, env: string): string => join(folder, `${env}.sock`);

/** The longest path of a unix socket the kernel takes (sun_path holds 108 bytes with its final NUL). */
const SOCKET_PATH_BYTES = 107;

export class DirectListener {
  private constructor(
    private server: Server | undefined,
    /** Where it listens until handed over, then where it waits to be published. */
    private readonly hidden: string,
    private readonly waiting: string,
    readonly path: string,
    /** The listener's descriptor in this process, for the executor's spawn. */
    readonly fd: number,
  ) {}

  static async bind(folder: string, env: string): Promise<DirectListener> {
    const name = join(folder, `.${env}.${randomBytes(6).toString("hex")}`);
    const hidden = `${name}.sock`;
    if (Buffer.byteLength(hidden) > SOCKET_PATH_BYTES) {
      throw new Error(
        `the executor's socket for ${env} would be ${Buffer.byteLength(hidden)} bytes long (${hidden}), and unix sockets take at most ${SOCKET_PATH_BYTES}: choose a shorter directSockets folder`,
      );
    }
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(hidden, resolve);
    });
    chmodSync(hidden, 0o660);
    // Node exposes a listener's descriptor only on its handle.
    const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (fd === undefined || fd < 0) {
      server.close();
      throw new Error("the executor's socket has no descriptor to hand over on this platform");
    }
    return new DirectListener(server, hidden, `${name}.ready`, directSocketPath(folder, env), fd);
  }

  /** The executor holds its copy: this process lets go of its own, so that it never takes a connection. */
  handedOver(): void {
    if (!this.server) return;
    renameSync(this.hidden, this.waiting);
    this.server.close();
    this.server = undefined;
  }

  /** Callers reach the executor at `path` from now on. */
  publish(): void {
    renameSync(this.waiting, this.path);
  }

  /** An executor that did not start: its names go. */
  discard(): void {
    this.server?.close();
    this.server = undefined;
    for (const name of [this.hidden, this.waiting]) {
      try {
        unlinkSync(name);
      } catch {
        // not there
      }
    }
  }
}

/** Where executors' own sockets go, and the host's rules each executor serves callers by. */
export interface DirectSockets {
  folder: string;
  rules(env: string, policy: PoolPolicy): Omit<DirectSetup, "fd">;
}
