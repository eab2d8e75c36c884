/**
 * `vial dev <module> --env <env>`: serves the store, deploys the module, and
 * on every save of it or of the environment's requirements rebuilds and
 * hot-deploys (debounced), printing type errors and, with --rows, each
 * function's results on the test rows. A save that does not build leaves the
 * last good version serving.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { watch } from "chokidar";
import { Store } from "../builds/store.ts";
import { deploy } from "../builds/deploy.ts";
import { createEnvironment } from "../builds/env-create.ts";
import { VialError } from "../builds/errors.ts";
import { serve, type Serving } from "../host/serve.ts";
import { loadConfig } from "../host/config.ts";
import { createLogger } from "../host/logger.ts";
import { restartWithMallocEnv } from "../runtime/malloc-env.ts";
import { readRows } from "./rows-file.ts";
import { resultTable } from "./table.ts";
import { createProgress } from "./progress.ts";
import { parsePort } from "./host-commands.ts";

export interface DevCommandOptions {
  env: string;
  port?: string;
  host?: string;
  rows?: string;
  fn?: string;
  requirements?: string;
  store?: string;
}

const DEBOUNCE_MS = 150;
const say = (line: string): void => void process.stdout.write(`${line}\n`);

export async function devCommand(modulePath: string, opts: DevCommandOptions): Promise<void> {
  restartWithMallocEnv();
  if (!existsSync(modulePath)) throw new VialError(`module ${modulePath} does not exist`);
  const store = new Store(opts.store);
  const def = await store.readEnvironment(opts.env);
  const requirements = resolve(opts.requirements ?? def.requirements);
  const rows = opts.rows ? await readRows(opts.rows) : undefined;
  const config = loadConfig({ overrides: { store: store.root, port: parsePort(opts.port), host: opts.host } });
  const serving = await serve({ store, config, exitOnSignal: true, logger: createLogger("warn") });
  await serving.host.ready;
  say(`serving ${serving.address} (status page: ${serving.address}/)`);

  const rebuild = serialized(async (changed: Set<string>) => {
    const progress = createProgress();
    const started = performance.now();
    try {
      if (changed.has(requirements)) {
        progress(`installing ${requirements}`);
        await createEnvironment({ name: opts.env, requirements, store, progress });
      }
      const { manifest } = await deploy({ store, env: opts.env, modulePath, progress });
      progress.done();
      const [loaded] = await serving.host.reload(opts.env);
      if (loaded?.status === "refused") return say(`✗ ${loaded.error}`);
      say(`✓ ${opts.env}@${manifest.version} serving (${Math.round(performance.now() - started)} ms): ${manifest.functions.map((f) => `${serving.address}/v1/invoke/${opts.env}/${f.name}`).join(" ")}`);
      if (rows) await runRows(serving, opts.env, manifest.functions.filter((f) => !opts.fn || f.name === opts.fn), rows);
    } catch (error) {
      progress.done(false);
      // Whatever went wrong, the session goes on: the next save tries again.
      const current = await store.current(opts.env).catch(() => undefined);
      say(`✗ ${error instanceof VialError ? error.message : `unexpected: ${(error as Error).stack ?? error}`}`);
      say(`  ${current ? `${opts.env}@${current.version} keeps serving` : "nothing is serving yet"}: fix and save again`);
    }
  });

  await rebuild(new Set([resolve(modulePath)]));
  const watched = [resolve(modulePath), ...(existsSync(requirements) ? [requirements] : [])];
  say(`watching ${watched.join(", ")}`);
  const watcher = watch(watched, { ignoreInitial: true });
  let pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  watcher.on("all", (_event, path) => {
    pending.add(resolve(path));
    clearTimeout(timer);
    timer = setTimeout(() => {
      const changed = pending;
      pending = new Set();
      void rebuild(changed);
    }, DEBOUNCE_MS);
  });
  process.once("SIGTERM", () => void watcher.close());
  process.once("SIGINT", () => void watcher.close());
}

async function runRows(serving: Serving, env: string, functions: Awaited<ReturnType<typeof deploy>>["manifest"]["functions"], rows: unknown[]): Promise<void> {
  for (const schema of functions) {
    try {
      const result = await serving.host.invoke(env, schema.name, rows);
      say(`${schema.name}:\n${resultTable(schema, rows, result as Parameters<typeof resultTable>[2])}`);
    } catch (error) {
      say(`${schema.name}: ${(error as Error).message}`);
    }
  }
}

/** One run at a time; saves during a run are merged into the next one. */
function serialized(run: (changed: Set<string>) => Promise<void>): (changed: Set<string>) => Promise<void> {
  let running: Promise<void> = Promise.resolve();
  let queued: Set<string> | undefined;
  return (changed) => {
    if (queued) {
      for (const path of changed) queued.add(path);
      return running;
    }
    queued = new Set(changed);
    running = running.then(() => {
      const next = queued!;
      queued = undefined;
      return run(next);
    });
    return running;
  };
}
