/** What a language's builder hands to deploy: the component and how it was made. */
export interface BuiltComponent {
  component: Uint8Array;
  engine: { name: string; version: string };
}

export interface BuildRequest {
  modulePath: string;
  /** The environment's dependency layer. */
  layerDir: string;
  engine?: string;
  progress: (msg: string) => void;
}
