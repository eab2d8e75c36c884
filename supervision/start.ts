/**
 * Starting one version's executor the way every caller needs it: the version
 * read and verified, the executor's code and sandbox of this machine, the
 * engine chosen for it, and a supervisor that keeps the process running.
 * The host's current versions, its shadow versions and `vial run` all start
 * executors here, so they run the same version the same way.
 */
import type { Manifest } from "../runtime/manifest.ts";
import { readVersion } from "../runtime/version/read-version.ts";
import type { Logger } from "pino";
import type { PoolPolicy } from "./policy.ts";
import type { BodyBudget, SupervisionCounters } from "./collaborators.ts";
import { executorCode } from "./code.ts";
import { executorSandbox } from "./sandbox.ts";
import { chooseEngine } from "./engine.ts";
import { executorLimits } from "./limits.ts";
import { Supervisor } from "./supervisor.ts";
import type { DirectSockets } from "./direct-socket.ts";

export interface VersionSpec {
  env: string;
  version: string;
  versionDir: string;
  policy: PoolPolicy;
  /** The name in logs and metrics (default: the environment's). */
  label?: string;
  niceness?: number;
}

export interface StartDeps {
  log: Logger;
  budget?: BodyBudget;
  counters?: SupervisionCounters;
  direct?: DirectSockets;
}

export interface StartedVersion {
  supervisor: Supervisor;
  manifest: Manifest;
}

/** Resolves once the executor's instances are warm; throws (with nothing left running) when it cannot start. */
export async function startVersion(spec: VersionSpec, deps: StartDeps): Promise<StartedVersion> {
  const code = await executorCode();
  // Before every start of its executor (restarts included): the version, and the executor's own code.
  const read = async () => {
    const rewritten = await code.verify();
    if (rewritten.length > 0) deps.log.error({ env: spec.env, dir: code.dir, rewritten }, "the executor's code had been changed since this host wrote it: written again");
    return readVersion(spec.versionDir, spec.env, spec.version);
  };
  const artifacts = await read();
  const sandbox = (await executorSandbox(code)).withLimits(executorLimits(spec.policy));
  const engine = chooseEngine(artifacts.manifest, spec.policy.engine, sandbox.report.v8);
  const supervisor = new Supervisor(spec.label ?? spec.env, spec.version, spec.policy, engine, {
    ...deps,
    code,
    sandbox,
    readVersion: read,
    niceness: spec.niceness,
  });
  try {
    await supervisor.start(artifacts);
  } catch (error) {
    await supervisor.drain(0);
    throw error;
  }
  return { supervisor, manifest: artifacts.manifest };
}
