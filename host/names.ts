/**
 * Names in requests (path parameters, admin bodies) are checked by the
 * store's own rule (builds/names.ts) before they reach a map, a metric, a
 * log line or a path: a name that is not one gets 400 `bad_request` saying
 * what names look like. Every path parameter of every route is a name of
 * one kind or another, and is checked before the route's handlers run.
 */
import type { MiddlewareHandler } from "hono";
import { NAME_RULES, nameProblem, type NameKind } from "../builds/names.ts";
import { badRequest, type ApiError } from "../runtime/errors.ts";
import type { HostEnv } from "./middleware/context.ts";

/** The kind of name each path parameter holds. */
const PARAMETER_KINDS: Record<string, NameKind> = { env: "environment", fn: "function" };

function kindOf(parameter: string): NameKind {
  const kind = PARAMETER_KINDS[parameter];
  // A route declared with a parameter nobody checks would take any string to its handlers: refuse to start.
  if (!kind) throw new Error(`path parameter {${parameter}} has no name rule: add it to host/names.ts`);
  return kind;
}

/** `name` when it is a valid name of `kind`; otherwise the 400 that says what names look like. */
export function requireName(kind: NameKind, name: unknown): string {
  const problem = nameProblem(kind, name);
  if (problem) throw badRequest(problem);
  return name as string;
}

/** Checks a route's path parameters before its handlers see them. */
export function checkPathNames(parameters: string[]): MiddlewareHandler<HostEnv> {
  const kinds = parameters.map((parameter) => [parameter, kindOf(parameter)] as const);
  return async function checkNames(c, next) {
    for (const [parameter, kind] of kinds) requireName(kind, c.req.param(parameter));
    await next();
  };
}

/** A path parameter's schema in the OpenAPI document: the rule as a pattern. */
export function parameterSchema(parameter: string): { type: "string"; pattern: string; maxLength: number } {
  const { pattern, maxLength } = NAME_RULES[kindOf(parameter)];
  return { type: "string", pattern: pattern.source, maxLength };
}

/** The 400s a route with these path parameters answers, for its OpenAPI declaration. */
export function nameErrors(parameters: string[]): ApiError[] {
  return [...new Set(parameters.map(kindOf))].map((kind) => badRequest(nameProblem(kind, kind === "environment" ? "../x" : "bad-name")!));
}
