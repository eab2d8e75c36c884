/**
 * V8 flags that must be set before the first WASM compile in a thread.
 * QuickJS components use extended constant expressions, still behind a flag on Node 20.
 */
import { setFlagsFromString } from "node:v8";

setFlagsFromString("--experimental-wasm-extended-const");
