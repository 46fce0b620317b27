// The published JSON Schemas and docs/protocol.md cannot drift from the code: the schemas are regenerated from
// the compiled TypeBox definitions and compared with the committed files, and the examples in protocol.md (the
// full JobSpec, the session transcript, the Python loader) are checked against the parsers god runs.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Value } from "@sinclair/typebox/value";
import { parseHello } from "../../src/protocol/hello.js";
import { type JobSpec, semanticErrors } from "../../src/protocol/jobspec.js";
import { parseRpcLine, type RpcId } from "../../src/protocol/jsonrpc.js";
import { JobSpecSchema } from "../../src/protocol/schema-definitions.js";

type Json = Record<string, unknown>;
type Generator = { generateSchemas: (distDir: string) => Promise<Record<string, string>> };

const DIST = fileURLToPath(new URL("../../", import.meta.url));
const repo = (path: string) => join(process.cwd(), path);
const read = (path: string) => readFileSync(repo(path), "utf8");
const PROTOCOL_MD = read("docs/protocol.md");

async function generated(): Promise<Record<string, string>> {
  const script = (await import(pathToFileURL(repo("scripts/gen-schema.mjs")).href)) as Generator;
  return script.generateSchemas(DIST);
}

/** The fenced blocks of a markdown text with this info string. */
function blocks(markdown: string, lang: string): string[] {
  const out: string[] = [];
  const pattern = new RegExp("^```" + lang + "\\n([\\s\\S]*?)^```$", "gm");
  for (let m = pattern.exec(markdown); m !== null; m = pattern.exec(markdown)) out.push(m[1]!);
  return out;
}

/** Every `$ref` in a JSON document. */
function refs(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) refs(item, out);
  else if (node !== null && typeof node === "object") {
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") out.push(value);
      else refs(value, out);
    }
  }
  return out;
}

test("docs/*.schema.json are what scripts/gen-schema.mjs generates (run it after changing a schema)", async () => {
  const files = await generated();
  assert.deepEqual(Object.keys(files).sort(), ["jobspec.schema.json", "protocol.schema.json"]);
  for (const [name, text] of Object.entries(files)) {
    assert.equal(read(`docs/${name}`), text, `docs/${name} is stale: run \`node scripts/gen-schema.mjs\``);
  }
});

test("generation is deterministic", async () => {
  assert.deepEqual(await generated(), await generated());
});

test("docs/jobspec.schema.json: a draft 2020-12 document of the JobSpec", () => {
  const doc = JSON.parse(read("docs/jobspec.schema.json")) as Json;
  assert.equal(doc["$schema"], "https://json-schema.org/draft/2020-12/schema");
  assert.equal(doc["$id"], "https://watchgod.dev/schema/jobspec.json");
  assert.equal(typeof doc["title"], "string");
  assert.equal(doc["type"], "object");
  assert.equal(doc["additionalProperties"], false);
  assert.deepEqual(doc["required"], ["name", "exec"]);
  assert.deepEqual(Object.keys(doc["properties"] as Json), Object.keys(JobSpecSchema.properties));
  const text = JSON.stringify(doc);
  assert.ok(!text.includes('"additionalItems"'), "draft-07 tuples are rewritten as prefixItems");
  assert.ok(text.includes('"prefixItems"'));
});

