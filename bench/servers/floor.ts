/**
 * Contender "floor": the transformation as plain JS in a bare Hono route, no
 * sandbox, no pool, no validation. What a batch costs when nothing stands
 * between the request and the function.
 */
import { Hono } from "hono";
import { pathToFileURL } from "node:url";
import type { Transformation } from "../../guest-sdk/js/index.ts";
import { config, fail, listen } from "./child.ts";

interface FloorConfig {
  envs: Array<{ name: string; module: string }>;
}

async function main() {
  const { envs } = config<FloorConfig>();
  const functions = new Map<string, Transformation>();
  for (const env of envs) {
    const mod = (await import(pathToFileURL(env.module).href)) as Record<string, Transformation>;
    for (const [name, fn] of Object.entries(mod)) functions.set(`${env.name}/${name}`, fn);
  }
  const app = new Hono();
  app.post("/call/:env/:fn", async (c) => {
    const fn = functions.get(`${c.req.param("env")}/${c.req.param("fn")}`);
    if (!fn) return c.json({ error: "unknown function" }, 404);
    const { rows } = JSON.parse(await c.req.text()) as { rows: never[] };
    const out = fn.run(rows).map((r) => (r instanceof Error ? null : r));
    return c.body(JSON.stringify({ rows: out, errors: [] }), 200, { "content-type": "application/json" });
  });
  listen(app.fetch, { functions: [...functions.keys()] });
}

main().catch(fail);
