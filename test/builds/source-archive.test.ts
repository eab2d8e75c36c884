// A build's source archive is found wherever it is served and used only with a sha256 the project knows.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sourceArchive, SourceUnavailable, type SourceArchive } from "../../builds/sources/archive.ts";
import { upstreamOf } from "../../builds/sources/debian.ts";
import { ZLIB_SOURCE } from "../../builds/python/interpreter/sources.ts";
import { sha256 } from "../../runtime/digest.ts";

const GOOD = new TextEncoder().encode("the upstream source\n");
/** A digest nothing served here has. */
const UNKNOWN = "0".repeat(64);
const src = (sha256: string): SourceArchive => ({ what: "demo 1.0", debian: { pkg: "demo", upstream: "1.0" }, file: "demo_1.0.orig.tar.gz", sha256: [sha256] });
const cache = () => mkdtemp(join(tmpdir(), "vial-sources-"));

describe("sourceArchive, from a loopback archive", () => {
  let server: Server;
  let base = "";
  const served = new Map([["/good", GOOD], ["/tampered", new TextEncoder().encode("the upstream source, changed\n")]]);
  beforeAll(async () => {
    server = createServer((req, res) => {
      const body = served.get(req.url ?? "");
      res.writeHead(body ? 200 : 404).end(body);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("tries each address in turn, refuses bytes with an unknown sha256, and keeps the first it accepts", async () => {
    const cacheDir = await cache();
    const addresses = async () => [`${base}/gone`, `${base}/tampered`, `${base}/good`];
    const kept = await sourceArchive(src(sha256(GOOD)), { cacheDir, addresses });
    expect(kept).toBe(join(cacheDir, "sources", "demo_1.0.orig.tar.gz"));
    expect(await readFile(kept)).toEqual(Buffer.from(GOOD));
    // Kept: the next build asks nobody.
    expect(await sourceArchive(src(sha256(GOOD)), { cacheDir, addresses: async () => { throw new Error("asked"); } })).toBe(kept);
  });

  it("fails in one line naming what it tried, where to put the file, and the full log", async () => {
    const cacheDir = await cache();
    const error = await sourceArchive(src(UNKNOWN), { cacheDir, addresses: async () => [`${base}/gone`, `${base}/tampered`] }).catch((e) => e);
    expect(error).toBeInstanceOf(SourceUnavailable);
    const message = (error as Error).message;
    expect(message).not.toContain("\n");
    expect(message).toContain(`${base}/gone: 404`);
    expect(message).toMatch(new RegExp(`${base}/tampered: unexpected sha256 [0-9a-f]{12}`));
    expect(message).toContain(`with sha256 ${UNKNOWN} at ${join(cacheDir, "sources", "demo_1.0.orig.tar.gz")} and run again`);
    const log = (error as SourceUnavailable).logPath;
    expect(message.endsWith(`full log: ${log}`)).toBe(true);
    expect(await readFile(log, "utf8")).toContain(`GET ${base}/tampered`);
  });

  it("refuses a copy put in the cache by hand when its sha256 is not a known one", async () => {
    const cacheDir = await cache();
    const kept = join(cacheDir, "sources", "demo_1.0.orig.tar.gz");
    await sourceArchive(src(sha256(GOOD)), { cacheDir, addresses: async () => [`${base}/good`] });
    await writeFile(kept, "planted");
    await expect(sourceArchive(src(UNKNOWN), { cacheDir, addresses: async () => [] })).rejects.toThrow(`${kept}: unexpected sha256`);
  });
});

describe("sourceArchive, from Debian's archive", () => {
  it("finds zlib in whichever revision the archive serves (the newest has answered 404)", async () => {
    const cacheDir = await cache();
    const kept = await sourceArchive({ ...ZLIB_SOURCE, shipped: undefined }, { cacheDir });
    expect(existsSync(kept)).toBe(true);
    expect(sha256(await readFile(kept))).toBe(ZLIB_SOURCE.sha256[0]);
  }, 300_000);

  it("reads upstream versions as Debian writes them", () => {
    expect(upstreamOf("1:1.2.13.dfsg-1+deb12u1")).toBe("1.2.13.dfsg");
    expect(upstreamOf("3.11.2-6+deb12u8")).toBe("3.11.2");
    expect(upstreamOf("2.2.3+dfsg-5")).toBe("2.2.3+dfsg");
  });
});
