import { describe, expect, it } from "vitest";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, parseConfigFile, parseTokens } from "../../host/config.ts";
import { DEFAULT_POLICY, effectiveDeadline, resolvePolicy } from "../../supervision/policy.ts";
import { importsInBindings, ungrantedImports } from "../../runtime/version/component-imports.ts";

describe("host configuration", () => {
  it("reads tokens as JSON or as token=env,env;token=*", () => {
    expect(parseTokens('{"a": ["x", "y"]}')).toEqual({ a: ["x", "y"] });
    expect(parseTokens("a=x,y; b=*")).toEqual({ a: ["x", "y"], b: ["*"] });
    expect(() => parseTokens("no-equals")).toThrow(/token=env1,env2/);
  });

  it("refuses unknown or invalid pool settings with the key's path", () => {
    expect(() => parseConfigFile('{"pool": {"sise": 2}}')).toThrow(/pool\.sise is not a pool setting/);
    expect(() => parseConfigFile('{"environments": {"fx": {"size": 0}}}')).toThrow(/environments\.fx\.size must be a positive integer/);
  });

  it("says what is wrong with a configuration file it cannot read", () => {
    expect(() => loadConfig({ file: tmpdir() })).toThrow(`cannot read the configuration file ${tmpdir()}: it is a folder (give the file in it)`);
    expect(() => loadConfig({ file: join(tmpdir(), "no-such-vial.config.json") })).toThrow(/no-such-vial\.config\.json: ENOENT$/);
  });

  it("layers defaults, file, environment variables and flags", () => {
    const config = loadConfig({ env: { VIAL_TOKENS: "t=fx", VIAL_ADMIN_TOKEN: "adm" }, overrides: { port: 9000, host: undefined } });
    expect(config).toMatchObject({ host: "127.0.0.1", port: 9000, tokens: { t: ["fx"] }, adminToken: "adm" });
  });

  it("resolves a pool policy per environment; a request may only lower the deadline", () => {
    const policy = resolvePolicy({ size: 3 }, { deadlineMs: 200, memoryMiB: 64 });
    expect(policy).toEqual({ ...DEFAULT_POLICY, size: 3, deadlineMs: 200, memoryLimitBytes: 64 * 2 ** 20 });
    expect(effectiveDeadline(policy, 50)).toBe(50);
    expect(effectiveDeadline(policy, 5000)).toBe(200);
    expect(effectiveDeadline(policy, undefined)).toBe(200);
  });
});

describe("import allowlist", () => {
  it("finds the interfaces transpiled bindings take from the host, and those not granted", () => {
    const bindings = "const { exit } = imports['wasi:cli/exit'];\nconst { now } = imports[\"wasi:clocks/wall-clock\"];";
    expect(importsInBindings(bindings)).toEqual(["wasi:cli/exit", "wasi:clocks/wall-clock"]);
    expect(ungrantedImports(["wasi:cli/exit@0.2.3", "wasi:clocks/wall-clock"], ["wasi:cli/exit"])).toEqual(["wasi:clocks/wall-clock"]);
  });
});
