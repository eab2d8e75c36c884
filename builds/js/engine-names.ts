/**
 * What a JS environment may choose: "v8" runs the bundle in V8 isolates where
 * the host can (its component, the artifact, embeds QuickJS); the others run
 * the component itself. Apart from the engines themselves, so the command
 * line can offer the names without loading the toolchains.
 */
export const JS_ENGINES = ["v8", "quickjs", "starlingmonkey"] as const;
export const DEFAULT_ENGINE = "v8";
