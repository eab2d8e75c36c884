/**
 * The serving image, built for real by the documented command's code
 * (`npm run image`) with podman (installed if missing), on a base made here
 * when no registry answers, and run: as its non-root user, with a read-only
 * root, no network and no capabilities, serving a V8 and a component
 * environment on a unix socket in a mounted folder (the sidecar form); then
 * the serving group `vial k8s render` prints, run by `podman kube play` with
 * its security contexts, and stopped while it works.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { partial_ratio, ratio } from "fuzzball";
import { buildImage, type BuiltImage } from "../../builds/image/build-image.ts";
import { runEngine } from "../../builds/image/base.ts";
import type { Store } from "../../builds/store.ts";
import { createClient, type VialClient } from "../../host/client.ts";
import { renderCommand } from "../../cli/k8s/render.ts";
import { EXAMPLE, REPO, deployedStore } from "../k8s/helpers.ts";
import { createEnvironment } from "../../builds/env-create.ts";
import { deploy } from "../../builds/deploy.ts";

const BASELINE = "Mocha Cheesecake Fudge Brownie Bars";
const TEXTS = ["Mocha brownie bars", "cheesecake", "fudge"];
const MAX_IMAGE_BYTES = 450e6;
/** The default pool's instances per environment. */
const POOL_SIZE = 2;

let store: Store;
let image: BuiltImage;
let socketDir: string;
let container: string | undefined;
let client: VialClient | undefined;

const engine = (args: string[]) => runEngine(image.engine, args);

interface Listing {
  environments: { name: string; executor: { kernel?: { noNewPrivileges: boolean; seccompFilters: number } } }[];
  sandbox: { confinement: { available: boolean; landlock?: unknown; seccomp?: unknown; denied?: Record<string, string> }; warnings: string[] } & Record<string, unknown>;
}

/** The executors' own layers hold, and every executor carries at least `filters` seccomp filters (the runtime's and its own two). */
function expectConfined(listing: Listing, filters: number): void {
  const { confinement } = listing.sandbox;
  expect(confinement, listing.sandbox.warnings.join("\n")).toMatchObject({ available: true, landlock: expect.any(Number), seccomp: true });
  for (const [attempt, outcome] of Object.entries(confinement.denied!)) expect(outcome, attempt).not.toBe("allowed");
  for (const { name, executor } of listing.environments) {
    expect(executor.kernel?.noNewPrivileges, name).toBe(true);
    expect(executor.kernel?.seccompFilters, name).toBeGreaterThanOrEqual(filters);
  }
}

beforeAll(async () => {
  store = await deployedStore(["fuzzy"], join(REPO, ".scratch"));
  await createEnvironment({ name: "fuzzy-qjs", requirements: join(EXAMPLE, "package.json"), store, engine: "quickjs" });
  await deploy({ store, env: "fuzzy-qjs", modulePath: join(EXAMPLE, "features.ts") });
  image = await buildImage({ envs: ["fuzzy", "fuzzy-qjs"], store: store.root, tag: "localhost/vial-image-test:latest" });
  socketDir = await mkdtemp(join(REPO, ".scratch", "vial-image-socket-"));
  await chmod(socketDir, 0o777); // the image's user (uid 10001) makes its socket here
}, 1_800_000);

afterAll(async () => {
  await client?.close();
  if (container) await engine(["rm", "--force", "--time", "5", container]);
  if (store) await rm(store.root, { recursive: true, force: true });
  if (socketDir) await rm(socketDir, { recursive: true, force: true });
});

