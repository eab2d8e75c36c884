/**
 * Contender "cold": what scale-from-zero does. Core modules are compiled once
 * (as a warm cache would keep them); every request instantiates the component,
 * reseeds it, runs the batch and drops the instance. Rows are checked on the
 * way in and out as executors do (executor/rows.ts), so the only difference
 * from vial is where the instance comes from. A server of its own: the
 * instances it drops would otherwise weigh on whichever contender shares its
 * process (in vial's host they halved vial's steady throughput).
 */
import { Hono } from "hono";
import { Store } from "../../builds/store.ts";
import { config, fail, listen } from "./child.ts";
import { readVersion } from "../../runtime/version/read-version.ts";
import { compileCore, instantiateComponent, type CompiledComponent } from "../../runtime/component/instantiate.ts";
import { freshEntropy } from "../../runtime/guest.ts";
import { checkOutputs, prepareInputs, type RowError } from "../../executor/rows.ts";
import type { FunctionSchema } from "../../runtime/schema.ts";

interface ColdVersion {
  component: CompiledComponent;
  functions: Map<string, FunctionSchema>;
}

async function coldRoutes(store: Store, envs: string[]): Promise<Hono> {
  const versions = new Map<string, ColdVersion>();
  for (const env of envs) {
    const pointer = await store.current(env);
    if (!pointer) throw new Error(`environment ${env} has no current version`);
    const version = await readVersion(store.versionDir(env, pointer.version), env, pointer.version);
    versions.set(env, {
      component: { language: version.manifest.language, bindings: version.bindings, modules: await compileCore(version.core) },
      functions: new Map(version.manifest.functions.map((f) => [f.name, f])),
    });
  }
  const app = new Hono();
  app.post("/cold/:env/:fn", async (c) => {
    const version = versions.get(c.req.param("env"));
    if (!version) return c.json({ error: "unknown environment" }, 404);
    const schema = version.functions.get(c.req.param("fn"));
    if (!schema) return c.json({ error: "unknown function" }, 404);
    const inputs = prepareInputs(schema.inputs, (JSON.parse(await c.req.text()) as { rows: unknown[] }).rows);
    const guest = await instantiateComponent(version.component);
    await guest.reseed(freshEntropy());
    const envelope = JSON.parse(await guest.call(schema.name, JSON.stringify(inputs))) as { rows: unknown[]; errors: RowError[] };
    const rows = checkOutputs(schema.outputs, envelope.rows, envelope.errors);
    return c.body(JSON.stringify({ rows, errors: envelope.errors }), 200, { "content-type": "application/json" });
  });
  return app;
}

interface ColdConfig {
  store: string;
  envs: string[];
}

async function main() {
  const cfg = config<ColdConfig>();
  const app = await coldRoutes(new Store(cfg.store), cfg.envs);
  listen(app.fetch, { envs: cfg.envs });
}

main().catch(fail);
