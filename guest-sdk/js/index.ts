/**
 * The JS/TS guest SDK: what user transformations import as "@vial/guest".
 *
 *   export const similarity = transformation({
 *     inputs: { text: t.string },
 *     outputs: { score: t.int64 },
 *     handler: (row) => ({ score: row.text.length }),
 *   });
 *
 * docs/types.md has every type, its wire form and its values, the named inputs and the modes.
 */
import type { FieldSchema, FieldType, FloatType, Mode } from "../../runtime/schema.ts";
import { fromColumns, toColumns } from "./columns.ts";

export type { FieldType, FieldSchema, FunctionSchema } from "../../runtime/schema.ts";

/**
 * A field type: its wire schema, plus the TS types of its values (phantom): `In` as the function receives them,
 * `Out` as it may return them (a struct's optional fields may be left out, a timestamp may be returned as text).
 */
export interface Type<In, Out = In, S extends FieldType = FieldType> {
  readonly schema: S;
  readonly __in?: In;
  readonly __out?: Out;
}

/** A nested record: its fields are known to the types, so a named input can be split into columns. */
export interface StructType<F extends Fields> extends Type<InputRow<F>, OutputRow<F>, { struct: FieldSchema[] }> {
  readonly __fields?: F;
}

export type Fields = Record<string, Type<unknown, unknown>>;

const type = <In, Out = In, S extends FieldType = FieldType>(schema: S): Type<In, Out, S> => ({ schema });

const toFields = (fields: Fields): FieldSchema[] => Object.entries(fields).map(([name, t]) => ({ name, type: t.schema }));

export const t = {
  string: type<string>("string"),
  /** A whole number within ±(2^53-1), the range a JSON number holds exactly. */
  int64: type<number>("int64"),
  /** A whole number within -2^31 … 2^31-1. */
  int32: type<number>("int32"),
  /** A finite number. */
  float64: type<number, number, "float64">("float64"),
  /** A finite number, rounded to the nearest float32 both ways (Math.fround). */
  float32: type<number, number, "float32">("float32"),
  bool: type<boolean>("bool"),
  bytes: type<Uint8Array>("bytes"),
  /** An instant, received as a Date (milliseconds); returned as a Date, or RFC 3339 text to keep microseconds. */
  timestamp: type<Date, Date | string>("timestamp"),
  array: <I, O>(items: Type<I, O>): Type<I[], O[]> => type<I[], O[]>({ array: items.schema }),
  /** Nullable: arrives as null when absent; may be left out of an output row. */
  optional: <I, O>(inner: Type<I, O>): Type<I | null, O | null> => type<I | null, O | null>({ optional: inner.schema }),
  /** String keys, values of one type. */
  map: <I, O>(values: Type<I, O>): Type<Record<string, I>, Record<string, O>> => type({ map: values.schema }),
  /** A nested record with fields of its own: also how a named input is declared. */
  struct: <F extends Fields>(fields: F): StructType<F> => ({ schema: { struct: toFields(fields) } }),
  /** A float that may also be NaN or ±Infinity, as the platforms' floats may. */
  nonFinite: (float: Type<number, number, FloatType>): Type<number> => {
    if (float.schema !== "float64" && float.schema !== "float32") throw new TypeError("t.nonFinite(): give t.float64 or t.float32");
    return type<number>({ nonFinite: float.schema });
  },
};

type InOf<T> = T extends Type<infer In, unknown, FieldType> ? In : never;
type OutOf<T> = T extends Type<unknown, infer Out, FieldType> ? Out : never;
type NullableKeys<F extends Fields> = { [K in keyof F]: null extends OutOf<F[K]> ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A row as the handler receives it: every declared field present (optional ones may be null), at every level. */
export type InputRow<F extends Fields> = Simplify<{ readonly [K in keyof F]: InOf<F[K]> }>;

/** A row as the handler returns it: optional fields may be omitted, at every level. */
export type OutputRow<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, NullableKeys<F>>]: OutOf<F[K]> } & { [K in NullableKeys<F>]?: OutOf<F[K]> }
>;

