/** `vial`: the command line. Each command is a thin layer over builds/ and host/. */
import { Command, Option } from "commander";
import { Store } from "../builds/store.ts";
import { JS_ENGINES } from "../builds/js/engine-names.ts";
import { VialError } from "../builds/errors.ts";
import { serveCommand } from "./host-commands.ts";
import { invokeCommand } from "./invoke-command.ts";
import { createProgress } from "./progress.ts";
import { registerK8s } from "./k8s/command.ts";
import { registerRunCommands } from "./run-command.ts";
import { parseFraction, registerShadowCommands, shadowOption } from "./shadow-commands.ts";

const progress = createProgress();
const storeOption = () => new Option("--store <dir>", "artifact store (default: $VIAL_STORE or ./.vial)");
const openStore = (dir?: string) => new Store(dir);

/**
 * The commands that build load their toolchains (TypeScript, componentize-js,
 * jco) only when they run: a serving image leaves those out (builds/image).
 */
async function toolchain<T>(load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw error;
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec((error as Error).message)?.[1] ?? "a package";
    throw new VialError(`this command builds, and this install of vial serves only (${missing} is not installed): run it where vial was installed with 'npm ci'`);
  }
}

const program = new Command("vial").description("WebAssembly function runtime for realtime feature transformations");

const env = program.command("env").description("environments: a language and its dependencies");
env
  .command("create")
  .description("create or update an environment from a requirements file")
  .requiredOption("--name <env>", "environment name")
  .requiredOption("--requirements <file>", "package.json (JS) or requirements.txt (Python)")
  .addOption(new Option("--language <language>", "inferred from the requirements file").choices(["js", "python"]))
  .addOption(new Option("--engine <engine>", "JS engine: v8 (the default: the bundle in V8 isolates, its component QuickJS), quickjs or starlingmonkey (the component)").choices([...JS_ENGINES]))
  .addOption(storeOption())
  .action(async (opts) => {
    const store = openStore(opts.store);
    process.stderr.write(`creating environment '${opts.name}'\n`);
    const { createEnvironment } = await toolchain(() => import("../builds/env-create.ts"));
    const def = await progress.track(createEnvironment({ ...opts, store, progress }));
    console.log(`environment '${def.name}' (${def.language}${def.engine ? `, ${def.engine}` : ""}) ready: layer ${def.layer}${def.reused ? " (unchanged)" : ""}`);
  });
env
  .command("list")
  .description("list environments and their current versions")
  .addOption(storeOption())
  .action(async (opts) => {
    const store = openStore(opts.store);
    for (const name of await store.environments()) {
      const current = await store.current(name);
      console.log(`${name}\t${current?.version ?? "(not deployed)"}`);
    }
  });
env
  .command("versions <env>")
  .description("list the versions of an environment")
  .addOption(storeOption())
  .action(async (name, opts) => {
    const store = openStore(opts.store);
    const current = await store.current(name);
    for (const version of await store.versions(name)) {
      const m = await store.readManifest(name, version);
      console.log(`${version === current?.version ? "*" : " "} ${version}\t${m.createdAt}\t${m.functions.map((f) => f.name).join(", ")}`);
    }
  });

program
  .command("deploy <module>")
  .description("build a module into a new version of an environment and make it current (or its shadow)")
  .requiredOption("--env <env>", "environment to deploy into")
  .option("--shadow", "do not make it current: run it beside the current version on a copy of its requests and compare")
  .option("--fraction <share>", "with --shadow: the share of requests mirrored (default 1)", parseFraction)
  .option("--sample <file>", "rows that must pass before the version is published: {\"<function>\": [rows]}, or a list of rows for a module of one function")
  .addOption(storeOption())
  .action(async (modulePath, opts) => {
    const store = openStore(opts.store);
    const shadow = shadowOption(opts);
    process.stderr.write(`deploying ${modulePath} to '${opts.env}'${shadow ? " as its shadow" : ""}\n`);
    const { deploy } = await toolchain(() => import("../builds/deploy.ts"));
    const { manifest, warnings } = await progress.track(deploy({ store, env: opts.env, modulePath, progress, shadow, samples: opts.sample }));
    for (const warning of warnings) process.stderr.write(`warning: ${warning}\n`);
    console.log(`published ${opts.env}@${manifest.version} (${manifest.engine}, ${(manifest.component.bytes / 1e6).toFixed(1)} MB, ${manifest.buildMs} ms)`);
    for (const f of manifest.functions) {
      const fields = (list: typeof f.inputs) => list.map((x) => `${x.name}: ${JSON.stringify(x.type)}`).join(", ");
      console.log(`  ${f.name}(${fields(f.inputs)}) -> (${fields(f.outputs)})${f.mode === "batch" ? " [batch]" : ""}`);
    }
    if (shadow) console.log(`shadowing the current version on ${shadow.fraction * 100}% of its requests: 'vial promote --env ${opts.env}' makes it current, 'vial shadow stop --env ${opts.env}' drops it`);
  });

