/**
 * What the status page shows, in one JSON document it polls: the
 * environments a token may see with their executors and pools, each
 * function's last minutes, deploy history from the store, recent events.
 */
import type { z } from "zod";
import type { Manifest } from "../../runtime/manifest.ts";
import type { HostRuntime } from "../runtime.ts";
import type { Principal } from "../middleware/context.ts";
import { mayInvoke } from "../middleware/auth.ts";
import { environmentViews } from "../routes/environments.ts";
import type { statusReport } from "../openapi/schemas.ts";
import { VIAL_VERSION } from "../version.ts";

export type StatusReport = z.infer<typeof statusReport>;

const HISTORY = 10;

export function statusReporter(host: HostRuntime): (principal: Principal) => Promise<StatusReport> {
  const startedAt = new Date().toISOString();
  // Versions are immutable: each manifest is read once.
  const manifests = new Map<string, Promise<Manifest | undefined>>();
  const manifest = (env: string, version: string) => {
    const key = `${env}@${version}`;
    if (!manifests.has(key)) manifests.set(key, host.store.readManifest(env, version).catch(() => undefined));
    return manifests.get(key)!;
  };

  async function deploys(env: string, serving: string): Promise<StatusReport["environments"][number]["deploys"]> {
    const [versions, current] = await Promise.all([host.store.versions(env), host.store.current(env).catch(() => undefined)]);
    const read = await Promise.all(versions.map((v) => manifest(env, v)));
    return read
      .filter((m): m is Manifest => m !== undefined)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, HISTORY)
      .map((m) => ({ version: m.version, createdAt: m.createdAt, current: m.version === current?.version, serving: m.version === serving, functions: m.functions.map((f) => f.name) }));
  }

  return async function report(principal) {
    const views = await environmentViews(host, principal);
    const { activity, events } = host.metrics;
    const environments = await Promise.all(
      views.map(async (view) => ({
        ...view,
        activity: view.functions.map((f) => ({
          function: f.name,
          lastMinute: activity.summary(view.name, f.name, 60_000),
          lastFiveMinutes: activity.summary(view.name, f.name, 300_000),
          series: activity.series(view.name, f.name),
        })),
        deploys: await deploys(view.name, view.version),
      })),
    );
    return {
      host: { status: host.status(), startedAt, now: new Date().toISOString(), version: VIAL_VERSION },
      environments,
      events: events.list().filter((e) => mayInvoke(principal, e.env)),
    };
  };
}
