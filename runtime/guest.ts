/**
 * The guest contract, as every engine exposes it: the exports of the WIT
 * world (wit/world.wit), whether they run in a component or in a V8 isolate.
 */
export interface Guest {
  /** `{"functions": [{name, mode, inputs, outputs}]}` as JSON text. */
  describe(): Promise<string>;
  reseed(entropy: Uint8Array): Promise<void>;
  /** The output envelope (JSON text); rejects with GuestCallError for the WIT `err` case. */
  call(fn: string, batch: string): Promise<string>;
}

/** The guest answered `err`: the whole batch failed for a reason the guest reports. */
export class GuestCallError extends Error {
  override name = "GuestCallError";
}

/** Fresh entropy for one instance: snapshots and shared bundles would otherwise share their random state. */
export const freshEntropy = (): Uint8Array => crypto.getRandomValues(new Uint8Array(32));
