/**
 * The bodies of the host's API, declared once: handlers are type-checked
 * against them (`satisfies`), and /openapi.json is derived from them.
 */
import { z } from "zod";
import { ENGINE_KINDS, type EngineKind } from "../../runtime/engines/index.ts";

const fieldType: z.ZodType<unknown> = z
  .lazy(() => z.union([z.enum(["string", "int64", "float64", "bool", "bytes"]), z.object({ array: fieldType }), z.object({ optional: fieldType })]))
  .meta({ id: "FieldType", description: "string, int64, int32, float64, float32, bool, bytes, timestamp, {array: T}, {optional: T}, {map: T}, {struct: [fields]} or {nonFinite: float64 | float32} (docs/types.md)" });

const field = z.object({ name: z.string(), type: fieldType });

export const functionSchema = z.object({
  name: z.string(),
  mode: z.enum(["row", "batch", "columns", "pandas"]).meta({ description: "row: the handler runs per row; batch: once per batch, on the list of rows; columns: once per batch, on a dict of columns; pandas: once per batch, on a DataFrame" }),
  inputs: z.array(field),
  outputs: z.array(field),
});

const engineReport = z.object({
  version: z.string().meta({ description: "the version's engine: v8, quickjs, starlingmonkey or cpython" }),
  running: z.enum(ENGINE_KINDS as [EngineKind, ...EngineKind[]]),
  reason: z.string().optional().meta({ description: "why the component runs although the version's engine is v8" }),
});

export const poolView = z.object({
  size: z.number().int(),
  idle: z.number().int(),
  busy: z.number().int(),
  starting: z.number().int(),
  queued: z.number().int().meta({ description: "calls waiting for a free instance, in the host's line and the executor's" }),
  maxQueue: z.number().int(),
  deadlineMs: z.number(),
  memoryMiB: z.number(),
});

export const executorView = z.object({
  pid: z.number().int().optional(),
  niceness: z.number().int().optional().meta({ description: "the executor's scheduling niceness (the host's is lower: it comes first)" }),
  largeBatchNiceness: z.number().int().optional().meta({
    description: "the niceness the executor drops to while it runs a large batch, so other environments come first; absent where the host could not raise it back",
  }),
  restarts: z.number().int(),
  status: z.enum(["running", "restarting", "stopped"]),
  kernel: z
    .object({
      noNewPrivileges: z.boolean(),
      seccompFilters: z.number().int().meta({ description: "seccomp filters on the process: the container runtime's, if any, and the executor's own two" }),
    })
    .optional()
    .meta({ description: "the running executor process's layers as the kernel reports them (/proc), absent while it restarts" }),
  directSocket: z.string().optional().meta({ description: "where the executor also serves invoke calls itself (directSockets): a caller beside it may skip the host; absent without" }),
  residentMiB: z.number(),
  limits: z
    .object({
      memoryMiB: z.number().meta({ description: "resident memory the executor process may hold (pool setting executorMemoryMiB); past it, it is killed and restarted" }),
      dataMiB: z.number().meta({ description: "its RLIMIT_DATA (private writable memory, twice the cap): allocations past it fail, and the executor with them" }),
      descriptors: z.number().int().meta({ description: "its RLIMIT_NOFILE" }),
      processes: z.number().int().optional().meta({ description: "its RLIMIT_NPROC (processes and threads, in its own user namespace); absent where it is not limited" }),
    })
    .meta({ description: "what the executor process may take of the machine, as a whole" }),
});

export const environmentView = z.object({
  name: z.string(),
  version: z.string(),
  language: z.enum(["js", "python"]),
  engine: engineReport,
  servingSince: z.string().meta({ description: "ISO time this version started serving" }),
  functions: z.array(functionSchema),
  executor: executorView,
  pool: poolView,
  refused: z.object({ version: z.string(), error: z.string() }).optional().meta({ description: "a newer current version the host refused to load" }),
  shadow: z.object({ version: z.string(), fraction: z.number() }).optional().meta({ description: "the shadow version mirrored requests also run on, and the share mirrored" }),
});

const sandboxReport = z.union([
  z.object({
    namespaces: z.boolean().meta({ description: "own user, network (no interfaces), process, mount, IPC and UTS namespaces" }),
    privateTmp: z.boolean().meta({ description: "a /tmp and /dev/shm of its own (empty tmpfs, 1 MiB each) instead of the host's" }),
    user: z.string(),
    noNewPrivileges: z.literal(true).meta({ description: "no privileges gained through exec, and no capabilities held" }),
    permissionModel: z.literal(true),
    environment: z.literal("empty"),
    shieldedDescriptors: z.array(z.number().int()).meta({ description: "the host's descriptors without close-on-exec: executors get /dev/null in their place" }),
    limits: z.object({
      memory: z.literal("watchdog").meta({ description: "the host reads each executor's resident size every watchMs and kills it past its cap; RLIMIT_DATA stops faster allocations" }),
      watchMs: z.number().int(),
      processes: z.boolean().meta({ description: "whether RLIMIT_NPROC holds (it needs the executor's own user namespace)" }),
    }),
    confinement: z
      .union([
        z.object({
          available: z.literal(true),
          noNewPrivileges: z.boolean(),
          seccompFilters: z.number().int(),
          landlock: z.union([z.number().int(), z.string()]).meta({ description: "the Landlock ABI version applied (files: the executor's code and Node only; from 6, no signals to other processes), or why none" }),
          seccomp: z.union([z.literal(true), z.string()]).meta({ description: "the executor's own filters (no sockets, exec, ptrace, mounts, namespaces, keyrings, BPF, perf, io_uring), or why not" }),
          denied: z.record(z.string(), z.string()).meta({ description: "what native code in a confined executor was denied, per attempt (inetSocket, unixSocket, readOutside, readHostEnvironment, signalHost, exec): the error, or 'allowed'" }),
        }),
        z.object({ available: z.literal(false), reason: z.string() }),
      ])
      .meta({ description: "the layers executors set on themselves, needing no privilege, and a native probe's result under them" }),
    v8: z.union([z.object({ available: z.literal(true), isolatedVm: z.string().meta({ description: 'the isolated-vm line that loads, e.g. "isolated-vm-6 6.2.0"' }) }), z.object({ available: z.literal(false), reason: z.string() })]),
    warnings: z.array(z.string()),
  }),
  z.object({ error: z.string() }),
]);