/** Each field's values, one per row. */
type Columns<F extends Fields> = { readonly [K in keyof F]: InOf<F[K]>[] };

/**
 * The batch as a columns handler receives it: a column per input field; with named inputs (every input a struct),
 * a dict of columns per input.
 */
export type InputColumns<F extends Fields> = Simplify<
  F[keyof F] extends StructType<Fields> ? { readonly [K in keyof F]: F[K] extends StructType<infer S> ? Simplify<Columns<S>> : never } : Columns<F>
>;

/** What a columns handler returns: a column per output field, each as long as the batch; optional ones may be omitted. */
export type OutputColumns<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, NullableKeys<F>>]: readonly OutOf<F[K]>[] } & { [K in NullableKeys<F>]?: readonly OutOf<F[K]>[] }
>;

interface Schemas<I extends Fields, O extends Fields> {
  inputs: I;
  outputs: O;
}

/** Row form: called once per row; a throw fails only that row. */
export interface RowSpec<I extends Fields, O extends Fields> extends Schemas<I, O> {
  handler: (row: InputRow<I>) => OutputRow<O>;
  batchHandler?: never;
  columnsHandler?: never;
}

/** Batch form: called once per batch, returns one output row per input row, in order. */
export interface BatchSpec<I extends Fields, O extends Fields> extends Schemas<I, O> {
  batchHandler: (rows: InputRow<I>[]) => OutputRow<O>[];
  handler?: never;
  columnsHandler?: never;
}

/** Columns form: called once per batch with a dict of columns, returns a dict of output columns. */
export interface ColumnsSpec<I extends Fields, O extends Fields> extends Schemas<I, O> {
  columnsHandler: (columns: InputColumns<I>) => OutputColumns<O>;
  handler?: never;
  batchHandler?: never;
}

export type TransformationSpec<I extends Fields, O extends Fields> = RowSpec<I, O> | BatchSpec<I, O> | ColumnsSpec<I, O>;

/** Marks a transformation so the runtime finds it among a module's exports (same mark across bundles). */
export const TRANSFORMATION = Symbol.for("vial.transformation");

export interface Transformation<I extends Fields = Fields, O extends Fields = Fields> {
  readonly [TRANSFORMATION]: true;
  readonly inputs: FieldSchema[];
  readonly outputs: FieldSchema[];
  readonly mode: Exclude<Mode, "pandas">;
  /** Runs the batch in guest form (bytes as Uint8Array, timestamps as Date); per-row failures are returned as Errors. */
  readonly run: (rows: InputRow<I>[]) => Array<OutputRow<O> | Error>;
}

export function transformation<I extends Fields, O extends Fields>(spec: TransformationSpec<I, O>): Transformation<I, O> {
  const { handler, batchHandler, columnsHandler } = spec;
  if ([handler, batchHandler, columnsHandler].filter((h) => h !== undefined).length !== 1) {
    throw new TypeError("transformation(): give exactly one of `handler` (per row), `batchHandler` (per batch) or `columnsHandler` (a dict of columns)");
  }
  const inputs = toFields(spec.inputs);
  const outputs = toFields(spec.outputs);
  const common = { [TRANSFORMATION]: true, inputs, outputs } as const;
  if (handler) {
    const run = (rows: InputRow<I>[]) =>
      rows.map((row) => {
        try {
          return handler(row);
        } catch (error) {
          return error instanceof Error ? error : new Error(String(error));
        }
      });
    return { ...common, mode: "row", run };
  }
  if (batchHandler) return { ...common, mode: "batch", run: (rows) => batchHandler(rows) };
  const run = (rows: InputRow<I>[]) => fromColumns(outputs, columnsHandler!(toColumns(inputs, rows) as InputColumns<I>), rows.length) as OutputRow<O>[];
  return { ...common, mode: "columns", run };
}
