/**
 * Routes declared once: a route module hands its method, path, bodies and
 * the errors it answers with (made by the same factories its handlers throw)
 * to `declareRoute`, which registers the handlers on the app (after a check
 * of the names in the path) and keeps the declaration for GET /openapi.json.
 */
import type { Handler, Hono, MiddlewareHandler } from "hono";
import type { z } from "zod";
import type { ApiError } from "../../runtime/errors.ts";
import type { HostEnv } from "../middleware/context.ts";
import { checkPathNames } from "../names.ts";

/** A schema of zod, or JSON Schema (2020-12) where the shape is built at run time. */
export type BodySchema = z.ZodType | Record<string, unknown>;

export interface DeclaredResponse {
  description: string;
  /** Media type -> schema; none for a body without content. */
  content?: Record<string, BodySchema>;
  headers?: Record<string, string>;
}

export interface RouteDeclaration {
  method: "get" | "post";
  /** In OpenAPI's form: /v1/invoke/{env}/{fn}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** public: no token ever; token: a bearer token when tokens are configured; admin: the admin token. */
  access: "public" | "token" | "admin";
  params?: Record<string, string>;
  /** Request headers the route reads, with what they mean. */
  headers?: Record<string, string>;
  body?: { required: boolean; description?: string; content: Record<string, BodySchema> };
  responses: Record<number, DeclaredResponse>;
  /** What it answers when it refuses: built by the factories of runtime/errors.ts. */
  errors: ApiError[];
}

const declarations = new WeakMap<object, RouteDeclaration[]>();

/** `/v1/invoke/{env}/{fn}` -> `/v1/invoke/:env/:fn` */
export const honoPath = (path: string): string => path.replace(/\{(\w+)\}/g, ":$1");

/** Matches a request URL (path and query) against a declared path: "/v1/invoke/{env}/{fn}". */
export const pathPattern = (path: string): RegExp => new RegExp(`^${path.replace(/\{\w+\}/g, "[^/?]+")}(\\?|$)`);

export function declareRoute(app: Hono<HostEnv>, declaration: RouteDeclaration, ...handlers: Array<Handler<HostEnv> | MiddlewareHandler<HostEnv>>): void {
  const list = declarations.get(app) ?? [];
  declarations.set(app, list);
  list.push(declaration);
  // Path parameters are names, checked before any handler uses one (host/names.ts).
  const parameters = [...declaration.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => name!);
  const checked = parameters.length ? [checkPathNames(parameters), ...handlers] : handlers;
  app.on(declaration.method.toUpperCase(), honoPath(declaration.path), ...(checked as [Handler<HostEnv>]));
}

export function declaredRoutes(app: Hono<HostEnv>): readonly RouteDeclaration[] {
  return declarations.get(app) ?? [];
}
