/**
 * StarlingMonkey's SpiderMonkey is built without ICU: a regex with a Unicode
 * property escape (`\p{L}`) is a syntax error there. This rewrites such regexes
 * (literals and `RegExp("...", "u")` with literal arguments) into explicit
 * character ranges at bundle time; QuickJS needs no rewrite.
 */
import { parseSync } from "oxc-parser";
import rewritePattern from "regexpu-core";

const PROPERTY_ESCAPE = /\\[pP]\{/;

interface Edit {
  start: number;
  end: number;
  text: string;
}

type Node = { type?: string; start: number; end: number; [key: string]: unknown };

function rewrite(pattern: string, flags: string): string {
  return rewritePattern(pattern, flags, { unicodePropertyEscapes: "transform", unicodeFlag: flags.includes("u") ? undefined : "transform" });
}

function collectEdits(node: unknown, edits: Edit[]): void {
  if (Array.isArray(node)) {
    for (const child of node) collectEdits(child, edits);
    return;
  }
  if (node === null || typeof node !== "object") return;
  const n = node as Node;
  const regex = n.regex as { pattern: string; flags: string } | undefined;
  if (n.type === "Literal" && regex && PROPERTY_ESCAPE.test(regex.pattern)) {
    edits.push({ start: n.start, end: n.end, text: `/${rewrite(regex.pattern, regex.flags)}/${regex.flags}` });
    return;
  }
  if ((n.type === "NewExpression" || n.type === "CallExpression") && (n.callee as Node | undefined)?.name === "RegExp") {
    const [pattern, flags] = n.arguments as Node[];
    if (pattern?.type === "Literal" && typeof pattern.value === "string" && PROPERTY_ESCAPE.test(pattern.value)) {
      const f = flags?.type === "Literal" && typeof flags.value === "string" ? flags.value : "";
      edits.push({ start: pattern.start, end: pattern.end, text: JSON.stringify(rewrite(pattern.value, f)) });
    }
  }
  for (const key in n) if (key !== "regex") collectEdits(n[key], edits);
}

/** Returns the source with property escapes expanded, or the same string when there are none. */
export function expandPropertyEscapes(source: string, filename: string): string {
  if (!PROPERTY_ESCAPE.test(source)) return source;
  const parsed = parseSync(filename, source);
  const edits: Edit[] = [];
  collectEdits(parsed.program, edits);
  let out = source;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}