program
  .command("rollback")
  .description("make the previous (or the given) version of an environment current again")
  .requiredOption("--env <env>", "environment")
  .option("--to <version>", "version to return to (default: the previous one)")
  .addOption(storeOption())
  .action(async (opts) => {
    const pointer = await openStore(opts.store).rollback(opts.env, opts.to);
    console.log(`${opts.env} is now at ${pointer.version}`);
  });

program
  .command("serve")
  .description("serve every environment's current version over HTTP (warm pools, hot deploys)")
  .addOption(storeOption())
  .option("--host <address>", "address to bind (default 127.0.0.1)")
  .option("--port <port>", "TCP port (default 8787)")
  .option("--socket <path>", "listen on a unix socket instead of TCP")
  .option("--direct-sockets <folder>", "also let each environment's executor serve invoke calls itself, at <folder>/<env>.sock")
  .option("--config <file>", "host configuration (vial.config.json)")
  .action(serveCommand);

program
  .command("invoke <env> [function]")
  .description("run one batch: through a running host with --url or --socket, else in this process from the store (also <env>/<function>)")
  .addOption(storeOption())
  .option("--rows <rows>", "rows.json (an array, or {\"rows\": [...]}), rows.ndjson, - for stdin, or inline JSON")
  .option("--file <file>", "the same as --rows <file>")
  .option("--url <url>", "a running host, e.g. http://127.0.0.1:8787")
  .option("--socket <path>", "a running host's unix socket")
  .option("--token <token>", "bearer token (default $VIAL_TOKEN)")
  .option("--cbor", "send and receive CBOR (bytes as byte strings)")
  .option("--deadline <ms>", "stop the call after this many milliseconds")
  .action(invokeCommand);

program
  .command("test <module>")
  .description("build a module as deploy would, run rows through it in a real executor, publish nothing")
  .requiredOption("--env <env>", "environment whose dependencies and engine to build with")
  .option("--fn <name>", "function to run (may be left out when the module has one)")
  .requiredOption("--rows <rows>", "rows.json, rows.ndjson, - for stdin, or inline JSON")
  .option("--json", 'print one {"rows": [...], "errors": [...]} document, as the HTTP API answers')
  .option("--deadline <ms>", "stop the call after this many milliseconds")
  .addOption(storeOption())
  .action(async (modulePath, opts) => (await toolchain(() => import("./test-command.ts"))).testCommand(modulePath, opts));

program
  .command("dev <module>")
  .description("serve the store and redeploy the module on every save of it or its requirements")
  .requiredOption("--env <env>", "environment to deploy into")
  .option("--port <port>", "TCP port (default 8787; 0 picks a free one)")
  .option("--host <address>", "address to bind (default 127.0.0.1)")
  .option("--rows <rows>", "test rows to run after each deploy (rows.json, rows.ndjson or inline JSON)")
  .option("--fn <name>", "run the test rows through this function only")
  .option("--requirements <file>", "requirements to watch (default: the ones the environment was created from)")
  .addOption(storeOption())
  .action(async (modulePath, opts) => (await toolchain(() => import("./dev-command.ts"))).devCommand(modulePath, opts));

registerK8s(program);
registerRunCommands(program, storeOption);
registerShadowCommands(program, storeOption);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof VialError) {
    console.error(`error: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
