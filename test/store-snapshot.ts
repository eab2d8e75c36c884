/** Test helpers around a temporary store. */
import { mkdtemp, readdir } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store } from "../builds/store.ts";

export async function tempStore(): Promise<Store> {
  return new Store(join(await mkdtemp(join(tmpdir(), "vial-test-")), "store"));
}

/** Every path in the store except staging leftovers: what a failed command must not change. */
export async function snapshot(store: Store): Promise<string[]> {
  if (!existsSync(store.root)) return [];
  const entries = await readdir(store.root, { recursive: true });
  return entries.filter((p) => !p.startsWith("tmp")).sort();
}