describe("the serving image", () => {
  it("is at most 450 MB and holds no build toolchain", async () => {
    expect(image.bytes).toBeLessThanOrEqual(MAX_IMAGE_BYTES);
    const listing = await engine(["run", "--rm", "--network", "none", "--entrypoint", "ls", image.tag, "/app/node_modules", "/app/node_modules/@bytecodealliance"]);
    expect(listing.stdout).toMatch(/\bhono\b/);
    expect(listing.stdout).not.toMatch(/typescript|binaryen|componentize/);
    expect(listing.stderr).toMatch(/@bytecodealliance.*No such file/);
  });

  it("says that building needs the full install, and builds nothing", async () => {
    const result = await engine(["run", "--rm", "--network", "none", image.tag, "deploy", "/app/package.json", "--env", "fuzzy"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/this command builds, and this install of vial serves only \(.+ is not installed\)/);
  });

  it("serves its environments on a socket as a non-root user, with a read-only root, no network and no capabilities", async () => {
    const started = await engine([
      "run", "--detach", "--network", "none", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
      "--volume", `${socketDir}:/run/vial`, image.tag, "serve", "--socket", "/run/vial/vial.sock",
    ]);
    expect(started.code, started.stderr).toBe(0);
    container = started.stdout.trim();
    const socket = join(socketDir, "vial.sock");
    await vi.waitFor(() => expect(existsSync(socket)).toBe(true), { timeout: 60_000, interval: 200 });
    client = createClient({ socketPath: socket, format: "json" });

    const listing = await vi.waitFor(
      async () => {
        const answer = (await client!.environments()) as { environments: { name: string; engine: { running: string }; pool: { idle: number } }[]; sandbox: Record<string, unknown> };
        // Listening comes before loading: wait for both, warm.
        expect(answer.environments.filter((e) => e.pool.idle === POOL_SIZE).map((e) => e.name).sort()).toEqual(["fuzzy", "fuzzy-qjs"]);
        return answer;
      },
      { timeout: 60_000, interval: 200 },
    );
    expect(Object.fromEntries(listing.environments.map((e) => [e.name, e.engine.running]))).toEqual({ fuzzy: "v8", "fuzzy-qjs": "component" });
    expect(listing.sandbox).toMatchObject({ noNewPrivileges: true, permissionModel: true, user: expect.stringMatching(/uid 10001/) });
    expectConfined(listing as unknown as Listing, 3);

    for (const env of ["fuzzy", "fuzzy-qjs"]) {
      const { rows, errors } = await client.invoke(env, "fuzzy_similarity", TEXTS.map((text) => ({ text })));
      expect(errors).toEqual([]);
      expect(rows).toEqual(TEXTS.map((text) => ({ similarity: ratio(BASELINE, text), partial_similarity: partial_ratio(BASELINE, text) })));
    }
    // A call stopped at its deadline: its isolate is replaced, one more isolate's reservation for a moment (512 MiB
    // of the data segment on this image's Node), and the executor lives on.
    const many = Array.from({ length: 20_000 }, (_, i) => ({ text: `${TEXTS[i % TEXTS.length]} ${i}` }));
    await expect(client.invoke("fuzzy", "fuzzy_similarity", many, { deadlineMs: 20 })).rejects.toThrow(/deadline/);
    await vi.waitFor(
      async () => {
        const { environments } = (await client!.environments()) as { environments: { name: string; pool: { idle: number }; executor: { restarts: number } }[] };
        expect(environments.find((e) => e.name === "fuzzy")).toMatchObject({ pool: { idle: POOL_SIZE }, executor: { restarts: 0 } });
      },
      { timeout: 30_000, interval: 200 },
    );
    const status = await engine(["exec", container, "sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs)' /proc/1/status"]);
    expect(status.stdout.split("\n")[0]).toBe("10001");
    expect(status.stdout).toMatch(/CapEff:\s+0+\n/);
  });

  it("stops on SIGTERM, draining, within the engine's grace period", async () => {
    const stopped = await engine(["stop", "--time", "20", container!]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const state = await engine(["inspect", "--format", "{{.State.ExitCode}}", container!]);
    expect(state.stdout.trim()).toBe("0");
  });
});

describe("the serving group vial k8s render prints, run by podman kube play", () => {
  let manifests: string;
  let base: string;

  beforeAll(async () => {
    manifests = join(socketDir, "group.yaml");
    // A deadline long enough for calls queued behind each other on a loaded machine, shipped as the ConfigMap.
    const config = join(socketDir, "vial.config.json");
    await writeFile(config, JSON.stringify({ pool: { deadlineMs: 30_000 } }));
    await writeFile(manifests, await renderCommand({ name: "image-test", envs: "fuzzy,fuzzy-qjs", store: store.root, image: image.tag, min: "1", config }));
  });

  afterAll(async () => {
    await engine(["kube", "down", manifests]);
  });

  it("starts the Deployment's pod with its security contexts, becomes ready, and serves", async () => {
    const played = await engine(["kube", "play", manifests]);
    expect(played.code, played.stderr).toBe(0);
    // podman publishes the container's port on the machine (kube play has no option to move it).
    base = "http://127.0.0.1:8787";
    await vi.waitFor(async () => expect((await fetch(`${base}/readyz`)).status).toBe(200), { timeout: 90_000, interval: 250 });
    const status = await engine(["exec", "vial-image-test-pod-0-vial", "sh", "-c", "id -u; grep -E '^(CapEff|NoNewPrivs|Seccomp):' /proc/1/status; touch /app/x 2>&1 || true"]);
    expect(status.stdout).toMatch(/^10001\nCapEff:\s+0+\nNoNewPrivs:\s+1\nSeccomp:\s+2\n/);
    expect(status.stdout).toMatch(/Read-only file system/);
    const listing = (await (await fetch(`${base}/v1/environments`)).json()) as Listing;
    expect(listing.sandbox).toMatchObject({ noNewPrivileges: true, permissionModel: true, user: expect.stringMatching(/uid 10001/) });
    // No namespaces in a pod: the layers executors set on themselves hold, each executor with a filter of its own
    // on top of the runtime's, and the native probe was denied everything.
    expectConfined(listing, 3);
    const answer = await fetch(`${base}/v1/invoke/fuzzy/fuzzy_similarity`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ rows: TEXTS.map((text) => ({ text })) }) });
    expect(await answer.json()).toEqual({ rows: TEXTS.map((text) => ({ similarity: ratio(BASELINE, text), partial_similarity: partial_ratio(BASELINE, text) })), errors: [] });
  });

  it("drains on stop: every call sent before it is answered, within the grace period", async () => {
    const rows = Array.from({ length: 300 }, (_, i) => ({ text: `${TEXTS[i % TEXTS.length]} ${i}` })); // queued behind each other, within the configured deadline
    let answered = 0;
    const calls = Array.from({ length: 12 }, (_, i) =>
      fetch(`${base}/v1/invoke/${i % 2 ? "fuzzy" : "fuzzy-qjs"}/fuzzy_similarity`, { method: "POST", headers: { "content-type": "application/json", "x-vial-deadline-ms": "30000" }, body: JSON.stringify({ rows }) }).then(
        async (response) => ({ status: response.status, rows: ((await response.json()) as { rows: unknown[] }).rows?.length }),
        (error: Error) => ({ status: 0, rows: 0, error: error.message }),
      ).finally(() => answered++),
    );
    // Stopped once every call is in the host's hands, running or queued (a connection the kernel holds but the host
    // has not taken is lost when it stops listening: in a cluster the preStop pause keeps new ones away first).
    await vi.waitFor(
      async () => {
        const { environments } = (await (await fetch(`${base}/v1/environments`)).json()) as { environments: { pool: { busy: number; queued: number } }[] };
        expect(environments.reduce((sum, e) => sum + e.pool.busy + e.pool.queued, answered)).toBe(calls.length);
      },
      { timeout: 30_000, interval: 20 },
    );
    expect(answered).toBeLessThan(calls.length);
    // As the kubelet stops a pod's container: SIGTERM, the pod's network kept until it exits. (`podman pod stop`
    // also stops the pod's infra container, whose port forwarding the answers travel back through.)
    const started = Date.now();
    const stopped = await engine(["stop", "--time", "40", "vial-image-test-pod-0-vial"]);
    const stopMs = Date.now() - started;
    expect(stopped.code, stopped.stderr).toBe(0);
    expect((await engine(["inspect", "--format", "{{.State.ExitCode}}", "vial-image-test-pod-0-vial"])).stdout.trim()).toBe("0");
    expect(await Promise.all(calls)).toEqual(calls.map(() => ({ status: 200, rows: rows.length })));
    expect(stopMs).toBeLessThan(40_000); // the rendered terminationGracePeriodSeconds
    console.log(`[vial-figures] kube play pod stopped in ${stopMs} ms with ${calls.length} calls of ${rows.length} rows in flight`);
  });
});
