/**
 * Which engine runs a version here: what its manifest asks for, unless the
 * version cannot (no bundle), the machine cannot (isolated-vm does not run
 * in an executor), or the operator says otherwise. Always with the reason.
 */
import type { EngineKind } from "../runtime/engines/index.ts";
import type { Manifest } from "../runtime/manifest.ts";
import type { SandboxReport } from "./sandbox.ts";

export interface EngineReport {
  /** The version's engine ("v8", "quickjs", "starlingmonkey", "cpython"). */
  version: string;
  /** What runs: the bundle in V8 isolates, or the WebAssembly component. */
  running: EngineKind;
  /** Why the component runs although the version's engine is v8. */
  reason?: string;
}

export function chooseEngine(manifest: Manifest, configured: EngineKind | undefined, v8: SandboxReport["v8"]): EngineReport {
  const version = manifest.engine;
  if (version !== "v8") return { version, running: "component" };
  const reason =
    configured === "component"
      ? "the host's configuration runs components (engine: component)"
      : !manifest.bundle
        ? "the version has no bundle (built before V8 could run it): deploy it again"
        : v8.available
          ? undefined
          : v8.reason;
  return reason ? { version, running: "component", reason } : { version, running: "v8" };
}
