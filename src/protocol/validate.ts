// Checks a value against one of the protocol's schemas (plain JSON Schema objects generated from the TypeBox
// definitions) and says what is wrong in sentences that name the field's path the way a loader author writes
// it: `jobs[1].exec: expected an array of strings`. It knows the keywords those schemas use, nothing more.

export interface JsonSchema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean" | "null";
  properties?: Record<string, JsonSchema>;
  required?: readonly string[];
  additionalProperties?: boolean;
  patternProperties?: Record<string, JsonSchema>;
  items?: JsonSchema | readonly JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  const?: unknown;
  anyOf?: readonly JsonSchema[];
}

/** `/jobs/1/exec` under base `` becomes `jobs[1].exec`. */
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
export function describeSchema(schema: JsonSchema): string {
  if (schema.anyOf) {
    const options = schema.anyOf.map(describeSchema);
    if (options.every((o) => o.startsWith('"'))) return `one of ${options.join(", ")}`;
    return options.join(" or ");
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  switch (schema.type) {
    case "string":
      return schema.pattern ? `a string matching ${schema.pattern}` : "a string";
    case "integer":
      return "an integer" + rangeText(schema);
    case "number":
      return "a number" + rangeText(schema);
    case "boolean":
      return "a boolean";
    case "null":
      return "null";
    case "array": {
      if (Array.isArray(schema.items)) return `an array of ${schema.items.length} items`;
      const items = schema.items as JsonSchema | undefined;
      if (items?.type === "string" && items.const === undefined) {
        return items.pattern ? `an array of strings matching ${items.pattern}` : "an array of strings";
      }
      return "an array";
    }
    case "object":
      return "an object";
    default:
      return "a valid value";
  }
}

function rangeText(schema: JsonSchema): string {
  const { minimum: min, maximum: max } = schema;
  if (min !== undefined && max !== undefined && max < 2_147_483_647) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` >= ${min}`;
  return "";
}

type Problem = { pointer: string; message: string };

const patterns = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = patterns.get(pattern);
  if (!re) {
    re = new RegExp(pattern, "u");
    patterns.set(pattern, re);
  }
  return re;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function matchesType(schema: JsonSchema, value: unknown): boolean {
  switch (schema.type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "string":
      return typeof value === "string";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    default:
      return true;
  }
}

function expected(schema: JsonSchema, value: unknown, withValue = false): string {
  return `expected ${describeSchema(schema)}${withValue ? `, got ${JSON.stringify(value)}` : ""}`;
}

/** Appends the problems of `value` at `pointer`; returns whether there were none. */
function check(schema: JsonSchema, value: unknown, pointer: string, out: Problem[]): boolean {
  const before = out.length;
  if (schema.anyOf) {
    if (schema.anyOf.some((member) => check(member, value, pointer, []))) return true;
    // `null or an object` given an object: the problem is inside the object, so name the field within it.
    const objects = schema.anyOf.filter((member) => member.type === "object");
    const only = objects.length === 1 ? objects[0] : undefined;
    if (only && isObject(value)) return check(only, value, pointer, out);
    out.push({ pointer, message: expected(schema, value) });
    return false;
  }
  if (!matchesType(schema, value)) {
    out.push({ pointer, message: expected(schema, value) });
    return false;
  }
  if (schema.const !== undefined && value !== schema.const) {
    out.push({ pointer, message: expected(schema, value) });
    return false;
  }
  if (typeof value === "string") {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      out.push({
        pointer,
        message: schema.minLength === 1 ? "expected a non-empty string" : expected(schema, value),
      });
    } else if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      out.push({ pointer, message: `expected at most ${schema.maxLength} characters` });
    } else if (schema.pattern !== undefined && !regex(schema.pattern).test(value)) {
      out.push({
        pointer,
        message: `expected a string matching ${schema.pattern}, got ${JSON.stringify(value)}`,
      });
    }
  } else if (typeof value === "number") {
    if (
      (schema.minimum !== undefined && value < schema.minimum) ||
      (schema.maximum !== undefined && value > schema.maximum)
    ) {
      out.push({ pointer, message: expected(schema, value, true) });
    }
  } else if (Array.isArray(value)) {
    checkArray(schema, value, pointer, out);
  } else if (isObject(value)) {
    checkObject(schema, value, pointer, out);
  }
  return out.length === before;
}

function checkArray(schema: JsonSchema, value: unknown[], pointer: string, out: Problem[]): void {
  if (Array.isArray(schema.items)) {
    if (value.length !== schema.items.length) {
      out.push({ pointer, message: expected(schema, value) });
      return;
    }
    schema.items.forEach((item: JsonSchema, i: number) => {
      check(item, value[i], `${pointer}/${i}`, out);
    });
    return;
  }
  if (schema.minItems !== undefined && value.length < schema.minItems) {
    out.push({
      pointer,
      message: `expected at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`,
    });
  }
  if (schema.maxItems !== undefined && value.length > schema.maxItems) {
    out.push({ pointer, message: `expected at most ${schema.maxItems} items` });
  }
  const items = schema.items as JsonSchema | undefined;
  if (items) {
    value.forEach((item, i) => {
      check(items, item, `${pointer}/${i}`, out);
    });
  }
}

function checkObject(
  schema: JsonSchema,
  value: Record<string, unknown>,
  pointer: string,
  out: Problem[],
): void {
  const pointerKey = (key: string) => key.replace(/~/g, "~0").replace(/\//g, "~1");
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  for (const [key, sub] of Object.entries(properties)) {
    if (!Object.hasOwn(value, key) || value[key] === undefined) {
      if (required.has(key)) out.push({ pointer: `${pointer}/${pointerKey(key)}`, message: "required" });
      continue;
    }
    check(sub, value[key], `${pointer}/${pointerKey(key)}`, out);
  }
  const patterned = Object.entries(schema.patternProperties ?? {});
  for (const key of Object.keys(value)) {
    if (Object.hasOwn(properties, key)) continue;
    const match = patterned.find(([pattern]) => regex(pattern).test(key));
    if (match) check(match[1], value[key], `${pointer}/${pointerKey(key)}`, out);
    else if (schema.additionalProperties === false) {
      out.push({ pointer: `${pointer}/${pointerKey(key)}`, message: "unknown field" });
    }
  }
}

/** Every problem of `value` against `schema`, one sentence per field path, in document order (at most 20). */
export function schemaErrors(schema: JsonSchema, value: unknown, base: string): string[] {
  const problems: Problem[] = [];
  check(schema, value, "", problems);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const { pointer, message } of problems) {
    const path = formatPath(base, pointer);
    if (seen.has(path)) continue;
    seen.add(path);
    out.push(`${path}: ${message}`);
    if (out.length >= 20) break;
  }
  return out;
}
