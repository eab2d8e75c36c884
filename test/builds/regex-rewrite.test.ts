/** Bundle-time expansion of Unicode property escapes (for engines without Unicode tables). */
import { describe, expect, test } from "vitest";
import { expandPropertyEscapes, propertyClasses } from "../../builds/js/regex-rewrite.ts";
import { expandPropertyClasses } from "../../guest-sdk/js/regexp-properties.ts";

/** Evaluates `source`'s last expression: the rewritten regex must contain no escape and match like the original. */
const evaluate = (source: string): RegExp => new Function(`return ${source}`)() as RegExp;
const SAMPLES = ["a", "Z", "é", "Ω", "ж", "中", "٣", "7", "😀", "𝒜", " ", "-", "_", "\u0301"];

function expectSameMatches(original: string, rewritten: string): void {
  expect(rewritten).not.toMatch(/\\[pP]\{/);
  const before = evaluate(original);
  const after = evaluate(rewritten);
  expect(after.flags).toBe(before.flags.replace("v", "u"));
  for (const s of SAMPLES) expect([s, after.test(s)]).toEqual([s, before.test(s)]);
}

describe("expandPropertyEscapes", () => {
  test("a regex literal", () => {
    const source = "/^\\p{Lu}\\p{Ll}+$/u";
    const out = expandPropertyEscapes(source, "a.js");
    expectSameMatches(source, out);
    expect(evaluate(out).test("Éclair")).toBe(true);
  });

  test("a negated class, and \\P", () => {
    for (const source of ["/[^\\p{L}\\p{N}]/gu", "/\\P{L}/u", "/[\\P{N}]/u"]) expectSameMatches(source, expandPropertyEscapes(source, "a.js"));
    const cleaned = "héllo, wörld! 42".replace(evaluate(expandPropertyEscapes("/[^\\p{L}\\p{N}]/gu", "a.js")), " ");
    expect(cleaned).toBe("héllo  wörld  42");
  });

  test("the RegExp constructor with literal arguments, with and without new", () => {
    for (const source of ['new RegExp("\\\\p{Script=Greek}+", "u")', 'RegExp("[\\\\p{N}]", "gu")']) {
      const out = expandPropertyEscapes(source, "a.js");
      expect(out.startsWith(source.slice(0, source.indexOf("(") + 1))).toBe(true);
      expectSameMatches(source, out);
    }
  });

  test("the u flag decides: without it `\\p{L}` is plain text and stays as it is", () => {
    const source = "/\\p{L}/";
    expect(expandPropertyEscapes(source, "a.js")).toBe(source);
    expect(evaluate(source).test("p{L}")).toBe(true);
  });

  test("the v flag becomes u", () => {
    const source = "/[\\p{L}--[a-z]]/v";
    const out = expandPropertyEscapes(source, "a.js");
    expect(out.endsWith("/u")).toBe(true);
    expectSameMatches(source, out);
  });

  test("no-op when the source has no property escape", () => {
    const source = "const r = /[a-z]+/gi; new RegExp(pattern, 'u'); const s = '\\\\d';";
    expect(expandPropertyEscapes(source, "a.js")).toBe(source);
  });

  test("TypeScript sources", () => {
    const source = "const r: RegExp = /\\p{N}+/u;";
    expect(expandPropertyEscapes(source, "a.ts")).not.toMatch(/\\p\{/);
  });

  test("patterns built at run time: the properties their strings name are collected", () => {
    const names = new Set<string>();
    const source = 'const p = "[^\\\\p{L}\\\\p{N}" + extra + "]"; const q = `\\\\p{Emoji_Component}`; new RegExp(p, "gu");';
    expect(expandPropertyEscapes(source, "a.js", names)).toBe(source);
    expect([...names].sort()).toEqual(["Emoji_Component", "L", "N"]);
    const classes = propertyClasses([...names, "Not_A_Property"]);
    expect(Object.keys(classes).sort()).toEqual(["Emoji_Component", "L", "N"]);
    const [letters, nonLetters] = classes.L;
    expect(new RegExp(`^[${letters}]+$`, "u").test("Ωmega")).toBe(true);
    expect(new RegExp(`^[${nonLetters}]+$`, "u").test("42 😀")).toBe(true);
  });
});

describe("run-time expansion in the guest", () => {
  const classes = propertyClasses(["L", "N", "Extended_Pictographic"]);
  test.each([
    ["[^\\p{L}\\p{N}*?]", "gu"],
    ["^\\p{L}+\\P{L}$", "u"],
    ["[\\P{N}]+", "u"],
    ["\\\\p\\{L\\}", "u"], // an escaped backslash, then the text p{L}
    ["[\\[\\]\\p{Extended_Pictographic}]", "u"],
  ])("%s /%s", (pattern, flags) => {
    const expanded = expandPropertyClasses(pattern, false, classes);
    const before = new RegExp(pattern, flags);
    const after = new RegExp(expanded, flags);
    for (const s of [...SAMPLES, "\\p{L}", "[", "*", "é!", "Ab1"]) expect([s, after.test(s)]).toEqual([s, before.test(s)]);
  });
});
