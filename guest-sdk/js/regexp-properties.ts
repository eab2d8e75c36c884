/**
 * Unicode property escapes in patterns built at run time, for engines without
 * Unicode tables (StarlingMonkey). The bundler ships, ahead of the bundle, the
 * classes of the properties named in the module's strings (builds/js/regex-rewrite.ts);
 * RegExp then substitutes them before the engine parses the pattern.
 */
export const PROPERTY_CLASSES = Symbol.for("vial.regexp-property-classes");

type Classes = Record<string, [string, string]>;

/** Substitutes the known `\p{...}`/`\P{...}` of a u/v-mode pattern (inside a class: its contents; outside: a class). */
export function expandPropertyClasses(pattern: string, vMode: boolean, classes: Classes): string {
  let out = "";
  let depth = 0; // inside a character class (v mode nests them)
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "\\") {
      const m = /^([pP])\{([\w=]+)\}/.exec(pattern.slice(i + 1, i + 64));
      const cls = m && classes[m[2]];
      if (m && cls) {
        const body = m[1] === "p" ? cls[0] : cls[1];
        out += depth > 0 ? body : `[${body}]`;
        i += m[0].length;
      } else {
        out += c + (pattern[i + 1] ?? "");
        i++;
      }
      continue;
    }
    if (c === "[" && (vMode || depth === 0)) depth++;
    else if (c === "]" && depth > 0) depth--;
    out += c;
  }
  return out;
}

/** Wraps the global RegExp when the bundle shipped property classes (and only then). */
export function installPropertyClasses(): void {
  const g = globalThis as Record<PropertyKey, unknown>;
  const classes = g[PROPERTY_CLASSES] as Classes | undefined;
  if (!classes) return;
  delete g[PROPERTY_CLASSES];
  const args = (a: unknown[]): unknown[] => {
    const [pattern, flags] = a;
    if (typeof pattern !== "string" || typeof flags !== "string" || !/[uv]/.test(flags) || !/\\[pP]\{/.test(pattern)) return a;
    return [expandPropertyClasses(pattern, flags.includes("v"), classes), ...a.slice(1)];
  };
  const NativeRegExp = RegExp;
  Object.defineProperty(g, "RegExp", {
    value: new Proxy(NativeRegExp, {
      construct: (target, a, newTarget) => Reflect.construct(target, args(a), newTarget),
      apply: (target, self, a) => Reflect.apply(target, self, args(a)),
    }),
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
