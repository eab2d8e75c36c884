/**
 * `vial invoke`: through a running host with the client, over TCP (JSON or
 * CBOR) and a unix socket, and in-process from the store; the same answer each way.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "../../builds/store.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { deployModule, FIXTURES, REPO, tempStore } from "../host/helpers.ts";
import { runVial } from "./run-vial.ts";

const TOKEN = "cli-token";
const ROWS = [{ s: "a", n: 1, x: 0.5, b: true, raw: "AQI=", list: [1], maybe: null }];
const EXPECTED = { rows: [{ ...ROWS[0], raw: "AgM=", size: 2 }], errors: [] };

let store: Store;
let dir: string;
let rowsFile: string;
let tcp: Serving;
let unix: Serving;

beforeAll(async () => {
  store = await tempStore();
  dir = await mkdtemp(join(tmpdir(), "vial-invoke-"));
  rowsFile = join(dir, "rows.json");
  await writeFile(rowsFile, JSON.stringify({ rows: ROWS }));
  await deployModule(store, "kitchen", join(FIXTURES, "package.json"), join(REPO, "test/fixtures/modules/kitchen-sink.ts"));
  const config = { tokens: { [TOKEN]: ["kitchen"] }, pool: { size: 1 } };
  tcp = await serve({ store, watch: false, logger: createLogger("error"), config: { ...config, port: 0 } });
  unix = await serve({ store, watch: false, logger: createLogger("error"), config: { ...config, socket: join(dir, "vial.sock") } });
  await Promise.all([tcp.host.ready, unix.host.ready]);
});

afterAll(async () => {
  await Promise.all([tcp?.shutdown(), unix?.shutdown()]);
  if (store) await rm(store.root, { recursive: true, force: true });
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("vial invoke", () => {
  it("answers the same through a host over TCP (JSON and CBOR), its socket, and in-process", async () => {
    const ways = [
      ["kitchen", "mirror", "--rows", rowsFile, "--url", tcp.address, "--token", TOKEN],
      ["kitchen", "mirror", "--rows", rowsFile, "--url", tcp.address, "--token", TOKEN, "--cbor"],
      ["kitchen/mirror", "--rows", rowsFile, "--socket", join(dir, "vial.sock"), "--token", TOKEN, "--cbor"],
      ["kitchen/mirror", "--rows", JSON.stringify(ROWS), "--store", store.root],
    ];
    for (const args of ways) {
      const { code, stdout, stderr } = await runVial(["invoke", ...args]);
      expect(code, `${args.join(" ")}: ${stderr}`).toBe(0);
      expect(JSON.parse(stdout), args.join(" ")).toEqual(EXPECTED);
    }
  });

  it("says what the host answered when it refuses", async () => {
    const { code, stderr } = await runVial(["invoke", "kitchen", "mirror", "--rows", rowsFile, "--url", tcp.address]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/error: 401 unauthorized: missing or unknown bearer token/);
  });
});
