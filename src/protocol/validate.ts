// Turns TypeBox validation errors into sentences that name the field's path the way a loader author writes
// it: `jobs[1].exec: expected an array of strings`.

import { Kind, type TSchema } from "@sinclair/typebox";
import { ValueErrorType } from "@sinclair/typebox/errors";
import { Value } from "@sinclair/typebox/value";

/** `/jobs/1/exec` under base `hello` becomes `jobs[1].exec` (base `` gives no leading dot). */
export function formatPath(base: string, pointer: string): string {
  let out = base;
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out === "" ? "(root)" : out;
}

/** What a value of this schema looks like, for "expected ..." messages. */
export function describeSchema(schema: TSchema): string {
  switch (schema[Kind]) {
    case "String":
      return schema["pattern"] ? `a string matching ${schema["pattern"]}` : "a string";
    case "Integer":
      return "an integer" + rangeText(schema);
    case "Number":
      return "a number" + rangeText(schema);
    case "Boolean":
      return "a boolean";
    case "Null":
      return "null";
    case "Literal":
      return JSON.stringify(schema["const"]);
    case "Array": {
      const items = schema["items"] as TSchema | undefined;
      if (items && items[Kind] === "String" && !items["pattern"]) return "an array of strings";
      if (items && items[Kind] === "String") return `an array of strings matching ${items["pattern"]}`;
      return "an array";
    }
    case "Tuple":
      return `an array of ${(schema["items"] as TSchema[] | undefined)?.length ?? 0} items`;
    case "Union": {
      const options = (schema["anyOf"] as TSchema[]).map(describeSchema);
      if (options.every((o) => o.startsWith('"'))) return `one of ${options.join(", ")}`;
      return options.join(" or ");
    }
    case "Object":
    case "Record":
      return "an object";
    default:
      return "a valid value";
  }
}

function rangeText(schema: TSchema): string {
  const min = schema["minimum"] as number | undefined;
  const max = schema["maximum"] as number | undefined;
  if (min !== undefined && max !== undefined && max < 2_147_483_647) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  return "";
}

function sentence(type: ValueErrorType, schema: TSchema, value: unknown): string {
  switch (type) {
    case ValueErrorType.ObjectRequiredProperty:
      return "required";
    case ValueErrorType.ObjectAdditionalProperties:
      return "unknown field";
    case ValueErrorType.ArrayMinItems:
      return `expected at least ${schema["minItems"]} item${schema["minItems"] === 1 ? "" : "s"}`;
    case ValueErrorType.ArrayMaxItems:
      return `expected at most ${schema["maxItems"]} items`;
    case ValueErrorType.StringMinLength:
      return "expected a non-empty string";
    case ValueErrorType.StringPattern:
      return `expected a string matching ${schema["pattern"]}, got ${JSON.stringify(value)}`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMinimum:
    case ValueErrorType.NumberMaximum:
      return `expected ${describeSchema(schema)}, got ${JSON.stringify(value)}`;
    default:
      return `expected ${describeSchema(schema)}`;
  }
}

/** The one object member of a union, when the value is an object (a plain object, not an array). */
function objectMember(schema: TSchema, value: unknown): TSchema | null {
  if (schema[Kind] !== "Union" || typeof value !== "object" || value === null || Array.isArray(value))
    return null;
  const objects = (schema["anyOf"] as TSchema[]).filter((s) => s[Kind] === "Object");
  return objects.length === 1 ? (objects[0] ?? null) : null;
}

/** Every problem of `value` against `schema`, one sentence per field path, in document order. */
export function schemaErrors(schema: TSchema, value: unknown, base: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const error of Value.Errors(schema, value)) {
    const path = formatPath(base, error.path);
    if (seen.has(path)) continue;
    seen.add(path);
    // `null or an object` given an object: the problem is inside the object, so name the field within it.
    const member = objectMember(error.schema, error.value);
    if (member) {
      out.push(...schemaErrors(member, error.value, path === "(root)" ? "" : path));
    } else {
      out.push(`${path}: ${sentence(error.type, error.schema, error.value)}`);
    }
    if (out.length >= 20) break;
  }
  return out.slice(0, 20);
}
