/**
 * The executors a run uses: one per worker, each started exactly as the host
 * starts a version's executor (supervision/start.ts: verified version,
 * sandbox, engine, supervisor with restarts), so each batch goes through the
 * same per-row work as `POST /v1/invoke` (executor/call.ts).
 */
import type { Store } from "../builds/store.ts";
import { VialError } from "../builds/errors.ts";
import type { Manifest } from "../runtime/manifest.ts";
import { ApiError } from "../runtime/errors.ts";
import type { RowError } from "../executor/rows.ts";
import type { Logger } from "pino";
import type { PoolPolicy } from "../supervision/policy.ts";
import type { Supervisor } from "../supervision/supervisor.ts";
import type { EngineReport } from "../supervision/engine.ts";
import { startVersion } from "../supervision/start.ts";

/** How long a run waits for an executor that keeps failing to come back before it gives up. */
const UNAVAILABLE_LIMIT_MS = 120_000;

export type CallOutcome = { ok: true; rows: unknown[]; errors: RowError[] } | { ok: false; error: ApiError };

const decoder = new TextDecoder();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Worker {
  inFlight = 0;

  constructor(
    private readonly supervisor: Supervisor,
    private readonly deadlineMs: number,
  ) {}

  /** One batch as a JSON body, as a client would send it; an error of the call is returned, not thrown. */
  async call(fn: string, body: Uint8Array): Promise<CallOutcome> {
    this.inFlight++;
    try {
      return await this.callUntilAvailable(fn, body);
    } finally {
      this.inFlight--;
    }
  }

  private async callUntilAvailable(fn: string, body: Uint8Array): Promise<CallOutcome> {
    const since = performance.now();
    for (;;) {
      try {
        const admission = this.supervisor.admit();
        try {
          const arrivedAt = performance.now();
          const answer = await this.supervisor.call(admission, fn, { format: "json", body }, { deadlineMs: this.deadlineMs, deadlineAt: arrivedAt + this.deadlineMs });
          const { rows, errors } = JSON.parse(decoder.decode(answer.body as Uint8Array)) as { rows: unknown[]; errors: RowError[] };
          return { ok: true, rows, errors };
        } finally {
          admission.ticket.release();
          admission.reservation.release();
        }
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        // 503: the executor is restarting (or busy): the batch waits for it, it has not failed.
        if (error.status !== 503) return { ok: false, error };
        if (performance.now() - since > UNAVAILABLE_LIMIT_MS) {
          throw new VialError(`the environment's executor has been unavailable for ${UNAVAILABLE_LIMIT_MS / 1000} s (${error.message}): see the log lines above`);
        }
        await sleep(Math.min(1000, (error.retryAfter ?? 1) * 1000));
      }
    }
  }
}

export interface WorkersSpec {
  store: Store;
  env: string;
  version: string;
  count: number;
  policy: PoolPolicy;
  log: Logger;
}

export class Workers {
  private constructor(
    readonly all: Worker[],
    private readonly supervisors: Supervisor[],
    readonly manifest: Manifest,
    readonly engine: EngineReport,
  ) {}

  static async start(spec: WorkersSpec): Promise<Workers> {
    const versionDir = spec.store.versionDir(spec.env, spec.version);
    const started = await Promise.allSettled(
      Array.from({ length: spec.count }, () => startVersion({ env: spec.env, version: spec.version, versionDir, policy: spec.policy }, { log: spec.log })),
    );
    const supervisors = started.flatMap((s) => (s.status === "fulfilled" ? [s.value.supervisor] : []));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure) {
      await Promise.all(supervisors.map((s) => s.drain(0)));
      throw new VialError(`${spec.env}@${spec.version} cannot run: ${(failure.reason as Error).message}`);
    }
    const { manifest } = (started[0] as PromiseFulfilledResult<{ manifest: Manifest }>).value;
    return new Workers(
      supervisors.map((s) => new Worker(s, spec.policy.deadlineMs)),
      supervisors,
      manifest,
      supervisors[0]!.engine,
    );
  }

  /** The worker with the fewest batches in hand. */
  leastBusy(): Worker {
    return this.all.reduce((best, w) => (w.inFlight < best.inFlight ? w : best));
  }

  async close(): Promise<void> {
    await Promise.all(this.supervisors.map((s) => s.drain(10_000)));
  }
}
