import { describe, expect, expectTypeOf, it } from "vitest";
import { transformation, t, TRANSFORMATION, type InputRow, type OutputRow } from "../guest-sdk/js/index.ts";
import { checkRow, checkValue } from "../guest-sdk/js/schema.ts";

describe("guest SDK types", () => {
  it("infers the row and the return type from the schema", () => {
    const inputs = { text: t.string, n: t.int64, x: t.float64, ok: t.bool, raw: t.bytes, tags: t.array(t.string), note: t.optional(t.string) };
    const outputs = { score: t.int64, label: t.optional(t.string), grid: t.array(t.array(t.float64)) };
    expectTypeOf<InputRow<typeof inputs>>().toEqualTypeOf<{
      readonly text: string;
      readonly n: number;
      readonly x: number;
      readonly ok: boolean;
      readonly raw: Uint8Array;
      readonly tags: string[];
      readonly note: string | null;
    }>();
    expectTypeOf<OutputRow<typeof outputs>>().toEqualTypeOf<{ score: number; grid: number[][]; label?: string | null }>();

    transformation({
      inputs,
      outputs,
      handler: (row) => {
        expectTypeOf(row.tags).toEqualTypeOf<string[]>();
        return { score: row.n, grid: [[row.x]] };
      },
    });
    transformation({
      inputs: { text: t.string },
      outputs: { score: t.int64 },
      // @ts-expect-error: a string is not an int64
      handler: (row) => ({ score: row.text }),
    });
    transformation({
      inputs: { text: t.string },
      outputs: { score: t.int64 },
      // @ts-expect-error: a required output field is missing
      handler: () => ({}),
    });
  });

  it("describes the schema and runs rows, catching each row's failure", () => {
    const f = transformation({
      inputs: { n: t.int64 },
      outputs: { half: t.float64 },
      handler: (row) => {
        if (row.n < 0) throw new RangeError("negative");
        return { half: row.n / 2 };
      },
    });
    expect(f[TRANSFORMATION]).toBe(true);
    expect(f.mode).toBe("row");
    expect(f.inputs).toEqual([{ name: "n", type: "int64" }]);
    const [ok, failed] = f.run([{ n: 3 }, { n: -1 }]);
    expect(ok).toEqual({ half: 1.5 });
    expect(failed).toBeInstanceOf(RangeError);
  });

  it("has a batch form, and insists on exactly one handler", () => {
    const f = transformation({
      inputs: { s: t.string },
      outputs: { len: t.int64 },
      batchHandler: (rows) => rows.map((r) => ({ len: r.s.length })),
    });
    expect(f.mode).toBe("batch");
    expect(f.run([{ s: "abc" }])).toEqual([{ len: 3 }]);
    expect(() => transformation({ inputs: {}, outputs: {} } as never)).toThrow(/exactly one of `handler`/);
  });

  it("checks values against types, naming the field and what is wrong", () => {
    expect(checkValue("int64", 2 ** 53, "guest")).toMatch(/outside/);
    expect(checkValue("int64", 1.5, "guest")).toMatch(/expected int64, got float 1.5/);
    expect(checkValue({ optional: "string" }, null, "guest")).toBeNull();
    expect(checkValue({ array: "bool" }, [true, 1], "guest")).toBe("[1]: expected bool, got number");
    expect(checkValue("bytes", "aGk=", "wire")).toBeNull();
    expect(checkValue("bytes", new Uint8Array(2), "guest")).toBeNull();
    expect(checkRow([{ name: "text", type: "string" }], { text: 3 }, "guest")).toBe("field 'text': expected string, got number");
    expect(checkRow([{ name: "text", type: "string" }], {}, "guest")).toBe("field 'text': missing");
  });
});
