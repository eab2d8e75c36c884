/**
 * Probes started exactly the way executors are (the real launcher, with a
 * program in place of the executor's entry), with or without Node's
 * permission model: what code that escaped into the executor's JS would
 * find, and what native code would.
 */
import { runProbe, type LaunchCommand, type Sandbox } from "../../supervision/sandbox.ts";

/** The same launch without Node's permission model: what native code would have. */
export function withoutPermissionModel(command: LaunchCommand): LaunchCommand {
  return { ...command, args: command.args.filter((a) => !/^--(experimental-)?permission$|^--allow-/.test(a)) };
}

/** The same launch without the confinement launcher's layers (Landlock, seccomp): what the other layers hold alone. */
export function withoutConfinement(command: LaunchCommand): LaunchCommand {
  const at = command.args.findIndex((a) => a.endsWith("/launcher.mjs"));
  if (at < 0) return command;
  // node --no-warnings launcher.mjs <files> <descriptors> -- node ...
  return { ...command, args: [...command.args.slice(0, at - 2), ...command.args.slice(at + 4)] };
}

/** Runs `program` (CommonJS, printing one JSON value) as an executor of `sandbox` would run; returns what it printed. */
export async function probe(sandbox: Sandbox, program: string, args: string[] = [], opts: { permissionModel: boolean; confinement?: boolean }): Promise<any> {
  const launched = sandbox.launch("v8", ["-e", program, ...args]);
  const command = opts.confinement === false ? withoutConfinement(launched) : launched;
  return JSON.parse(await runProbe(opts.permissionModel ? command : withoutPermissionModel(command)));
}
