/** The store's shadow pointer: what deploy --shadow, shadow stop, promote, deploy and rollback do to current.json. */
import { describe, expect, it } from "vitest";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempStore } from "../store-snapshot.ts";
import type { Store } from "../../builds/store.ts";

/** A version folder with a manifest is all rollback checks for. */
async function fakeVersion(store: Store, env: string, version: string): Promise<void> {
  await mkdir(store.versionDir(env, version), { recursive: true });
  await writeFile(join(store.versionDir(env, version), "manifest.json"), "{}");
}

describe("shadow pointer", () => {
  it("needs a current version, survives deploys and rollbacks, and promote makes it current with the old one in the history", async () => {
    const store = await tempStore();
    for (const v of ["v1", "v2", "v3"]) await fakeVersion(store, "e", v);
    await expect(store.setShadow("e", "v2", 1)).rejects.toThrow(/has no current version to compare a shadow with/);
    await expect(store.promote("e")).rejects.toThrow(/has no shadow version to promote/);
    await store.setCurrent("e", "v1");
    const shadowed = await store.setShadow("e", "v2", 0.25);
    expect(shadowed).toMatchObject({ version: "v1", history: [], shadow: { version: "v2", fraction: 0.25 } });
    expect(await store.setCurrent("e", "v3")).toMatchObject({ version: "v3", history: ["v1"], shadow: { version: "v2" } });
    expect(await store.rollback("e")).toMatchObject({ version: "v1", history: [], shadow: { version: "v2" } });
    expect(await store.promote("e")).toEqual({ version: "v2", history: ["v1"] });
    expect(await store.rollback("e")).toEqual({ version: "v1", history: [] });
    await store.setShadow("e", "v3", 1);
    expect(await store.stopShadow("e")).toBe("v3");
    expect(await store.current("e")).toEqual({ version: "v1", history: [] });
    await expect(store.stopShadow("e")).rejects.toThrow(/has no shadow version/);
  });
});
