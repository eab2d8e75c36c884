/**
 * The import object a component is instantiated with: only granted
 * interfaces are reachable; asking for any other one fails instantiation
 * with its name, instead of silently getting undefined.
 */
import { unversioned } from "../languages.ts";

export function guardImports(provided: Record<string, unknown>, allowlist: string[]): Record<string, unknown> {
  const allowed = new Set(allowlist);
  return new Proxy(provided, {
    get(target, key) {
      if (typeof key !== "string") return undefined;
      if (!allowed.has(unversioned(key))) {
        throw new Error(`the component imports '${key}', which this host does not grant`);
      }
      return target[key];
    },
  });
}
