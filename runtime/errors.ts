/**
 * Every error the API answers with, made in one place: an HTTP status, a
 * stable code clients can branch on, and a message that says what to do.
 * Executors make the call errors, the host the rest; both speak these codes.
 */
export const ERROR_CODES = [
  "bad_request",
  "invalid_row",
  "unknown_environment",
  "unknown_function",
  "body_too_large",
  "unsupported_media_type",
  "unauthorized",
  "forbidden",
  "overloaded",
  "deadline_exceeded",
  "guest_error",
  "guest_trap",
  "memory_limit",
  "output_too_large",
  "not_ready",
  "shutting_down",
  "unavailable",
  "internal",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Seconds, for 503s: when a retry has a fair chance. */
    readonly retryAfter?: number,
  ) {
    super(message);
  }
  toJSON(): { error: { code: ErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } };
  }
}

export const badRequest = (message: string) => new ApiError(400, "bad_request", message);

export const invalidRow = (row: number, problem: string) =>
  new ApiError(400, "invalid_row", `row ${row}: ${problem} (rows must match the function's input schema: GET /v1/environments)`);

export const unknownEnvironment = (env: string) =>
  new ApiError(404, "unknown_environment", `no environment '${env}' is being served (deploy it with 'vial deploy <module> --env ${env}')`);

export const unknownFunction = (env: string, fn: string, known: string[]) =>
  new ApiError(404, "unknown_function", `environment '${env}' has no function '${fn}' (has: ${known.join(", ") || "none"})`);

export const bodyTooLarge = (limit: number) =>
  new ApiError(413, "body_too_large", `request body is larger than ${limit} bytes: send smaller batches or raise bodyLimitBytes`);

export const unsupportedMediaType = (type: string) =>
  new ApiError(415, "unsupported_media_type", `content-type '${type}' is not supported: send application/json or application/cbor`);

export const unauthorized = () =>
  new ApiError(401, "unauthorized", "missing or unknown bearer token: send 'Authorization: Bearer <token>'");

export const forbidden = (what: string) => new ApiError(403, "forbidden", `this token may not ${what}`);

export const adminDisabled = () =>
  new ApiError(403, "forbidden", "admin operations are disabled: set VIAL_ADMIN_TOKEN or adminToken in the config");

export const overloaded = (env: string, retryAfter: number) =>
  new ApiError(503, "overloaded", `environment '${env}' is at capacity (all instances busy, queue full): retry after ${retryAfter}s or raise its pool size`, retryAfter);

export const deadlineExceeded = (env: string, fn: string, deadlineMs: number, running: boolean) =>
  new ApiError(
    504,
    "deadline_exceeded",
    running
      ? `${env}/${fn} ran past its ${deadlineMs} ms deadline and was stopped: make it faster, send smaller batches or allow more time with x-vial-deadline-ms`
      : `${env}/${fn} waited past its ${deadlineMs} ms deadline for a free instance: retry, or raise the environment's pool size`,
  );

/** The guest's WIT `err`: it ran and rejected the whole batch; retrying the same batch will not help. */
export const guestError = (env: string, fn: string, message: string) =>
  new ApiError(422, "guest_error", `${env}/${fn} rejected the batch: ${message}`);

export const guestTrap = (env: string, fn: string, message: string) =>
  new ApiError(500, "guest_trap", `${env}/${fn} trapped: ${message} (the instance was replaced)`);

export const badGuestResult = (env: string, fn: string, problem: string) =>
  new ApiError(500, "guest_trap", `${env}/${fn} ${problem}: the component does not follow the vial interface (rebuild it with the current SDK)`);

export const memoryLimit = (env: string, fn: string, limitBytes: number) =>
  new ApiError(
    500,
    "memory_limit",
    `${env}/${fn} reached its ${Math.round(limitBytes / 2 ** 20)} MiB memory limit (the instance was replaced): send smaller batches or raise the environment's memoryMiB`,
  );

export const outputTooLarge = (env: string, fn: string, bytes: number, limitBytes: number) =>
  new ApiError(
    500,
    "output_too_large",
    `${env}/${fn} returned an output of ${bytes} bytes, which exceeds the limit of ${limitBytes} bytes: send smaller batches or raise the environment's outputLimitBytes`,
  );

/** The host holds as many body bytes as it may, for all environments or for this one's share. */
export const bytesShed = (env: string, bound: "host" | "environment", limitBytes: number, retryAfter: number) =>
  new ApiError(
    503,
    "overloaded",
    `the host holds as many request bytes as it may (${Math.round(limitBytes / 2 ** 20)} MiB ${bound === "host" ? "for all environments" : `for environment '${env}'`}): retry after ${retryAfter}s or send smaller batches`,
    retryAfter,
  );

export const bodyTooSlow = (env: string, fn: string, deadlineMs: number) =>
  new ApiError(504, "deadline_exceeded", `${env}/${fn}: the request body had not arrived when its ${deadlineMs} ms deadline passed: send it faster or allow more time with x-vial-deadline-ms`);

/** The caller closed its connection before its call was done: nobody reads this answer; it names the request in logs and metrics. */
export class ClientGone extends ApiError {
  constructor() {
    super(400, "bad_request", "the client closed the connection before its call was done");
  }
}

export const clientGone = () => new ClientGone();

export const notReady = () => new ApiError(503, "not_ready", "the host is still warming its instance pools: retry shortly", 1);

export const internalError = (requestId: string) =>
  new ApiError(500, "internal", `the host failed on this request (request id ${requestId}); the host logs have the details`);

/** The environment's executor stopped (crashed, killed, aborted) and is being restarted. */
export const unavailable = (env: string, retryAfter: number) =>
  new ApiError(503, "unavailable", `environment '${env}' is restarting its executor: retry after ${retryAfter}s`, retryAfter);

export const executorLost = (env: string, fn: string, reason: string) =>
  new ApiError(500, "guest_trap", `${env}/${fn} failed: the environment's executor ${reason} during the call (it is being restarted)`);

export const shuttingDown = () => new ApiError(503, "shutting_down", "the host is shutting down: retry on another instance", 1);

/** A version the host refuses to load; the previous version (if any) keeps serving. */
export class LoadError extends Error {
  override name = "LoadError";
  constructor(
    readonly env: string,
    readonly version: string,
    reason: string,
  ) {
    super(`refusing to load ${env}@${version}: ${reason}`);
  }
}
