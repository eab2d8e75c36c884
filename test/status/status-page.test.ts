/**
 * The status page in a real browser (Debian's Chromium) against a real host
 * with tokens: it asks for a token, shows the environment, its numbers move
 * under load, the invoke form returns rows, and it loads nothing from elsewhere.
 * VIAL_UPDATE_SCREENSHOT=1 writes the screenshot to docs/status-page.png.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import type { Store } from "../../builds/store.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { createClient } from "../../host/client.ts";
import { deployModule, FIXTURES, REPO, tempStore } from "../host/helpers.ts";
import { launchBrowser } from "./browser.ts";

const TOKEN = "ops-token";
const CALLS = 40;

let store: Store;
let version: string;
let server: Serving;
let browser: BrowserContext;
let page: Page;
const requested: string[] = [];

beforeAll(async () => {
  store = await tempStore();
  version = await deployModule(store, "features", join(FIXTURES, "package.json"), join(FIXTURES, "counter-v1.ts"));
  server = await serve({ store, watch: false, logger: createLogger("error"), config: { port: 0, tokens: { [TOKEN]: ["*"] }, pool: { size: 2 } } });
  await server.host.ready;
  browser = await launchBrowser();
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("request", (request) => void requested.push(request.url()));
});

afterAll(async () => {
  await browser?.close();
  await server?.shutdown();
  if (store) await rm(store.root, { recursive: true, force: true });
});

const cell = (fn: string, name: string) => page.locator(`[data-env="features"] [data-fn="${fn}"] .${name}`);
/** Waits until the page shows `expected` in a cell (it polls the host every second). */
const shows = (fn: string, name: string, expected: string) => page.waitForFunction(([selector, text]) => document.querySelector(selector!)?.textContent === text, [`[data-env="features"] [data-fn="${fn}"] .${name}`, expected]);

describe("status page", () => {
  it("asks for a token, then shows the environments", async () => {
    await page.goto(`${server.address}/`);
    await page.locator("#token-form").waitFor({ state: "visible" });
    await page.fill("#token", TOKEN);
    await page.click("#token-form button[type=submit]");
    const card = page.locator('[data-env="features"]');
    await card.waitFor();
    expect(await card.locator(".version").textContent()).toBe(version);
    expect((await card.locator("[data-fn]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-fn")))).sort()).toEqual(["slow", "which"]);
    expect(await cell("which", "count").textContent()).toBe("0");
    expect(await card.locator(".pool .idle").textContent()).toBe("2");
  });

  it("shows the numbers change under load: calls, failures, latency, the error itself", async () => {
    const client = createClient({ url: server.address, token: TOKEN, format: "json" });
    try {
      await Promise.all(Array.from({ length: CALLS }, (_, n) => client.invoke("features", "which", [{ n }])));
      await client.invoke("features", "which", [{ n: "not a number" }]).catch(() => undefined);
    } finally {
      await client.close();
    }
    await shows("which", "count", String(CALLS + 1));
    expect(await cell("which", "failed").textContent()).toBe("1");
    expect(Number(await cell("which", "p50").textContent())).toBeGreaterThan(0);
    expect(Number(await cell("which", "rate").textContent())).toBeGreaterThan(0);
    expect(await cell("slow", "count").textContent()).toBe("0");
    await page.locator("#events li", { hasText: "invalid_row" }).waitFor();
  });

  it("invokes a function from the form and shows the rows", async () => {
    await page.selectOption("#invoke-target", "features/which");
    await page.fill("#invoke-rows", '[{"n": 7}, {"n": 8}]');
    await page.click("#invoke-form button[type=submit]");
    await page.locator("#invoke-status", { hasText: "200" }).waitFor();
    expect(JSON.parse((await page.textContent("#invoke-result"))!)).toEqual({ rows: [{ n: 7, version: "v1" }, { n: 8, version: "v1" }], errors: [] });
    // That call counts too.
    await shows("which", "count", String(CALLS + 2));
    const screenshot = process.env.VIAL_UPDATE_SCREENSHOT ? join(REPO, "docs/status-page.png") : join(await mkdtemp(join(tmpdir(), "vial-shot-")), "status-page.png");
    await page.screenshot({ path: screenshot, fullPage: true });
  });

  it("loaded nothing from anywhere but the host", () => {
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((url) => !url.startsWith(server.address))).toEqual([]);
  });
});
