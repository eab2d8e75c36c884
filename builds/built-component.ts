/** What a language's builder hands to deploy: the component, the bundle it embeds (JS), and how they were made. */
export interface BuiltComponent {
  component: Uint8Array;
  /** JS: the one bundle the component embeds, which the V8 engine runs as is. */
  bundle?: string;
  /** The environment's engine ("v8", "quickjs", "starlingmonkey", "cpython"). */
  engine: string;
  /** The engine compiled into the component, with its version. */
  componentEngine: { name: string; version: string };
}

export interface BuildRequest {
  modulePath: string;
  /** The environment's dependency layer. */
  layerDir: string;
  engine?: string;
  progress: (msg: string) => void;
}
