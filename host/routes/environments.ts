/**
 * GET /v1/environments: what is served, its functions and schemas, which
 * engine runs it, and how its executor and instances are doing, with the
 * sandbox executors get on this machine.
 */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { mayInvoke } from "../middleware/auth.ts";

export function environmentRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  app.get("/v1/environments", async function listEnvironments(c) {
    const served = host.environments.list().filter((s) => mayInvoke(c.var.principal, s.env));
    const shadowOf = (env: string) => {
      const shadow = host.environments.shadow(env);
      return shadow && { version: shadow.version, fraction: shadow.fraction };
    };
    const environments = await Promise.all(
      served.map(async (s) => {
        const { state, ...executor } = await s.executor.view();
        const { rssBytes, size, idle, busy, starting, queued } = state ?? { rssBytes: 0, size: s.policy.size, idle: 0, busy: 0, starting: 0, queued: 0 };
        return {
          name: s.env,
          version: s.version,
          language: s.manifest.language,
          engine: s.executor.engine,
          servingSince: s.since,
          functions: s.manifest.functions,
          executor: { ...executor, residentMiB: Math.round((rssBytes / 2 ** 20) * 10) / 10 },
          pool: { size, idle, busy, starting, queued, maxQueue: s.policy.maxQueue, deadlineMs: s.policy.deadlineMs, memoryMiB: s.policy.memoryLimitBytes / 2 ** 20 },
          refused: host.environments.refusedVersion(s.env),
          shadow: shadowOf(s.env),
        };
      }),
    );
    const sandbox = await host.environments.sandbox().then(
      (s) => s.report,
      (error: Error) => ({ error: error.message }),
    );
    return c.json({ environments, sandbox });
  });
}
