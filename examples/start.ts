/**
 * `npm start`: builds the fuzzy-similarity example into the store if it is not
 * there yet, serves every environment, sends one batch over HTTP with the
 * client, prints the answer, and keeps serving.
 */
import { fileURLToPath } from "node:url";
import { Store } from "../builds/store.ts";
import { createEnvironment } from "../builds/env-create.ts";
import { deploy } from "../builds/deploy.ts";
import { serve } from "../host/serve.ts";
import { createClient } from "../host/client.ts";
import { createLogger } from "../host/logger.ts";
import { restartWithMallocEnv } from "../runtime/malloc-env.ts";

const EXAMPLE = fileURLToPath(new URL("./fuzzy-similarity/", import.meta.url));
const ENV = "fuzzy";
const progress = (msg: string) => console.log(`  ${msg}`);

restartWithMallocEnv();
const store = new Store();
if (!(await store.current(ENV))) {
  console.log(`building the example environment '${ENV}' into ${store.root}`);
  await createEnvironment({ name: ENV, requirements: `${EXAMPLE}package.json`, store, progress });
  const { manifest } = await deploy({ store, env: ENV, modulePath: `${EXAMPLE}features.ts`, progress });
  console.log(`  published ${ENV}@${manifest.version}`);
}

const port = Number(process.env.PORT ?? 8787);
const serving = await serve({ store, config: { port }, exitOnSignal: true, logger: createLogger("warn") });
await serving.host.ready;

const rows = [{ text: "Mocha brownie bars" }, { text: "cheesecake" }, { text: "Fudge Brownie Bars, mocha & cheesecake" }];
const client = createClient({ url: serving.address, format: "json" });
const result = await client.invoke(ENV, "fuzzy_similarity", rows);
const { environments, sandbox } = (await client.environments()) as {
  environments: Array<{ name: string; engine: { running: string; reason?: string } }>;
  sandbox: { namespaces: boolean; user: string };
};
await client.close();
const engine = environments.find((e) => e.name === ENV)!.engine;
console.log(`\n'${ENV}' runs on ${engine.running}${engine.reason ? ` (${engine.reason})` : ""}, in an executor process of its own`);
console.log(`  executor sandbox: ${sandbox.namespaces ? "own network and process namespaces" : "no namespaces here"}, runs as ${sandbox.user}`);

console.log(`\nPOST ${serving.address}/v1/invoke/${ENV}/fuzzy_similarity`);
rows.forEach((row, i) => console.log(`  ${JSON.stringify(row.text).padEnd(42)} -> ${JSON.stringify(result.rows[i])}`));
console.log(`\nserving ${serving.address} (Ctrl-C to stop). Try:`);
console.log(`  curl -s ${serving.address}/v1/invoke/${ENV}/fuzzy_similarity -H 'content-type: application/json' -d '{"rows":[{"text":"brownie"}]}'`);