const connectionsReport = z
  .object({
    descriptorLimit: z.number().int().optional().meta({ description: "the process's soft limit on open descriptors (RLIMIT_NOFILE), where it can be read" }),
    reservedDescriptors: z.number().int().meta({ description: "descriptors never given to connections: executors, store reads, logs" }),
    maxConnections: z.number().int(),
    maxConnectionsPerClient: z.number().int().meta({ description: "per client address (IPv6: per /64; unix-socket clients count as one)" }),
    anonymousIdleTimeoutMs: z.number().int().meta({ description: "a connection that has not carried an authenticated request is closed once idle this long" }),
    keepAliveTimeoutMs: z.number().int().meta({ description: "how long a connection that did stays open between requests" }),
  })
  .meta({ description: "the connection limits vial serve enforces" });

export const environmentList = z.object({ environments: z.array(environmentView), sandbox: sandboxReport, connections: connectionsReport });

export const invokeRequest = z.object({ rows: z.array(z.record(z.string(), z.unknown())) });

export const rowError = z.object({ row: z.number().int().meta({ description: "index of the row in the batch" }), error: z.string() });

export const invokeResponse = z.object({
  rows: z.array(z.union([z.record(z.string(), z.unknown()), z.null()])).meta({ description: "one per input row, in order; null where the row failed" }),
  errors: z.array(rowError),
});

// A string: a value too large to keep as a sample, saying so.
const rowAnswer = z.union([z.record(z.string(), z.unknown()), z.object({ error: z.string() }), z.string()]).nullable();

const functionShadowStats = z.object({
  compared: z.number().int().meta({ description: "rows the shadow answered and compared with the current version's answer" }),
  matched: z.number().int(),
  mismatched: z.number().int(),
  shed: z.number().int().meta({ description: "requests not mirrored: the shadow's queue or byte budget was full" }),
  failed: z.number().int().meta({ description: "mirrored requests whose shadow call failed outside the guest" }),
  samples: z.array(z.object({ input: z.unknown(), current: rowAnswer, shadow: rowAnswer })).meta({ description: "the latest mismatched rows, bytes as base64" }),
});

export const shadowReport = z.union([
  z.object({ version: z.string(), fraction: z.number(), since: z.string(), functions: z.record(z.string(), functionShadowStats) }),
  z.object({ version: z.null(), fraction: z.literal(0), functions: z.object({}) }).meta({ description: "the environment has no shadow version" }),
]);

export const health = z.object({ status: z.literal("ok") });
export const readiness = z.object({ status: z.enum(["starting", "ready", "stopping"]) });

export const reloadRequest = z.object({ env: z.string().optional() });
export const reloadResponse = z.object({
  results: z.array(
    z.object({
      env: z.string(),
      status: z.enum(["unchanged", "loaded", "removed", "refused"]),
      version: z.string().optional(),
      error: z.string().optional(),
    }),
  ),
});

/** An OpenAPI 3.1 document: checked by validators in the tests, kept open here. */
export const openApiDocument = z.object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }).catchall(z.unknown()) }).catchall(z.unknown());

const windowSummary = z.object({
  count: z.number().int(),
  failed: z.number().int().meta({ description: "calls not answered 200" }),
  perSecond: z.number(),
  p50Ms: z.number().nullable(),
  p90Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
});

const seriesPoint = z.object({ at: z.number().meta({ description: "start of the 10 s bucket, ms since the epoch" }), count: z.number().int(), failed: z.number().int(), p50Ms: z.number().nullable(), p99Ms: z.number().nullable() });

export const statusReport = z.object({
  host: z.object({ status: z.enum(["starting", "ready", "stopping"]), startedAt: z.string(), now: z.string(), version: z.string() }),
  environments: z.array(
    environmentView.extend({
      activity: z.array(
        z.object({
          function: z.string(),
          lastMinute: windowSummary,
          lastFiveMinutes: windowSummary,
          series: z.array(seriesPoint).meta({ description: "the last 5 minutes in 10 s buckets, oldest first" }),
        }),
      ),
      deploys: z.array(z.object({ version: z.string(), createdAt: z.string(), current: z.boolean(), serving: z.boolean(), functions: z.array(z.string()) })).meta({ description: "the environment's versions in the store, newest first" }),
    }),
  ),
  events: z.array(
    z.object({
      at: z.string(),
      kind: z.enum(["error", "instance-restart", "executor-restart"]),
      env: z.string(),
      function: z.string().optional(),
      status: z.number().int().optional(),
      code: z.string().optional(),
      message: z.string(),
    }),
  ),
});
