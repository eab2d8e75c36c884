/** The logic behind `vial serve`; main.ts only declares its options. */
import { loadConfig, type HostConfig } from "../host/config.ts";
import { serve } from "../host/serve.ts";
import { VialError } from "../builds/errors.ts";
import { restartWithMallocEnv } from "../runtime/malloc-env.ts";
import { keepFilesPrivate } from "../host/private-files.ts";

export interface ServeCommandOptions {
  store?: string;
  host?: string;
  port?: string;
  socket?: string;
  directSockets?: string;
  config?: string;
}

export function parsePort(value: string | undefined): number | undefined {
  const port = value === undefined ? undefined : Number(value);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new VialError(`--port must be a port number, got '${value}'`);
  return port;
}

export async function serveCommand(opts: ServeCommandOptions): Promise<void> {
  restartWithMallocEnv();
  const madePrivate = keepFilesPrivate();
  const port = parsePort(opts.port);
  const config: HostConfig = loadConfig({ file: opts.config, overrides: { store: opts.store, host: opts.host, port, socket: opts.socket, directSockets: opts.directSockets } });
  const serving = await serve({ config, exitOnSignal: true });
  if (madePrivate.length > 0) serving.host.log.warn({ files: madePrivate }, "the host's log could be read by other users: made private");
}
