// Writes the JSON Schemas published for loader authors in other languages, docs/jobspec.schema.json and
// docs/protocol.schema.json, from the compiled TypeBox definitions god itself validates with, so the two cannot
// drift (test/unit/schema-doc.test.ts regenerates them and compares).
// Usage: node scripts/gen-schema.mjs [DIST [OUTDIR]]   (DIST defaults to dist, OUTDIR to the repo's docs/)

import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Type } from "@sinclair/typebox";

export const DIALECT = "https://json-schema.org/draft/2020-12/schema";
export const JOBSPEC_ID = "https://watchgod.dev/schema/jobspec.json";
export const PROTOCOL_ID = "https://watchgod.dev/schema/protocol.json";

/** Keys in this order first, the rest as TypeBox emits them: readable and deterministic. */
const KEY_ORDER = [
  "$schema",
  "$id",
  "title",
  "description",
  "type",
  "const",
  "pattern",
  "format",
  "minLength",
  "maxLength",
  "minimum",
  "maximum",
  "minItems",
  "maxItems",
  "required",
  "properties",
  "patternProperties",
  "additionalProperties",
  "prefixItems",
  "items",
  "anyOf",
  "not",
  "$ref",
  "$defs",
];

/**
 * A plain JSON copy of a TypeBox schema in draft 2020-12 form: TypeBox's symbol keys dropped, its draft-07
 * tuples (`items: [...]`, `additionalItems`) rewritten as `prefixItems`, and its short `$id`s removed (the
 * published documents carry their own).
 */
export function toDraft2020(node) {
  if (Array.isArray(node)) return node.map(toDraft2020);
  if (node === null || typeof node !== "object") return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === "$id") continue; // the published documents set their own
    if (key === "items" && Array.isArray(value)) {
      out.prefixItems = value.map(toDraft2020);
      if (node.additionalItems === false) out.items = false;
    } else if (key === "additionalItems") {
      if (!Array.isArray(node.items)) out.additionalItems = toDraft2020(value);
    } else {
      out[key] = toDraft2020(value);
    }
  }
  const ordered = {};
  for (const key of KEY_ORDER) if (key in out) ordered[key] = out[key];
  for (const key of Object.keys(out)) if (!(key in ordered)) ordered[key] = out[key];
  return ordered;
}

const ref = (name) => Type.Unsafe({ $ref: `#/$defs/${name}` });
const literals = (values, options = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    options,
  );

