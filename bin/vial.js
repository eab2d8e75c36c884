#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so `npx vial` works right after `npm ci`.
import { register } from "tsx/esm/api";

register();
await import("../cli/main.ts");