test("docs/protocol.schema.json: every message, and every $ref resolves", () => {
  const doc = JSON.parse(read("docs/protocol.schema.json")) as Json;
  assert.equal(doc["$schema"], "https://json-schema.org/draft/2020-12/schema");
  assert.equal(doc["$id"], "https://watchgod.dev/schema/protocol.json");
  const defs = doc["$defs"] as Json;
  for (const name of [
    "JobSpec",
    "HelloParams",
    "Hello",
    "CheckRequest",
    "CheckParams",
    "CheckResult",
    "EventNotification",
    "EventParams",
    "JobActionRequest",
    "JobActionParams",
    "JobActionResult",
    "LogNotification",
    "LogParams",
    "Request",
    "Notification",
    "Result",
    "ErrorResponse",
    "ErrorObject",
  ]) {
    assert.ok(name in defs, `$defs.${name}`);
  }
  const all = refs(doc);
  assert.ok(all.length > 0);
  for (const ref of all) {
    assert.match(ref, /^#\/\$defs\/\w+$/);
    assert.ok(ref.slice("#/$defs/".length) in defs, `${ref} does not resolve`);
  }
  const hello = defs["HelloParams"] as { properties: { jobs: { items: unknown } } };
  assert.deepEqual(hello.properties.jobs.items, { $ref: "#/$defs/JobSpec" });
  const jobspec = JSON.parse(read("docs/jobspec.schema.json")) as Json;
  const { $schema: _s, $id: _i, title: _t, description: _d, ...body } = jobspec;
  assert.deepEqual(defs["JobSpec"], body, "the protocol's JobSpec is the published one");
  const check = defs["CheckResult"] as { properties: { status: unknown } };
  assert.deepEqual(JSON.stringify(check.properties.status).match(/"const":"(\w+)"/g), [
    '"const":"ok"',
    '"const":"degraded"',
    '"const":"fail"',
  ]);
});

test("the full JobSpec example of protocol.md is valid; broken copies are not", () => {
  const examples = blocks(PROTOCOL_MD, "json").map((b) => JSON.parse(b) as unknown);
  const full = examples.find((e) => typeof e === "object" && e !== null && "exec" in e) as
    | JobSpec
    | undefined;
  assert.ok(full, "protocol.md has a JobSpec example");
  assert.deepEqual(
    Object.keys(full).sort(),
    Object.keys(JobSpecSchema.properties).sort(),
    "it gives every field",
  );
  assert.ok(Value.Check(JobSpecSchema, full));
  assert.deepEqual(semanticErrors(full), []);
  assert.equal(Value.Check(JobSpecSchema, { ...full, exec: "node server.js" }), false);
  assert.equal(Value.Check(JobSpecSchema, { ...full, restart: "sometimes" }), false);
  assert.equal(Value.Check(JobSpecSchema, { ...full, extra: true }), false);
  const { name: _n, ...nameless } = full;
  assert.equal(Value.Check(JobSpecSchema, nameless), false);
});

test("the JobSpec table of protocol.md lists exactly the schema's fields", () => {
  const section = PROTOCOL_MD.slice(
    PROTOCOL_MD.indexOf("## The JobSpec"),
    PROTOCOL_MD.indexOf("## Validation errors"),
  );
  const fields = [...section.matchAll(/^\| `([\w.]+)` \|/gm)].map((m) => m[1]!);
  const expected = [...Object.keys(JobSpecSchema.properties), "check.probe"];
  assert.deepEqual([...fields].sort(), expected.sort());
});

test("the session transcript of protocol.md: valid messages, answers to the other side's requests", () => {
  const transcript = blocks(PROTOCOL_MD, "text").find((b) => b.includes('"method":"hello"'));
  assert.ok(transcript, "protocol.md has a transcript");
  const asked: Record<"->" | "<-", Set<RpcId>> = { "->": new Set(), "<-": new Set() };
  let lines = 0;
  for (const line of transcript.split("\n")) {
    const m = /^(->|<-) (.*)$/.exec(line);
    if (!m) {
      assert.ok(line === "" || line.startsWith("#"), `neither a message nor a comment: ${line}`);
      continue;
    }
    lines++;
    const direction = m[1] as "->" | "<-";
    const other = direction === "->" ? "<-" : "->";
    const message = parseRpcLine(m[2]!);
    assert.notEqual(message.type, "invalid", line);
    if (lines === 1) {
      assert.equal(direction, "<-", "the loader speaks first");
      assert.ok(message.type === "notification" && message.method === "hello", "with its hello");
      const hello = parseHello(message.params);
      assert.ok(hello.ok && hello.jobErrors.length === 0, JSON.stringify(hello));
    }
    if (message.type === "request") {
      assert.ok(!asked[direction].has(message.id), `id ${message.id} reused while in flight`);
      asked[direction].add(message.id);
    }
    if (message.type === "result" || message.type === "error") {
      assert.ok(
        message.id !== null && asked[other].delete(message.id),
        `answer to an unknown request: ${line}`,
      );
    }
  }
  assert.ok(lines >= 10);
  assert.deepEqual([...asked["->"], ...asked["<-"]], [], "every request is answered");
});

test("the Python loader in protocol.md is examples/other-languages/loader.py", () => {
  const inline = blocks(PROTOCOL_MD, "python");
  assert.equal(inline.length, 1);
  assert.equal(inline[0], read("examples/other-languages/loader.py"));
});

test("the run-time schemas (src/protocol/schemas.generated.ts) are generated from the definitions", async () => {
  const script = (await import(pathToFileURL(repo("scripts/gen-schema.mjs")).href)) as {
    generateRuntimeSchemas: (distDir: string) => Promise<string>;
  };
  assert.equal(read("src/protocol/schemas.generated.ts"), await script.generateRuntimeSchemas(DIST));
});
