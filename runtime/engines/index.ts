/** Every engine an executor can run, by the name config, reports and the protocol use. */
import { componentEngine } from "../component/engine.ts";
import { v8Engine } from "../v8/engine.ts";
import type { EngineDriver } from "./engine.ts";

export const ENGINES = { v8: v8Engine, component: componentEngine } satisfies Record<string, EngineDriver>;

/** How a version runs: its bundle in a V8 isolate, or its component's core modules in WebAssembly. */
export type EngineKind = keyof typeof ENGINES;
export const ENGINE_KINDS = Object.keys(ENGINES) as EngineKind[];
