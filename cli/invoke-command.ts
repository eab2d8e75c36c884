/**
 * `vial invoke <env> <fn> --rows <file>` (or `<env>/<fn>`): one batch through
 * a running host with the client (--url or --socket; --cbor to send CBOR),
 * or, with neither, through the store's current version in this process.
 */
import { createClient, VialClientError } from "../host/client.ts";
import { createHost } from "../host/host.ts";
import { createLogger } from "../host/logger.ts";
import { loadConfig } from "../host/config.ts";
import { VialError } from "../builds/errors.ts";
import { ApiError } from "../runtime/errors.ts";
import { readRows } from "./rows-file.ts";

export interface InvokeCommandOptions {
  store?: string;
  rows?: string;
  file?: string;
  deadline?: string;
  url?: string;
  socket?: string;
  token?: string;
  cbor?: boolean;
}

/** Bytes (CBOR answers carry them as bytes) print as base64, as in JSON answers. */
const printable = (_key: string, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString("base64") : value);

function target(first: string, second: string | undefined): { env: string; fn: string } {
  const [env, fn] = second === undefined ? first.split("/") : [first, second];
  if (!env || !fn) throw new VialError(`name the function as '<env> <function>' or '<env>/<function>', got '${first}'`);
  return { env, fn };
}

export async function invokeCommand(first: string, second: string | undefined, opts: InvokeCommandOptions): Promise<void> {
  const { env, fn } = target(first, second);
  const source = opts.rows ?? opts.file;
  if (!source) throw new VialError("give rows with --rows rows.json (or .ndjson, - for stdin, or inline '[{\"text\": \"…\"}]')");
  const rows = await readRows(source);
  const deadlineMs = opts.deadline === undefined ? undefined : Number(opts.deadline);
  if (deadlineMs !== undefined && !(deadlineMs > 0)) throw new VialError(`--deadline must be a positive number of milliseconds, got '${opts.deadline}'`);
  if (opts.url && opts.socket) throw new VialError("give --url or --socket, not both");
  const result = opts.url || opts.socket ? await throughClient(env, fn, rows, deadlineMs, opts) : await inProcess(env, fn, rows, deadlineMs, opts.store);
  console.log(JSON.stringify(result, printable, 2));
}

async function throughClient(env: string, fn: string, rows: unknown[], deadlineMs: number | undefined, opts: InvokeCommandOptions) {
  const client = createClient({ url: opts.url, socketPath: opts.socket, token: opts.token ?? process.env.VIAL_TOKEN, format: opts.cbor ? "cbor" : "json" });
  try {
    return await client.invoke(env, fn, rows, { deadlineMs });
  } catch (error) {
    if (error instanceof VialClientError) throw new VialError(`${error.status} ${error.code}: ${error.message}`);
    throw new VialError(`cannot reach the host at ${opts.socket ?? opts.url}: ${(error as Error).message}`);
  } finally {
    await client.close();
  }
}

/** Runs one batch in this process (no server): handy to try a function right after deploying it. */
async function inProcess(env: string, fn: string, rows: unknown[], deadlineMs: number | undefined, store: string | undefined) {
  const config = loadConfig({ overrides: { store, pool: { size: 1 } } });
  const host = createHost({ config, watch: false, logger: createLogger("warn", 2) });
  try {
    await host.ready;
    return await host.invoke(env, fn, rows, { deadlineMs });
  } catch (error) {
    if (error instanceof ApiError) throw new VialError(error.message);
    throw error;
  } finally {
    await host.close();
  }
}
