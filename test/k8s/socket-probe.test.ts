/**
 * The sidecar's probes, run as the rendered PodTemplate runs them, against a
 * real host on a unix socket: 0 when the route answers 200, 1 otherwise.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IPodTemplate } from "kubernetes-models/v1/PodTemplate";
import type { Store } from "../../builds/store.ts";
import { renderCommand } from "../../cli/k8s/render.ts";
import { APP_PATH } from "../../cli/k8s/pod.ts";
import { SOCKET } from "../../cli/k8s/sidecar.ts";
import { serve, type Serving } from "../../host/serve.ts";
import { createLogger } from "../../host/logger.ts";
import { REPO, deployedStore, parseManifests } from "./helpers.ts";

let store: Store;
let socketDir: string;
let serving: Serving | undefined;
let probe: { readiness: string[]; liveness: string[] };

/** The probe's command with this machine's paths in place of the image's. */
function runProbe(command: string[], socket: string, path?: string): Promise<{ code: number; stderr: string }> {
  const [node, script, imageSocket, imagePath] = command;
  expect([node, imageSocket]).toEqual(["node", SOCKET]);
  const args = [script!.replace(`${APP_PATH}/`, REPO), socket, path ?? imagePath!];
  return new Promise((resolve) => execFile(process.execPath, args, (error, _out, stderr) => resolve({ code: error ? Number(error.code) : 0, stderr })));
}

beforeAll(async () => {
  store = await deployedStore(["fuzzy"]);
  socketDir = await mkdtemp(join(tmpdir(), "vial-socket-"));
  const template = parseManifests(await renderCommand({ name: "probed", envs: "fuzzy", store: store.root, socket: true }))[0] as unknown as IPodTemplate;
  const vial = template.template!.spec!.initContainers![0]!;
  probe = { readiness: vial.readinessProbe!.exec!.command!, liveness: vial.livenessProbe!.exec!.command! };
});

afterAll(async () => {
  await serving?.shutdown();
  for (const dir of [socketDir, store?.root]) if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the sidecar's socket probes", () => {
  it("fail while nothing listens, naming why", async () => {
    const result = await runProbe(probe.liveness, join(socketDir, "vial.sock"));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/\/healthz: connect ENOENT/);
  });

  it("pass once the host is up and its pools warm, and fail for a route that is not 200", async () => {
    const socket = join(socketDir, "vial.sock");
    serving = await serve({ store: store.root, config: { socket }, logger: createLogger("warn") });
    await serving.host.ready;
    expect((await runProbe(probe.liveness, socket)).code).toBe(0);
    expect((await runProbe(probe.readiness, socket)).code).toBe(0);
    expect((await runProbe(probe.readiness, socket, "/v1/no-such-route")).code).toBe(1);
  });
});
