/** The logic behind `vial serve` and `vial invoke`; main.ts only declares their options. */
import { readFile } from "node:fs/promises";
import { loadConfig, type HostConfig } from "../host/config.ts";
import { serve } from "../host/serve.ts";
import { createHost } from "../host/host.ts";
import { createLogger } from "../host/logger.ts";
import { VialError } from "../builds/errors.ts";

export interface ServeCommandOptions {
  store?: string;
  host?: string;
  port?: string;
  socket?: string;
  config?: string;
}

export async function serveCommand(opts: ServeCommandOptions): Promise<void> {
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port < 65536)) throw new VialError(`--port must be a port number, got '${opts.port}'`);
  const config: HostConfig = loadConfig({ file: opts.config, overrides: { store: opts.store, host: opts.host, port, socket: opts.socket } });
  await serve({ config, exitOnSignal: true });
}

export interface InvokeCommandOptions {
  store?: string;
  rows?: string;
  file?: string;
  deadline?: string;
}

/** Runs one batch in-process (no server): handy to try a function right after deploying it. */
export async function invokeCommand(target: string, opts: InvokeCommandOptions): Promise<void> {
  const [env, fn] = target.split("/");
  if (!env || !fn) throw new VialError(`name the function as <env>/<function>, got '${target}'`);
  const text = opts.file ? await readFile(opts.file === "-" ? "/dev/stdin" : opts.file, "utf8") : opts.rows;
  if (!text) throw new VialError('give rows with --rows \'[{"text": "…"}]\' or --file rows.json (- for stdin)');
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch (error) {
    throw new VialError(`rows are not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(rows)) throw new VialError("rows must be a JSON array of objects");
  const config = loadConfig({ overrides: { store: opts.store, pool: { size: 1 } } });
  const host = createHost({ config, watch: false, logger: createLogger("warn", 2) });
  try {
    await host.ready;
    const result = await host.invoke(env, fn, rows, { deadlineMs: opts.deadline ? Number(opts.deadline) : undefined });
    console.log(JSON.stringify(result, null, 2));
  } catch (error) {
    if (error instanceof Error && "status" in error) throw new VialError(error.message);
    throw error;
  } finally {
    await host.close();
  }
}
