/** Checks answers against an OpenAPI 3.1 document with a JSON Schema 2020-12 validator (ajv). */
import { Ajv2020 } from "ajv/dist/2020.js";

type Doc = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
type Operation = { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } };

const ajv = new Ajv2020({ strict: false, allErrors: true });
// OpenAPI's numeric formats: annotations here, the ranges are in the schemas.
for (const format of ["int64", "double"]) ajv.addFormat(format, true);

/** The document's path template that `path` matches, and its operation for `method`. */
export function operationFor(doc: Doc, method: string, path: string): { template: string; operation: Operation } | undefined {
  for (const [template, operations] of Object.entries(doc.paths)) {
    const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, "[^/]+")}$`);
    const operation = operations[method.toLowerCase()];
    if (pattern.test(path) && operation) return { template, operation };
  }
  return undefined;
}

/** Why `value` breaks `schema` (its references resolved in `doc`), or undefined when it fits. */
export function schemaProblem(doc: Doc, schema: Record<string, unknown>, value: unknown): string | undefined {
  const validate = ajv.compile({ ...schema, components: doc.components });
  return validate(value) ? undefined : ajv.errorsText(validate.errors);
}

/** Why an answer is not one the document declares for `method path`, or undefined when it is. */
export function answerProblem(doc: Doc, method: string, path: string, status: number, contentType: string, body: unknown): string | undefined {
  const found = operationFor(doc, method, path);
  if (!found) return `${method} ${path} is not in the document`;
  const response = found.operation.responses[String(status)];
  if (!response) return `${method} ${found.template} does not declare status ${status} (declares ${Object.keys(found.operation.responses).join(", ")})`;
  const type = contentType.split(";")[0]!.trim();
  const content = response.content?.[type];
  if (!content) return `${method} ${found.template} ${status} does not declare ${type} (declares ${Object.keys(response.content ?? {}).join(", ") || "no body"})`;
  const problem = schemaProblem(doc, content.schema, body);
  return problem && `${method} ${found.template} ${status}: ${problem}`;
}

export type { Doc };
