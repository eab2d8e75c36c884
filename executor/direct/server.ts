/**
 * The executor's own socket: callers beside it (a feature server sharing the
 * pod) send invoke calls here and skip the host's process, the hop that costs
 * a call the most. The host bound the listener and handed it over (this
 * process can make no socket of its own) with its rules, kept here as the
 * host keeps them: the same tokens, body limit, deadline (a caller may only
 * lower it, the body's arrival counts), admission (the pool's line, and a
 * bound on the body bytes held), errors and formats. The host counts every
 * call from the reports this server sends it (served.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { CONTENT_TYPES, encodeBody, formatOf, type WireFormat } from "../../runtime/codec.ts";
import { ApiError, ClientGone, clientGone, type ErrorCode, badRequest, bodyTooLarge, bodyTooSlow, bytesShed, forbidden, shuttingDown, unauthorized, unknownEnvironment } from "../../runtime/errors.ts";
import { DEADLINE_HEADER, NON_FINITE_HEADER, deadlineFrom, nonFiniteFrom } from "../../runtime/invoke-headers.ts";
import { tokenDigest } from "../../runtime/token-digest.ts";
import { runCall, toBytes, type CallContext } from "../call.ts";
import { readBoundedBody } from "../../runtime/bounded-body.ts";
import type { DirectSetup } from "../protocol.ts";
import type { ServedLog } from "./served.ts";

const GONE = clientGone();
const INVOKE_PATH = /^\/v1\/invoke\/([^/?#]+)\/([^/?#]+)$/;
/** Headers a call needs are few: a request with more is not one. */
const MAX_HEADERS = 64;

export interface DirectServer {
  /** Stops taking connections and calls; resolves once every call taken is answered. */
  close(): Promise<void>;
}

export function serveDirect(setup: DirectSetup, ctx: CallContext, served: ServedLog): DirectServer {
  const allowed = new Set(setup.tokens.allowed);
  const refused = new Set(setup.tokens.refused);
  let held = 0;
  let nextId = 1;
  let closing = false;
  let inFlight = 0;
  let idle: (() => void) | undefined;

  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 0, headersTimeout: setup.headersTimeoutMs }, (req, res) => {
    const arrivedAt = performance.now();
    inFlight++;
    let fn = "";
    let reserved = 0;
    let bodyRead = false;
    let answered: { status: number; code?: ErrorCode } | undefined;
    const gone = new AbortController();
    // Once the answer is written, or the connection is gone before it is: its bytes are given back, the call counted.
    res.once("close", () => {
      if (!res.writableFinished) gone.abort();
      held -= reserved;
      // A caller gone before its answer is counted as the host counts one (ClientGone's status, no event).
      served.add({ fn, status: answered?.status ?? GONE.status, ms: performance.now() - arrivedAt, ...(answered?.code ? { code: answered.code } : {}) });
      if (--inFlight === 0) idle?.();
    });
    const finish = (status: number, body: Uint8Array, format: WireFormat, error?: ApiError) => {
      answered = { status, ...(error ? { code: error.code } : {}) };
      // A body left unread would have to be read through before the next request: the connection ends instead.
      if (closing || !bodyRead) res.setHeader("connection", "close");
      if (error?.retryAfter !== undefined) res.setHeader("retry-after", String(error.retryAfter));
      res.writeHead(status, { "content-type": CONTENT_TYPES[format], "content-length": body.byteLength });
      res.end(body);
    };
    const fail = (error: unknown, format: WireFormat = "json") => {
      if (error instanceof ClientGone) return;
      const apiError = error instanceof ApiError ? error : new ApiError(500, "internal", `the executor failed on this call: ${(error as Error).message}`);
      finish(apiError.status, toBytes(encodeBody(format, apiError.toJSON())), format, apiError);
    };
    void (async () => {
      let format: WireFormat = "json";
      try {
        if (closing) throw shuttingDown();
        const [env, name] = route(req);
        if (env !== ctx.env) throw unknownEnvironment(env);
        authorize(req, allowed, refused, setup.tokens.open, env);
        format = formatOf(req.headers["content-type"]);
        fn = ctx.functions.has(name) ? name : "";
        const requested = deadlineFrom(header(req, DEADLINE_HEADER));
        const deadlineMs = requested === undefined ? setup.deadlineMs : Math.min(setup.deadlineMs, requested);
        const nonFinite = nonFiniteFrom(header(req, NON_FINITE_HEADER));
        const deadlineAt = arrivedAt + deadlineMs;
        const lengthHeader = req.headers["content-length"];
        const declared = lengthHeader === undefined || !Number.isSafeInteger(Number(lengthHeader)) ? undefined : Number(lengthHeader);
        if ((declared ?? 0) > setup.bodyLimitBytes) throw bodyTooLarge(setup.bodyLimitBytes);
        /** Room for `count` more body bytes in the environment's budget, or the 503 that refuses them. */
        const take = (count: number): ApiError | undefined => {
          if (held + count > setup.bufferLimitBytes) return bytesShed(ctx.env, "environment", setup.bufferLimitBytes, ctx.retryAfterSeconds);
          held += count;
          reserved += count;
        };
        // A declared length is reserved whole before a byte is read, as the host's admission does.
        const shed = declared === undefined ? undefined : take(declared);
        if (shed) throw shed;
        const late = () => bodyTooSlow(ctx.env, name, deadlineMs);
        const body = await readBoundedBody(req, () => null, declared, { maxBytes: setup.bodyLimitBytes, deadlineAt, late, take: declared === undefined ? take : undefined });
        bodyRead = true;
        const reply = await runCall(ctx, { type: "call", id: nextId++, fn: name, input: { format, body }, deadlineMs, timeLeftMs: deadlineAt - performance.now(), nonFinite }, gone.signal);
        if (reply.logs) served.log(reply.logs);
        if (!reply.ok) throw new ApiError(reply.error.status, reply.error.code, reply.error.message, reply.error.retryAfter);
        finish(200, reply.body as Uint8Array, format);
      } catch (error) {
        fail(error, format);
      }
    })();
  });
  server.maxConnections = setup.maxConnections;
  server.maxHeadersCount = MAX_HEADERS;
  server.keepAliveTimeout = setup.keepAliveTimeoutMs;
  server.on("clientError", (_error, socket) => socket.destroy());
  server.listen({ fd: setup.fd });

  return {
    close: () => {
      closing = true;
      server.close();
      server.closeIdleConnections();
      return inFlight === 0 ? Promise.resolve() : new Promise((resolve) => (idle = resolve));
    },
  };
}

function route(req: IncomingMessage): [string, string] {
  const match = req.method === "POST" ? INVOKE_PATH.exec(req.url ?? "") : null;
  if (!match) throw new ApiError(404, "bad_request", "this socket serves one route: POST /v1/invoke/{env}/{fn}");
  try {
    return [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
  } catch {
    throw badRequest("the path is not valid percent-encoding");
  }
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** The host's rule (host/middleware/auth.ts): a token that may invoke this environment, or none where none are configured; a token nobody issued is refused. */
function authorize(req: IncomingMessage, allowed: Set<string>, refused: Set<string>, open: boolean, env: string): void {
  const token = req.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!token) {
    if (open) return;
    throw unauthorized();
  }
  const digest = tokenDigest(token);
  if (allowed.has(digest)) return;
  throw refused.has(digest) ? forbidden(`invoke environment '${env}'`) : unauthorized();
}

