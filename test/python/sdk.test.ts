// The dispatcher and wire checks, run under native CPython (fast, no build).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FIXTURES, callNative } from "./harness.js";

const CHECKS = join(FIXTURES, "guest_checks.py");

describe("vial python sdk (native)", () => {
  it("keeps int64 within ±(2^53-1) and refuses bools", () => {
    const got = callNative(CHECKS, "int_edges", [{ v: "max" }, { v: "big" }, { v: "bool" }]);
    expect(got.rows).toEqual([{ n: 2 ** 53 - 1 }, null, null]);
    expect(got.errors).toEqual([
      { row: 1, error: "output field 'n': int64 out of range (±2^53-1)" },
      { row: 2, error: "output field 'n': expected int64, got bool" },
    ]);
  });

  it("checks input types and base64", () => {
    const got = callNative(CHECKS, "roundtrip", [{ data: "!!", xs: [], flag: true, maybe: null }, { data: "", xs: ["a"], flag: true }]);
    expect(got.errors).toEqual([
      { row: 0, error: "input field 'data': invalid base64" },
      { row: 1, error: "input field 'xs'[0]: expected float64, got str" },
    ]);
  });
});