/** The loader-protocol messages beside the two schemas that live in src/protocol/. */
function messageSchemas(jobStates, jobNamePattern) {
  const JobName = Type.String({ pattern: jobNamePattern, description: "a job name" });
  const Id = Type.Union([Type.Number(), Type.String()], {
    description: "chosen by the sender, unique among its requests in flight; the answer carries it back",
  });
  const Version = Type.Literal("2.0");
  const Request = Type.Object(
    { jsonrpc: Version, id: Id, method: Type.String(), params: Type.Optional(Type.Unknown()) },
    {
      description: "a JSON-RPC 2.0 request: the other side must answer it with a Result or an ErrorResponse",
    },
  );
  const Notification = Type.Object(
    { jsonrpc: Version, method: Type.String(), params: Type.Optional(Type.Unknown()) },
    { description: "a JSON-RPC 2.0 notification: no id, never answered", not: { required: ["id"] } },
  );
  const ErrorObject = Type.Object(
    {
      code: Type.Integer({ description: "a code of docs/errors.md" }),
      message: Type.String({ description: "one sentence naming the cause" }),
      data: Type.Optional(Type.Unknown()),
    },
    { description: "the JSON-RPC 2.0 error object" },
  );
  const Result = Type.Object(
    { jsonrpc: Version, id: Id, result: Type.Unknown() },
    { description: "a successful answer to the request with the same id" },
  );
  const ErrorResponse = Type.Object(
    {
      jsonrpc: Version,
      id: Type.Union([Id, Type.Null()], { description: "null when the request's id could not be read" }),
      error: ref("ErrorObject"),
    },
    { description: "a failed answer to the request with the same id" },
  );
  const CheckParams = Type.Object(
    {
      job: JobName,
      pid: Type.Integer({ minimum: 1, description: "the instance's process id" }),
      instance: Type.Integer({ minimum: 1, description: "the instance's number (1, 2, ...)" }),
    },
    { description: "god to loader, request `check`: is this instance of the job healthy?" },
  );
  const CheckResult = Type.Object(
    {
      status: literals(["ok", "degraded", "fail"]),
      message: Type.Optional(
        Type.String({ description: "shown in status and logs; god keeps 1000 characters" }),
      ),
      nextMs: Type.Optional(
        Type.Integer({
          minimum: 0,
          maximum: 86_400_000,
          description: "when to check next instead of intervalMs",
        }),
      ),
    },
    { description: "the answer to `check`" },
  );
  const EventParams = Type.Object(
    {
      job: JobName,
      instance: Type.Integer({ minimum: 0, description: "the instance's number (0 before the first)" }),
      pid: Type.Optional(Type.Integer({ minimum: 1, description: "present while an instance is alive" })),
      state: literals(jobStates, { description: "the state the job entered" }),
      exitCode: Type.Optional(Type.Union([Type.Integer(), Type.Null()], { description: "after an exit" })),
      signal: Type.Optional(
        Type.Union([Type.String(), Type.Null()], { description: "after an exit by signal" }),
      ),
      at: Type.String({ format: "date-time", description: "ISO 8601 time of the change" }),
    },
    { description: "god to loader, notification `event`: a job entered a state named in its `events`" },
  );
  const JobActionParams = Type.Object(
    {
      job: JobName,
      reason: Type.Optional(Type.String({ description: "logged by god with the action" })),
    },
    {
      description: "loader to god, requests `start`, `stop`, `restart`, `reload`: act on one of its own jobs",
    },
  );
  const JobActionResult = Type.Object({}, { description: "the answer to start, stop, restart and reload" });
  const LogParams = Type.Object(
    {
      level: literals(["debug", "info", "warn", "error"], {
        description: "god keeps warn and error and logs anything else as info",
      }),
      message: Type.String(),
    },
    { description: "loader to god, notification `log`: a line for god's log, under the loader's name" },
  );
  const message = (kind, method, params, description) =>
    Type.Object(
      {
        jsonrpc: Version,
        ...(kind === "request" ? { id: Id } : {}),
        method: typeof method === "string" ? Type.Literal(method) : literals(method),
        params: ref(params),
      },
      kind === "request" ? { description } : { description, not: { required: ["id"] } },
    );
  return {
    Request,
    Notification,
    Result,
    ErrorResponse,
    ErrorObject,
    Hello: message(
      "notification",
      "hello",
      "HelloParams",
      "loader to god, the first line: the loader's jobs",
    ),
    CheckRequest: message("request", "check", "CheckParams", "god to loader"),
    CheckResult,
    EventNotification: message("notification", "event", "EventParams", "god to loader"),
    JobActionRequest: message(
      "request",
      ["start", "stop", "restart", "reload"],
      "JobActionParams",
      "loader to god; the answer's result is {}",
    ),
    JobActionResult,
    LogNotification: message("notification", "log", "LogParams", "loader to god"),
    CheckParams,
    EventParams,
    JobActionParams,
    LogParams,
  };
}

function text(value) {
  return JSON.stringify(value, null, 2) + "\n";
}

