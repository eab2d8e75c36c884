/** GET /v1/environments: what is served, its functions and schemas, and how its pool is doing. */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { mayInvoke } from "../middleware/auth.ts";

export function environmentRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  app.get("/v1/environments", function listEnvironments(c) {
    const environments = host.environments
      .list()
      .filter((s) => mayInvoke(c.var.principal, s.env))
      .map((s) => ({
        name: s.env,
        version: s.version.version,
        language: s.version.manifest.language,
        engine: s.version.manifest.engine,
        servingSince: s.since,
        functions: s.version.manifest.functions,
        pool: {
          ...s.pool.state(),
          maxQueue: s.policy.maxQueue,
          deadlineMs: s.policy.deadlineMs,
          memoryMiB: s.policy.memoryLimitBytes / 2 ** 20,
        },
        refused: host.environments.refusedVersion(s.env),
      }));
    return c.json({ environments });
  });
}
