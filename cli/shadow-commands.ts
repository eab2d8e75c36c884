/** `vial shadow stop` and `vial promote`, and the checks of `vial deploy --shadow --fraction`. */
import type { Command, Option } from "commander";
import { Store } from "../builds/store.ts";
import { VialError } from "../builds/errors.ts";

/** `--fraction`: the share of requests mirrored to a shadow version, in (0, 1]. */
export function parseFraction(text: string): number {
  const fraction = Number(text);
  if (!(fraction > 0 && fraction <= 1)) throw new VialError(`--fraction must be a share of requests above 0 and at most 1 (0.1 mirrors one in ten), got '${text}'`);
  return fraction;
}

/** What `vial deploy` makes of --shadow and --fraction. */
export function shadowOption(opts: { shadow?: boolean; fraction?: number }): { fraction: number } | undefined {
  if (opts.fraction !== undefined && !opts.shadow) throw new VialError("--fraction goes with --shadow: it is the share of requests mirrored to the shadow version");
  return opts.shadow ? { fraction: opts.fraction ?? 1 } : undefined;
}

export function registerShadowCommands(program: Command, storeOption: () => Option): void {
  program
    .command("shadow")
    .description("shadow versions: run beside the current version on a copy of its requests, compared row by row (GET /v1/environments/{env}/shadow)")
    .command("stop")
    .description("stop shadowing: the host stops the shadow version's executor; the current version is untouched")
    .requiredOption("--env <env>", "environment")
    .addOption(storeOption())
    .action(async (opts: { env: string; store?: string }) => {
      const version = await new Store(opts.store).stopShadow(opts.env);
      console.log(`${opts.env} is no longer shadowed by ${version}`);
    });

  program
    .command("promote")
    .description("make the shadow version current (the usual hot switch; 'vial rollback' returns to the previous one)")
    .requiredOption("--env <env>", "environment")
    .addOption(storeOption())
    .action(async (opts: { env: string; store?: string }) => {
      const pointer = await new Store(opts.store).promote(opts.env);
      console.log(`${opts.env} is now at ${pointer.version} (previous: ${pointer.history.at(-1) ?? "none"})`);
    });
}
