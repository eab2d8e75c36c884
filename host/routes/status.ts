/**
 * The operators' status page: GET / serves a static page (HTML, one script,
 * one stylesheet; no build step, nothing from elsewhere) that polls
 * GET /v1/status with the bearer token it asks for when tokens are configured.
 */
import { readFileSync } from "node:fs";
import type { Hono } from "hono";
import type { HostEnv } from "../middleware/context.ts";
import type { HostRuntime } from "../runtime.ts";
import { declareRoute } from "../openapi/route.ts";
import { statusReport } from "../openapi/schemas.ts";
import { statusReporter } from "../status/report.ts";

const PAGE = new URL("../status/page/", import.meta.url);
const ASSETS = {
  "/": { file: "index.html", type: "text/html; charset=utf-8", summary: "The status page (HTML)" },
  "/status/app.js": { file: "app.js", type: "text/javascript; charset=utf-8", summary: "The status page's script" },
  "/status/style.css": { file: "style.css", type: "text/css; charset=utf-8", summary: "The status page's stylesheet" },
} as const;

export function statusRoutes(app: Hono<HostEnv>, host: HostRuntime): void {
  for (const [path, asset] of Object.entries(ASSETS)) {
    const body = readFileSync(new URL(asset.file, PAGE), "utf8");
    const mediaType = asset.type.split(";")[0]!;
    declareRoute(
      app,
      { method: "get", path, operationId: `statusPage_${asset.file.replace(/\W/g, "_")}`, summary: asset.summary, tag: "status", access: "public", responses: { 200: { description: asset.file, content: { [mediaType]: { type: "string" } } } }, errors: [] },
      (c) => c.body(body, 200, { "content-type": asset.type, "cache-control": "no-cache" }),
    );
  }

  const report = statusReporter(host);
  declareRoute(
    app,
    {
      method: "get",
      path: "/v1/status",
      operationId: "status",
      summary: "What the status page shows: environments, executors, pools, each function's last minutes, deploy history, recent errors and restarts",
      tag: "status",
      access: "token",
      responses: { 200: { description: "the environments this token may invoke", content: { "application/json": statusReport } } },
      errors: [],
    },
    async function status(c) {
      return c.json(await report(c.var.principal));
    },
  );
}