/** The two documents' text, keyed by file name; `distDir` holds the compiled `src/` (default `dist`). */
export async function generateSchemas(distDir = "dist") {
  const load = (path) => import(pathToFileURL(resolve(distDir, path)).href);
  const { JobSpecSchema, HelloSchema } = await load("src/protocol/schema-definitions.js");
  const { JOB_NAME_PATTERN } = await load("src/protocol/jobspec.js");
  const { JOB_STATES } = await load("src/protocol/states.js");

  const jobSpec = toDraft2020(JobSpecSchema);
  const jobspecDoc = {
    $schema: DIALECT,
    $id: JOBSPEC_ID,
    title: "watchgod JobSpec",
    description:
      "One job a loader declares in its hello (docs/protocol.md). Durations are integers of milliseconds. " +
      "god also checks what a schema cannot: stop.signal must be a signal of the host, logs.redact entries valid " +
      "regular expressions, listen values tcp://HOST:PORT or unix:PATH.",
    ...jobSpec,
  };

  const hello = toDraft2020({
    ...HelloSchema,
    description:
      "loader to god, the params of the `hello` notification; god refuses the hello when these fields are wrong, " +
      "and refuses only the job concerned when one JobSpec is",
  });
  hello.properties.jobs = { ...hello.properties.jobs, items: { $ref: "#/$defs/JobSpec" } };
  const defs = { JobSpec: jobSpec, HelloParams: hello };
  for (const [name, schema] of Object.entries(messageSchemas(JOB_STATES, JOB_NAME_PATTERN))) {
    defs[name] = toDraft2020(schema);
  }
  const protocolDoc = {
    $schema: DIALECT,
    $id: PROTOCOL_ID,
    title: "watchgod loader protocol godv1, native dialect",
    description:
      "Every line either side sends is one of these JSON-RPC 2.0 messages (docs/protocol.md). A Result's " +
      "`result` is the CheckResult or JobActionResult of the request with that id.",
    anyOf: [
      "Hello",
      "CheckRequest",
      "EventNotification",
      "JobActionRequest",
      "LogNotification",
      "Result",
      "ErrorResponse",
    ].map((name) => ({ $ref: `#/$defs/${name}` })),
    $defs: defs,
  };
  return { "jobspec.schema.json": text(jobspecDoc), "protocol.schema.json": text(protocolDoc) };
}

const RUNTIME_KEYWORDS = new Set([
  "type",
  "properties",
  "required",
  "additionalProperties",
  "patternProperties",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "minimum",
  "maximum",
  "const",
  "anyOf",
]);

/** A schema with only the keywords src/protocol/validate.ts checks (and in the order TypeBox wrote them). */
function runtimeSchema(node) {
  if (Array.isArray(node)) return node.map(runtimeSchema);
  if (typeof node !== "object" || node === null) return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (!RUNTIME_KEYWORDS.has(key)) continue;
    if (key === "properties" || key === "patternProperties") {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, runtimeSchema(v)]));
    } else {
      out[key] = runtimeSchema(value);
    }
  }
  return out;
}

/** src/protocol/schemas.generated.ts: the schemas god validates with at run time, without TypeBox. */
export async function generateRuntimeSchemas(distDir = "dist") {
  const load = (path) => import(pathToFileURL(resolve(distDir, path)).href);
  const { JobSpecSchema, HelloSchema } = await load("src/protocol/schema-definitions.js");
  const json = (schema) => JSON.stringify(runtimeSchema(schema), null, 2);
  return [
    "// Generated by scripts/gen-schema.mjs from schema-definitions.ts (`npm run schema`); do not edit.",
    "// test/unit/schema-doc.test.ts fails when this file and the definitions disagree.",
    "",
    'import type { JsonSchema } from "./validate.js";',
    "",
    `export const JOBSPEC_SCHEMA: JsonSchema = ${json(JobSpecSchema)};`,
    "",
    `export const HELLO_SCHEMA: JsonSchema = ${json(HelloSchema)};`,
    "",
  ].join("\n");
}

const invokedAsScript =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedAsScript) {
  const distDir = process.argv[2] ?? "dist";
  const outDir = process.argv[3] ?? fileURLToPath(new URL("../docs/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  for (const [name, content] of Object.entries(await generateSchemas(distDir))) {
    writeFileSync(join(outDir, name), content);
    console.log(`wrote ${join(outDir, name)}`);
  }
  const runtime = fileURLToPath(new URL("../src/protocol/schemas.generated.ts", import.meta.url));
  writeFileSync(runtime, await generateRuntimeSchemas(distDir));
  console.log(`wrote ${runtime}`);
}
