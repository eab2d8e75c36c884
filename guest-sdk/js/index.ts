/**
 * The JS/TS guest SDK: what user transformations import as "@vial/guest".
 *
 *   export const similarity = transformation({
 *     inputs: { text: t.string },
 *     outputs: { score: t.int64 },
 *     handler: (row) => ({ score: row.text.length }),
 *   });
 */
import type { FieldSchema, FieldType } from "./schema.ts";

export type { FieldType, FieldSchema, FunctionSchema } from "./schema.ts";

/** A field type: its wire schema, plus the TS type of its values (phantom). */
export interface Type<T> {
  readonly schema: FieldType;
  readonly __value?: T;
}

const type = <T>(schema: FieldType): Type<T> => ({ schema });

export const t = {
  string: type<string>("string"),
  /** A whole number within ±(2^53-1), the range a JSON number holds exactly. */
  int64: type<number>("int64"),
  float64: type<number>("float64"),
  bool: type<boolean>("bool"),
  bytes: type<Uint8Array>("bytes"),
  array: <T>(items: Type<T>): Type<T[]> => type<T[]>({ array: items.schema }),
  /** Nullable: arrives as null when absent; may be left out of an output row. */
  optional: <T>(inner: Type<T>): Type<T | null> => type<T | null>({ optional: inner.schema }),
};

export type Fields = Record<string, Type<unknown>>;

type ValueOf<F> = F extends Type<infer T> ? T : never;
type NullableKeys<F extends Fields> = { [K in keyof F]: null extends ValueOf<F[K]> ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A row as the handler receives it: every declared field present (optional ones may be null). */
export type InputRow<F extends Fields> = Simplify<{ readonly [K in keyof F]: ValueOf<F[K]> }>;

/** A row as the handler returns it: optional fields may be omitted. */
export type OutputRow<F extends Fields> = Simplify<
  { [K in Exclude<keyof F, NullableKeys<F>>]: ValueOf<F[K]> } & { [K in NullableKeys<F>]?: ValueOf<F[K]> }
>;

interface Schemas<I extends Fields, O extends Fields> {
  inputs: I;
  outputs: O;
}

/** Row form: called once per row; a throw fails only that row. */
export interface RowSpec<I extends Fields, O extends Fields> extends Schemas<I, O> {
  handler: (row: InputRow<I>) => OutputRow<O>;
  batchHandler?: never;
}

/** Batch form: called once per batch, returns one output row per input row, in order. */
export interface BatchSpec<I extends Fields, O extends Fields> extends Schemas<I, O> {
  batchHandler: (rows: InputRow<I>[]) => OutputRow<O>[];
  handler?: never;
}

export type TransformationSpec<I extends Fields, O extends Fields> = RowSpec<I, O> | BatchSpec<I, O>;

/** Marks a transformation so the runtime finds it among a module's exports (same mark across bundles). */
export const TRANSFORMATION = Symbol.for("vial.transformation");

export interface Transformation<I extends Fields = Fields, O extends Fields = Fields> {
  readonly [TRANSFORMATION]: true;
  readonly inputs: FieldSchema[];
  readonly outputs: FieldSchema[];
  readonly mode: "row" | "batch";
  /** Runs the batch in guest form (bytes as Uint8Array); per-row failures are returned as Errors. */
  readonly run: (rows: InputRow<I>[]) => Array<OutputRow<O> | Error>;
}

const toFields = (fields: Fields): FieldSchema[] =>
  Object.entries(fields).map(([name, t]) => ({ name, type: t.schema }));

export function transformation<I extends Fields, O extends Fields>(spec: TransformationSpec<I, O>): Transformation<I, O> {
  const { handler, batchHandler } = spec;
  if ((handler === undefined) === (batchHandler === undefined)) {
    throw new TypeError("transformation(): give exactly one of `handler` (per row) or `batchHandler` (per batch)");
  }
  const run = handler
    ? (rows: InputRow<I>[]) =>
        rows.map((row) => {
          try {
            return handler(row);
          } catch (error) {
            return error instanceof Error ? error : new Error(String(error));
          }
        })
    : (rows: InputRow<I>[]) => batchHandler!(rows);
  return {
    [TRANSFORMATION]: true,
    inputs: toFields(spec.inputs),
    outputs: toFields(spec.outputs),
    mode: handler ? "row" : "batch",
    run,
  };
}
