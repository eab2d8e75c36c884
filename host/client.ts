/**
 * A small client for feature servers calling a vial host: keep-alive
 * connections, CBOR by default, a per-call deadline, and retries with capped
 * backoff when the host says it is busy (503) or a connection ends before an
 * answer. It calls an executor's own socket the same way (`socketPath`).
 *
 *   const vial = createClient({ url: "http://127.0.0.1:8787" });        // or { socketPath: "/run/vial.sock" }
 *   const { rows, errors } = await vial.invoke("fuzzy", "fuzzy_similarity", [{ text: "brownie" }]);
 *   await vial.close();
 */
import { Pool } from "undici";
import { Encoder } from "cbor-x";

export interface ClientOptions {
  /** Host URL; with `socketPath` only its host part is used (default http://localhost). */
  url?: string;
  /** Unix socket of a sidecar host. */
  socketPath?: string;
  token?: string;
  /** Wire format (default cbor: bytes travel as bytes). */
  format?: "cbor" | "json";
  /** Default per-call deadline, sent as x-vial-deadline-ms. */
  deadlineMs?: number;
  /** Retries after a 503, or a connection lost before an answer (default 3). */
  retries?: number;
  /** First backoff; doubled per retry and capped (defaults 50 ms, 1000 ms). Retry-After is honoured up to the cap. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Keep-alive connections to open at most (default 8). */
  connections?: number;
}

export interface InvokeResult<Row = Record<string, unknown>> {
  rows: Array<Row | null>;
  errors: Array<{ row: number; error: string }>;
}

/** The host answered with an error: `status` and `code` as in the host's API. */
export class VialClientError extends Error {
  override name = "VialClientError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export interface VialClient {
  invoke<Row = Record<string, unknown>>(env: string, fn: string, rows: unknown[], opts?: { deadlineMs?: number }): Promise<InvokeResult<Row>>;
  environments(): Promise<unknown>;
  close(): Promise<void>;
}

const cbor = new Encoder({ useRecords: false, mapsAsObjects: true, tagUint8Array: false });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Errors of a connection that ended, or could not be made, before an answer. */
const CONNECTION_LOST = new Set(["UND_ERR_SOCKET", "ECONNRESET", "ECONNREFUSED", "ENOENT", "EPIPE"]);

export function createClient(opts: ClientOptions = {}): VialClient {
  const origin = new URL(opts.url ?? "http://localhost").origin;
  const pool = new Pool(origin, { connections: opts.connections ?? 8, ...(opts.socketPath ? { socketPath: opts.socketPath } : {}) });
  const format = opts.format ?? "cbor";
  const contentType = format === "cbor" ? "application/cbor" : "application/json";
  const retries = opts.retries ?? 3;
  const backoffMs = opts.backoffMs ?? 50;
  const maxBackoffMs = opts.maxBackoffMs ?? 1000;
  const auth: Record<string, string> = opts.token ? { authorization: `Bearer ${opts.token}` } : {};

  async function request(method: "GET" | "POST", path: string, body?: unknown, deadlineMs?: number): Promise<unknown> {
    const headers: Record<string, string> = { ...auth, accept: contentType };
    let payload: string | Uint8Array | undefined;
    if (body !== undefined) {
      headers["content-type"] = contentType;
      payload = format === "cbor" ? cbor.encode(body) : JSON.stringify(body);
    }
    if (deadlineMs !== undefined) headers["x-vial-deadline-ms"] = String(deadlineMs);
    const backOff = async (attempt: number, retryAfterMs = NaN) =>
      sleep(Math.min(maxBackoffMs, retryAfterMs > 0 ? retryAfterMs : backoffMs * 2 ** attempt) * (0.5 + Math.random() / 2));
    for (let attempt = 0; ; attempt++) {
      let response;
      try {
        response = await pool.request({
          method,
          path,
          headers,
          body: payload,
          // The host stops the call at the deadline and answers 504; this only guards against a host that never answers.
          signal: deadlineMs !== undefined ? AbortSignal.timeout(deadlineMs + 5000) : undefined,
        });
      } catch (error) {
        // A connection that ended before any answer (an executor's socket moving to a new version, a host restarting):
        // the call is a pure function of its rows, so it is sent again.
        if (attempt < retries && CONNECTION_LOST.has((error as { code?: string }).code ?? "")) {
          await backOff(attempt);
          continue;
        }
        throw error;
      }
      const raw = new Uint8Array(await response.body.arrayBuffer());
      const type = String(response.headers["content-type"] ?? "");
      const value = raw.length === 0 ? undefined : type.startsWith("application/cbor") ? cbor.decode(raw) : JSON.parse(new TextDecoder().decode(raw));
      if (response.statusCode < 400) return value;
      if (response.statusCode === 503 && attempt < retries) {
        await backOff(attempt, Number(response.headers["retry-after"]) * 1000);
        continue;
      }
      const error = (value as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new VialClientError(response.statusCode, error?.code ?? "http_error", error?.message ?? `HTTP ${response.statusCode}`);
    }
  }

  return {
    async invoke<Row>(env: string, fn: string, rows: unknown[], callOpts: { deadlineMs?: number } = {}) {
      const path = `/v1/invoke/${encodeURIComponent(env)}/${encodeURIComponent(fn)}`;
      return (await request("POST", path, { rows }, callOpts.deadlineMs ?? opts.deadlineMs)) as InvokeResult<Row>;
    },
    environments: () => request("GET", "/v1/environments"),
    close: () => pool.close(),
  };
}
