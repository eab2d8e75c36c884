/**
 * The bytes of request and response bodies the host holds at once, bounded
 * for the host and for each environment's share of it: a request that would
 * pass either bound is refused (503) before its body is read, so a flood of
 * large batches to one environment can fill neither the host's memory nor
 * the room other environments need.
 */
import type { BodyBudget, Refusal, Reservation as BodyReservation } from "../../supervision/collaborators.ts";

export type { Refusal };

export class ByteBudget implements BodyBudget {
  private used = 0;
  private readonly byEnv = new Map<string, number>();

  constructor(
    readonly totalBytes: number,
    readonly perEnvironmentBytes: number,
  ) {}

  /** Takes `bytes` for `env`; the returned reservation grows as a body turns out larger, and is released once. */
  reserve(env: string, bytes: number): Reservation | Refusal {
    const refusal = this.refusal(env, bytes);
    if (refusal) return refusal;
    this.take(env, bytes);
    return new Reservation(this, env, bytes);
  }

  /** What `env` holds now (all environments when omitted). */
  held(env?: string): number {
    return env === undefined ? this.used : (this.byEnv.get(env) ?? 0);
  }

  environments(): string[] {
    return [...this.byEnv.keys()];
  }

  /** @internal */
  refusal(env: string, bytes: number): Refusal | undefined {
    if (this.used + bytes > this.totalBytes) return "host";
    if (this.held(env) + bytes > this.perEnvironmentBytes) return "environment";
    return undefined;
  }

  /** @internal */
  take(env: string, bytes: number): void {
    this.used += bytes;
    const left = this.held(env) + bytes;
    if (left === 0) this.byEnv.delete(env);
    else this.byEnv.set(env, left);
  }
}

export class Reservation implements BodyReservation {
  private released = false;

  constructor(
    private readonly budget: ByteBudget,
    readonly env: string,
    private bytes: number,
  ) {}

  /** Takes `more` bytes, unless that would pass a bound (nothing is taken then). */
  grow(more: number): Refusal | undefined {
    if (this.released) return undefined;
    const refusal = this.budget.refusal(this.env, more);
    if (refusal) return refusal;
    this.budget.take(this.env, more);
    this.bytes += more;
    return undefined;
  }

  /** Takes `more` bytes whatever the bounds: for bytes already held (an answer on its way out). */
  add(more: number): void {
    if (this.released) return;
    this.budget.take(this.env, more);
    this.bytes += more;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.take(this.env, -this.bytes);
  }
}
