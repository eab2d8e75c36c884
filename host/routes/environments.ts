/**
 * GET /v1/environments: what is served, its functions and schemas, which
 * engine runs it, and how its executor and instances are doing, with the
 * sandbox executors get on this machine and the host's connection limits.
 */
import type { Hono } from "hono";
import type { z } from "zod";
import type { HostEnv, Principal } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { mayInvoke } from "../middleware/auth.ts";
import { declareRoute } from "../openapi/route.ts";
import { environmentList, environmentView } from "../openapi/schemas.ts";
import { executorLimits } from "../../supervision/limits.ts";

/** The environments `principal` may invoke, as GET /v1/environments shows them. */
export async function environmentViews(host: HostRuntime, principal: Principal): Promise<Array<z.infer<typeof environmentView>>> {
  const served = host.environments.list().filter((s) => mayInvoke(principal, s.env));
  const shadowOf = (env: string) => {
    const shadow = host.environments.shadow(env);
    return shadow && { version: shadow.version, fraction: shadow.fraction };
  };
  const processesLimited = await host.environments.sandbox().then((s) => s.report.limits.processes, () => false);
  return Promise.all(
    served.map(async (s) => {
      const { state, ...executor } = await s.supervisor.view();
      const limits = executorLimits(s.policy);
      const { rssBytes, size, idle, busy, starting, queued } = state ?? { rssBytes: 0, size: s.policy.size, idle: 0, busy: 0, starting: 0, queued: 0 };
      return {
        name: s.env,
        version: s.version,
        language: s.manifest.language,
        engine: s.supervisor.engine,
        servingSince: s.since,
        functions: s.manifest.functions,
        executor: {
          ...executor,
          residentMiB: Math.round((rssBytes / 2 ** 20) * 10) / 10,
          limits: {
            memoryMiB: limits.memoryBytes / 2 ** 20,
            dataMiB: limits.dataBytes / 2 ** 20,
            descriptors: limits.descriptors,
            ...(processesLimited ? { processes: limits.processes } : {}),
          },
        },
        pool: { size, idle, busy, starting, queued, maxQueue: s.policy.maxQueue, deadlineMs: s.policy.deadlineMs, memoryMiB: s.policy.memoryLimitBytes / 2 ** 20 },
        refused: host.environments.refusedVersion(s.env),
        shadow: shadowOf(s.env),
      };
    }),
  );
}

export function environmentRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  declareRoute(
    app,
    {
      method: "get",
      path: "/v1/environments",
      operationId: "listEnvironments",
      summary: "The environments this token may invoke: versions, functions with schemas, engine, executor and pool state, and the executors' sandbox",
      tag: "environments",
      access: "token",
      responses: { 200: { description: "served environments", content: { "application/json": environmentList } } },
      errors: [],
    },
    async function listEnvironments(c) {
      const environments = await environmentViews(host, c.var.principal);
      const sandbox = await host.environments.sandbox().then(
        (s) => s.report,
        (error: Error) => ({ error: error.message }),
      );
      const { descriptorLimit, reservedDescriptors, maxConnections, maxConnectionsPerClient } = host.connections;
      const { anonymousIdleTimeoutMs, keepAliveTimeoutMs } = host.config;
      const connections = { descriptorLimit, reservedDescriptors, maxConnections, maxConnectionsPerClient, anonymousIdleTimeoutMs, keepAliveTimeoutMs };
      return c.json({ environments, sandbox, connections } satisfies z.infer<typeof environmentList>);
    },
  );
}
