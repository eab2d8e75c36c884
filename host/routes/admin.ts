/** POST /v1/admin/reload: pick up new current versions now (body `{"env": "…"}` for one environment). */
import type { Hono } from "hono";
import type { z } from "zod";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { requireAdmin } from "../middleware/auth.ts";
import { adminDisabled, badRequest, bodyTooLarge, forbidden } from "../../runtime/errors.ts";
import { readBody } from "../body.ts";
import { declareRoute } from "../openapi/route.ts";
import { reloadRequest, reloadResponse } from "../openapi/schemas.ts";
import { nameErrors, requireName } from "../names.ts";

const ADMIN_BODY_LIMIT = 64 * 1024;
const BODY_SHAPE = 'body must be {} or {"env": "<name>"}';

export function adminRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  declareRoute(
    app,
    {
      method: "post",
      path: "/v1/admin/reload",
      operationId: "reload",
      summary: "Load every environment's current version now (or one's), retrying refused versions",
      tag: "admin",
      access: "admin",
      body: { required: false, content: { "application/json": reloadRequest } },
      responses: {
        200: { description: "what each environment did", content: { "application/json": reloadResponse } },
        409: { description: "a version was refused (the previous one keeps serving)", content: { "application/json": reloadResponse } },
      },
      errors: [adminDisabled(), forbidden("run admin operations (use the admin token)"), badRequest(BODY_SHAPE), ...nameErrors(["env"]), bodyTooLarge(ADMIN_BODY_LIMIT)],
    },
    async function reload(c) {
      requireAdmin(c.var.principal, host.config.adminToken !== undefined);
      const text = new TextDecoder().decode(await readBody(c, { maxBytes: ADMIN_BODY_LIMIT }));
      let env: string | undefined;
      if (text.trim()) {
        const body = reloadRequest.safeParse(JSON.parse(text));
        if (!body.success) throw badRequest(BODY_SHAPE);
        // Checked before it reaches the store: a name like "../x" would otherwise be a path out of it.
        env = body.data.env === undefined ? undefined : requireName("environment", body.data.env);
      }
      const results = await host.reload(env);
      const refused = results.some((r) => r.status === "refused");
      return c.json({ results } satisfies z.infer<typeof reloadResponse>, refused ? 409 : 200);
    },
  );
}
