/** What a published version says about itself (manifest.json beside its artifacts). */
import type { FunctionSchema } from "../guest-sdk/js/schema.ts";
import type { Language } from "./store.ts";

export interface ResolvedDependency {
  name: string;
  version: string;
  /** Registry integrity or, for local files, a sha256 of their content. */
  integrity?: string;
  resolved?: string;
}

export interface Manifest {
  environment: string;
  /** Version id: the first 16 hex digits of the component's sha256. */
  version: string;
  language: Language;
  engine: string;
  dependencies: ResolvedDependency[];
  functions: FunctionSchema[];
  /** WIT imports of the component: empty unless the language's allowlist grants some. */
  imports: string[];
  component: { file: string; bytes: number; sha256: string };
  /** Transpiled core modules with their sha256, in the order the bindings load them. */
  core: Array<{ file: string; sha256: string }>;
  bindings: { file: string; sha256: string };
  toolchain: Record<string, string>;
  buildMs: number;
  createdAt: string;
}
