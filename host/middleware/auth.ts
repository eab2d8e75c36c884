/**
 * Bearer tokens map to the environments they may invoke. With no tokens
 * configured every caller may invoke everything (a loopback or unix-socket
 * sidecar); admin operations always need the admin token.
 */
import { timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { TokenGrants } from "../config.ts";
import { adminDisabled, forbidden, unauthorized } from "../../runtime/errors.ts";
import type { HostEnv, Principal } from "./context.ts";
import { trustConnection } from "../node-bindings.ts";

import { tokenDigest as digest } from "../../runtime/token-digest.ts";

export interface AuthConfig {
  tokens: TokenGrants;
  adminToken?: string;
}

/** Resolves the caller from `Authorization: Bearer …`; rejects unknown tokens when tokens are configured. */
export function authenticate(config: AuthConfig): MiddlewareHandler<HostEnv> {
  // Looked up by digest, so the comparison never runs over the secret itself.
  const grants = new Map(Object.entries(config.tokens).map(([token, envs]) => [digest(token), envs]));
  const adminDigest = config.adminToken ? Buffer.from(digest(config.adminToken), "hex") : undefined;
  const open = grants.size === 0;
  return async function resolvePrincipal(c, next) {
    const header = c.req.header("authorization");
    const token = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
    const hashed = token ? digest(token) : undefined;
    const admin = !!(hashed && adminDigest && timingSafeEqual(Buffer.from(hashed, "hex"), adminDigest));
    const envs = hashed ? grants.get(hashed) : undefined;
    let principal: Principal;
    if (admin) principal = { environments: "*", admin: true, authenticated: true };
    else if (envs) principal = { environments: envs.includes("*") ? "*" : new Set(envs), admin: false, authenticated: true };
    // Even on an open host a token nobody issued is refused: its sender believes it is authenticating.
    else if (open && !token) principal = { environments: "*", admin: false, authenticated: false };
    else throw unauthorized();
    c.set("principal", principal);
    // A connection that carried an accepted token (or any request, where none is needed) keeps the long keep-alive.
    if (principal.authenticated || open) trustConnection(c);
    await next();
  };
}

export function mayInvoke(principal: Principal, env: string): boolean {
  return principal.environments === "*" || principal.environments.has(env);
}

export function requireInvoke(principal: Principal, env: string): void {
  if (!mayInvoke(principal, env)) throw forbidden(`invoke environment '${env}'`);
}

export function requireAdmin(principal: Principal, adminConfigured: boolean): void {
  if (principal.admin) return;
  if (!adminConfigured) throw adminDisabled();
  if (!principal.authenticated) throw unauthorized();
  throw forbidden("run admin operations (use the admin token)");
}
