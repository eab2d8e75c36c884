/** Debian's Chromium, driven by playwright-core: installed by the tests when missing (no browser download). */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { ensureDebianPackage } from "../../testing/debian.ts";

const CHROMIUM = "/usr/bin/chromium";

// Without the background-networking flags Chromium reaches for services this machine's closed network refuses.
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export async function launchBrowser(): Promise<BrowserContext> {
  const executablePath = ensureDebianPackage("chromium", CHROMIUM);
  const userDataDir = await mkdtemp(join(tmpdir(), "vial-chromium-"));
  return chromium.launchPersistentContext(userDataDir, { executablePath, headless: true, args: ARGS, viewport: { width: 1280, height: 900 } });
}
