/**
 * One environment's shadow version: its own executor, below the current
 * version's in the scheduler, fed a copy of a fraction of the environment's
 * requests once they have been answered. Nothing of it is on the request
 * path: `offer` decides at once (sampled out, or shed when the shadow's
 * bounded line or byte budget is full) and the call runs after the caller
 * has its answer; whatever the shadow does, the caller never sees it.
 */
import type { CallInput, CurrentAnswer } from "../../executor/protocol.ts";
import { ApiError } from "../../runtime/errors.ts";
import type { NonFiniteForm } from "../../runtime/codec.ts";
import type { Logger } from "../logger.ts";
import type { HostMetrics } from "../metrics.ts";
import type { Supervisor } from "../../supervision/supervisor.ts";
import { ShadowStats, type FunctionShadowStats } from "./stats.ts";

export interface ShadowView {
  version: string;
  fraction: number;
  since: string;
  functions: Record<string, FunctionShadowStats>;
}

const sizeOf = (x: CallInput | CurrentAnswer): number => (x.format === "values" ? 0 : x.body.byteLength);

export class Shadow {
  readonly stats: ShadowStats;

  constructor(
    readonly env: string,
    readonly version: string,
    public fraction: number,
    readonly since: string,
    readonly supervisor: Supervisor,
    private readonly deadlineMs: number,
    metrics: HostMetrics,
    private readonly log: Logger,
  ) {
    this.stats = new ShadowStats(env, version, metrics);
  }

  /** A request the current version answered (`nonFinite`: as the caller asked NaN and ±Infinity written): mirrored (or not) without waiting for anything. */
  offer(fn: string, input: CallInput, current: CurrentAnswer, nonFinite?: NonFiniteForm): void {
    if (Math.random() >= this.fraction) return;
    let admission;
    try {
      admission = this.supervisor.admit(sizeOf(input) + sizeOf(current));
    } catch {
      this.stats.shed(fn);
      return;
    }
    const startedAt = performance.now();
    // The call runs after the request is answered, when its body's buffer may be lent to another (host/body-buffers.ts).
    const ownInput: CallInput = input.format === "values" ? input : { format: input.format, body: Buffer.from(input.body) };
    this.supervisor
      .call(admission, fn, ownInput, { deadlineMs: this.deadlineMs, deadlineAt: startedAt + this.deadlineMs }, { compareWith: current, nonFinite })
      .then(
        (answer) => this.stats.record(fn, answer.comparison!),
        (error: unknown) => {
          this.stats.failed(fn);
          this.log.warn({ env: this.env, shadow: this.version, function: fn, err: error instanceof ApiError ? error.message : error }, "shadow call failed");
        },
      )
      .finally(() => {
        admission.ticket.release();
        admission.reservation.release();
      });
  }

  view(): ShadowView {
    return { version: this.version, fraction: this.fraction, since: this.since, functions: this.stats.view() };
  }
}
