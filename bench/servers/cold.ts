/**
 * Contender "cold": what scale-from-zero does. Core modules are compiled once
 * (as a warm cache would keep them); every request instantiates the component,
 * reseeds it, runs the batch and drops the instance. Rows are checked on the
 * way in and out as the host does (host/rows.ts), so the only difference from
 * vial is where the instance comes from.
 */
import { Hono } from "hono";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { compileCoreModules, instantiateGuest, type CoreModules } from "../../host/guest-instance.ts";
import { grantsFor } from "../../host/grants.ts";
import { checkOutputs, prepareInputs, type RowError } from "../../host/rows.ts";
import type { FunctionSchema } from "../../guest-sdk/js/schema.ts";

interface ColdVersion {
  bindingsFile: string;
  modules: CoreModules;
  functions: Map<string, FunctionSchema>;
  createImports: () => Promise<Record<string, unknown>>;
}

export async function coldRoutes(store: Store, envs: string[]): Promise<Hono> {
  const versions = new Map<string, ColdVersion>();
  for (const env of envs) {
    const pointer = await store.current(env);
    if (!pointer) throw new Error(`environment ${env} has no current version`);
    const manifest = await store.readManifest(env, pointer.version);
    const dir = store.versionDir(env, pointer.version);
    const grants = await grantsFor(manifest.language);
    versions.set(env, {
      bindingsFile: join(dir, manifest.bindings.file),
      modules: await compileCoreModules(dir, manifest),
      functions: new Map(manifest.functions.map((f) => [f.name, f])),
      createImports: () => grants.createImports(),
    });
  }
  const app = new Hono();
  app.post("/cold/:env/:fn", async (c) => {
    const version = versions.get(c.req.param("env"));
    if (!version) return c.json({ error: "unknown environment" }, 404);
    const schema = version.functions.get(c.req.param("fn"));
    if (!schema) return c.json({ error: "unknown function" }, 404);
    const inputs = prepareInputs(schema.inputs, (JSON.parse(await c.req.text()) as { rows: unknown[] }).rows);
    const guest = await instantiateGuest(version.bindingsFile, version.modules, await version.createImports());
    guest.reseed(crypto.getRandomValues(new Uint8Array(32)));
    const envelope = JSON.parse(guest.call(schema.name, JSON.stringify(inputs))) as { rows: unknown[]; errors: RowError[] };
    const rows = checkOutputs(schema.outputs, envelope.rows, envelope.errors);
    return c.body(JSON.stringify({ rows, errors: envelope.errors }), 200, { "content-type": "application/json" });
  });
  return app;
}
