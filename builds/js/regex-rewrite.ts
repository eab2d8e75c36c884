/**
 * StarlingMonkey's SpiderMonkey is built without ICU: a regex with a Unicode
 * property escape (`\p{L}`) is a syntax error there. This rewrites such regexes
 * into explicit character classes at bundle time: literals, and `RegExp(...)`
 * with a literal pattern. Patterns built at run time (`new RegExp("[^\\p{L}" +
 * extra + "]", "u")`) cannot be rewritten here: the property names that appear
 * in the source's strings are collected instead, and their classes shipped
 * with the bundle for the guest's RegExp to expand (guest-sdk/js/unicode.ts).
 * QuickJS has the tables and needs none of this.
 */
import { parseSync } from "oxc-parser";
import rewritePattern from "regexpu-core";

const PROPERTY_ESCAPE = /\\[pP]\{/;
const PROPERTY_NAMES = /\\[pP]\{([\w=]+)\}/g;

interface Edit {
  start: number;
  end: number;
  text: string;
}

type Node = { type?: string; start: number; end: number; [key: string]: unknown };

/** The rewritten pattern and flags; `v` (set notation) becomes `u`, which every engine parses. */
function rewrite(pattern: string, flags: string): { pattern: string; flags: string } {
  if (!/[uv]/.test(flags)) return { pattern, flags }; // without u/v, `\p{L}` is the text "p{L}"
  return {
    pattern: rewritePattern(pattern, flags, { unicodePropertyEscapes: "transform", unicodeSetsFlag: "transform" }),
    flags: flags.replace("v", "u"),
  };
}

function collect(node: unknown, edits: Edit[], names: Set<string>): void {
  if (Array.isArray(node)) {
    for (const child of node) collect(child, edits, names);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const n = node as Node;
  const regex = n.regex as { pattern: string; flags: string } | undefined;
  if (n.type === "Literal" && regex) {
    if (PROPERTY_ESCAPE.test(regex.pattern)) {
      const out = rewrite(regex.pattern, regex.flags);
      edits.push({ start: n.start, end: n.end, text: `/${out.pattern}/${out.flags}` });
    }
    return;
  }
  if ((n.type === "NewExpression" || n.type === "CallExpression") && (n.callee as Node | undefined)?.name === "RegExp") {
    const [pattern, flags] = n.arguments as Node[];
    const f = flags === undefined ? "" : flags.type === "Literal" && typeof flags.value === "string" ? flags.value : undefined;
    if (pattern?.type === "Literal" && typeof pattern.value === "string" && f !== undefined && PROPERTY_ESCAPE.test(pattern.value)) {
      const out = rewrite(pattern.value, f);
      edits.push({ start: pattern.start, end: pattern.end, text: JSON.stringify(out.pattern) });
      if (flags) edits.push({ start: flags.start, end: flags.end, text: JSON.stringify(out.flags) });
      return;
    }
  }
  // Any other string that mentions a property: it may become a pattern at run time.
  const text = n.type === "Literal" ? n.value : n.type === "TemplateElement" ? (n.value as { cooked?: string })?.cooked : undefined;
  if (typeof text === "string") for (const [, name] of text.matchAll(PROPERTY_NAMES)) names.add(name);
  for (const key in n) collect(n[key], edits, names);
}

/**
 * Returns the source with property escapes expanded (the same string when there
 * are none), adding to `names` the properties its other strings mention.
 */
export function expandPropertyEscapes(source: string, filename: string, names = new Set<string>()): string {
  if (!PROPERTY_ESCAPE.test(source)) return source;
  const parsed = parseSync(filename, source);
  const edits: Edit[] = [];
  collect(parsed.program, edits, names);
  let out = source;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

/** What a class holds for `\p{name}` and `\P{name}` (u mode), for the guest's RegExp; unknown names are left out. */
export function propertyClasses(names: Iterable<string>): Record<string, [string, string]> {
  const table: Record<string, [string, string]> = {};
  const inner = (pattern: string) => rewritePattern(pattern, "u", { unicodePropertyEscapes: "transform" }).slice(1, -1);
  for (const name of names) {
    try {
      table[name] = [inner(`[\\p{${name}}]`), inner(`[\\P{${name}}]`)];
    } catch {
      // Not a property (or a property of strings): the engine reports it as it would.
    }
  }
  return table;
}
