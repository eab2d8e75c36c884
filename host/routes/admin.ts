/** POST /v1/admin/reload: pick up new current versions now (body `{"env": "…"}` for one environment). */
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { requireAdmin } from "../middleware/auth.ts";
import { badRequest } from "../../runtime/errors.ts";
import { readBody } from "../body.ts";

const ADMIN_BODY_LIMIT = 64 * 1024;

export function adminRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  app.post("/v1/admin/reload", async function reload(c) {
    requireAdmin(c.var.principal, host.config.adminToken !== undefined);
    const text = new TextDecoder().decode(await readBody(c, { maxBytes: ADMIN_BODY_LIMIT }));
    let env: string | undefined;
    if (text.trim()) {
      const body = JSON.parse(text) as { env?: unknown };
      if (body.env !== undefined && typeof body.env !== "string") throw badRequest('body must be {} or {"env": "<name>"}');
      env = body.env;
    }
    const results = await host.reload(env);
    const refused = results.some((r) => r.status === "refused");
    return c.json({ results }, refused ? 409 : 200);
  });
}
