/** What a published version says about itself (manifest.json beside its artifacts). */
import type { FunctionSchema } from "./schema.ts";

export type Language = "js" | "python";

export interface ResolvedDependency {
  name: string;
  version: string;
  /** Registry integrity or, for local files, a sha256 of their content. */
  integrity?: string;
  resolved?: string;
}

export interface ArtifactFile {
  file: string;
  sha256: string;
}

export interface Manifest {
  environment: string;
  /** Version id: the first 16 hex digits of the component's sha256. */
  version: string;
  language: Language;
  /** What the host runs: "v8" (the bundle in an isolate), or the component's engine ("quickjs", "starlingmonkey", "cpython"). */
  engine: string;
  /** The engine compiled into the component (the same as `engine` except for "v8", whose component is QuickJS). */
  componentEngine?: string;
  dependencies: ResolvedDependency[];
  functions: FunctionSchema[];
  /** WIT imports of the component: empty unless the language's allowlist grants some. */
  imports: string[];
  component: ArtifactFile & { bytes: number };
  /** Transpiled core modules with their sha256, in the order the bindings load them. */
  core: ArtifactFile[];
  bindings: ArtifactFile;
  /** JS: the one bundle (user module, dependencies, guest runtime) that the component embeds and V8 runs. */
  bundle?: ArtifactFile;
  toolchain: Record<string, string>;
  buildMs: number;
  createdAt: string;
}
