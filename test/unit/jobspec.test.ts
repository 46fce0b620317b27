// The JobSpec: every default of SPEC 3.1 as normalizeJobSpec fills it, the schema on valid and invalid specs,
// and the semantic checks the schema cannot make (signals, regexes, listen addresses).

import assert from "node:assert/strict";
import { test } from "node:test";
import { Value } from "@sinclair/typebox/value";
import {
  addressProblem,
  type JobConfig,
  type JobSpec,
  normalizeJobSpec,
  semanticErrors,
} from "../../src/protocol/jobspec.js";
import { JobSpecSchema } from "../../src/protocol/schema-definitions.js";

const FULL: JobSpec = {
  name: "api",
  exec: ["node", "server.js"],
  env: { NODE_ENV: "production", DEBUG: null },
  cwd: "/srv/api",
  auto: true,
  after: ["db"],
  restart: "on-failure",
  backoff: { initialMs: 250, maxMs: 5000, factor: 3, resetAfterMs: 60_000 },
  maxRestarts: { count: 5, windowMs: 60_000 },
  check: {
    intervalMs: 1000,
    timeoutMs: 500,
    failures: 2,
    graceMs: 0,
    probe: { http: { url: "http://127.0.0.1:8080/health", status: [200, 299] } },
  },
  stop: { signal: "SIGINT", timeoutMs: 3000 },
  listen: { http: "tcp://127.0.0.1:8080", admin: "unix:/run/api.sock" },
  reload: "restart",
  logs: { timestamps: false, format: "json", redact: ["token=\\S+"], maxLineBytes: 4096, merge: true },
  events: ["running", "exited", "failed"],
};

test("a minimal spec gets every default of SPEC 3.1", () => {
  const expected: JobConfig = {
    name: "web",
    exec: ["./web"],
    env: {},
    cwd: null,
    auto: false,
    after: [],
    restart: "always",
    backoff: { initialMs: 100, maxMs: 30_000, factor: 2, resetAfterMs: 10_000 },
    maxRestarts: null,
    check: null,
    stop: { signal: "SIGTERM", timeoutMs: 10_000 },
    listen: {},
    reload: "restart",
    logs: { timestamps: true, format: "text", redact: [], maxLineBytes: 65_536, merge: false },
    events: [],
    instances: 1,
    ready: null,
    readyTimeoutMs: null,
    watchdogMs: null,
    maxMemory: null,
    cron: null,
    watch: null,
  };
  assert.deepEqual(normalizeJobSpec({ name: "web", exec: ["./web"] }), expected);
});

test("an empty check object gets the check defaults; null and absent mean no check", () => {
  assert.deepEqual(normalizeJobSpec({ name: "a", exec: ["x"], check: {} }).check, {
    intervalMs: 5000,
    timeoutMs: 2000,
    failures: 3,
    graceMs: 30_000,
    probe: null,
  });
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"], check: null }).check, null);
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"] }).check, null);
});

test("partial objects are completed field by field", () => {
  const config = normalizeJobSpec({
    name: "a",
    exec: ["x"],
    backoff: { maxMs: 1000 },
    check: { failures: 1 },
    stop: { timeoutMs: 0 },
    logs: { merge: true },
  });
  assert.deepEqual(config.backoff, { initialMs: 100, maxMs: 1000, factor: 2, resetAfterMs: 10_000 });
  assert.deepEqual(config.check, {
    intervalMs: 5000,
    timeoutMs: 2000,
    failures: 1,
    graceMs: 30_000,
    probe: null,
  });
  assert.deepEqual(config.stop, { signal: "SIGTERM", timeoutMs: 0 });
  assert.deepEqual(config.logs, {
    timestamps: true,
    format: "text",
    redact: [],
    maxLineBytes: 65_536,
    merge: true,
  });
});

test('reload defaults to "replace" only when the job listens, and an explicit value wins', () => {
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"] }).reload, "restart");
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"], listen: {} }).reload, "restart");
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"], listen: { http: "tcp://:80" } }).reload, "replace");
  assert.equal(
    normalizeJobSpec({ name: "a", exec: ["x"], listen: { http: "tcp://:80" }, reload: "restart" }).reload,
    "restart",
  );
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"], reload: "replace" }).reload, "replace");
});

test("every field given is kept as given", () => {
  const config = normalizeJobSpec(FULL);
  assert.deepEqual(config, {
    ...FULL,
    check: { ...FULL.check!, probe: FULL.check!.probe },
    instances: 1,
    ready: null,
    readyTimeoutMs: null,
    watchdogMs: null,
    maxMemory: null,
    cron: null,
    watch: null,
  } as unknown as JobConfig);
});

test("the config does not share arrays or objects with the spec", () => {
  const spec: JobSpec = structuredClone(FULL);
  const config = normalizeJobSpec(spec);
  spec.exec.push("--more");
  spec.after!.push("other");
  spec.env!["X"] = "1";
  spec.listen!["extra"] = "tcp://:1";
  spec.logs!.redact!.push("x");
  spec.events!.push("stopped");
  assert.deepEqual(config.exec, ["node", "server.js"]);
  assert.deepEqual(config.after, ["db"]);
  assert.equal(config.env["X"], undefined);
  assert.equal(config.listen["extra"], undefined);
  assert.deepEqual(config.logs.redact, ["token=\\S+"]);
  assert.deepEqual(config.events, ["running", "exited", "failed"]);
});

test("the schema accepts the full example and each probe kind", () => {
  assert.ok(Value.Check(JobSpecSchema, FULL));
  for (const probe of [
    { http: { url: "https://example.com/" } },
    { tcp: { host: "127.0.0.1", port: 5432 } },
    { exec: ["pg_isready", "-q"] },
  ]) {
    assert.ok(
      Value.Check(JobSpecSchema, { name: "a", exec: ["x"], check: { probe } }),
      JSON.stringify(probe),
    );
  }
});

test("the schema refuses wrong specs", () => {
  const bad: unknown[] = [
    { name: "a" },
    { exec: ["x"] },
    { name: "a", exec: [] },
    { name: "a", exec: "x" },
    { name: "has space", exec: ["x"] },
    { name: "x".repeat(65), exec: ["x"] },
    { name: "a", exec: ["x"], unknown: 1 },
    { name: "a", exec: ["x"], restart: "sometimes" },
    { name: "a", exec: ["x"], env: { A: 1 } },
    { name: "a", exec: ["x"], backoff: { factor: 0.5 } },
    { name: "a", exec: ["x"], check: { intervalMs: 0 } },
    { name: "a", exec: ["x"], check: { probe: { http: { url: "ftp://x" } } } },
    { name: "a", exec: ["x"], check: { probe: { http: { url: "http://x", status: [200] } } } },
    { name: "a", exec: ["x"], check: { probe: { tcp: { host: "h", port: 70000 } } } },
    { name: "a", exec: ["x"], stop: { signal: "TERM" } },
    { name: "a", exec: ["x"], listen: { http: "http://x" } },
    { name: "a", exec: ["x"], events: ["up"] },
    { name: "a", exec: ["x"], logs: { maxLineBytes: 10 } },
    { name: "a", exec: ["x"], maxRestarts: { count: 1 } },
  ];
  for (const spec of bad) assert.equal(Value.Check(JobSpecSchema, spec), false, JSON.stringify(spec));
});

test("semantic errors: unknown signal, invalid regex, malformed listen address, with path suffixes", () => {
  assert.deepEqual(semanticErrors(FULL), []);
  assert.deepEqual(
    semanticErrors({
      name: "a",
      exec: ["x"],
      stop: { signal: "SIGNOPE" },
      logs: { redact: ["ok", "(unclosed"] },
      listen: { http: "tcp://host", sock: "unix:" },
    }).map(([path, message]) => [path, message.replace(/: .*/, "")]),
    [
      [".stop.signal", 'unknown signal "SIGNOPE"'],
      [".logs.redact[1]", "invalid regular expression"],
      [".listen.http", "expected tcp://HOST:PORT or unix:PATH"],
      [".listen.sock", "expected unix:PATH"],
    ],
  );
});

test("listen addresses", () => {
  for (const ok of [
    "tcp://127.0.0.1:8080",
    "tcp://localhost:0",
    "tcp://[::1]:443",
    "unix:/run/x.sock",
    "unix:x",
  ]) {
    assert.equal(addressProblem(ok), null, ok);
  }
  assert.equal(addressProblem("tcp://127.0.0.1:65536"), "port 65536 is out of range");
  for (const bad of [
    "tcp://127.0.0.1",
    "tcp://:80:90",
    "tcp://h:123456",
    "udp://h:1",
    "unix:",
    "127.0.0.1:80",
  ]) {
    assert.notEqual(addressProblem(bad), null, bad);
  }
});

test("the fields of instances, readiness and rules are normalized: sizes to bytes, cron and watch to objects", () => {
  const config = normalizeJobSpec({
    name: "a",
    exec: ["x"],
    instances: "max",
    ready: { fd: 4 },
    readyTimeoutMs: 5000,
    maxMemory: "1.5G",
    cron: "0 3 * * *",
    watch: { paths: ["src"] },
  });
  assert.equal(config.instances, "max");
  assert.deepEqual(config.ready, { fd: 4 });
  assert.equal(config.readyTimeoutMs, 5000);
  assert.equal(config.maxMemory, 1.5 * 1024 ** 3);
  assert.deepEqual(config.cron, { schedule: "0 3 * * *", timeZone: null });
  assert.deepEqual(config.watch, { paths: ["src"], ignore: [], debounceMs: 500 });
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"], maxMemory: "300M" }).maxMemory, 300 * 1024 * 1024);
  assert.equal(normalizeJobSpec({ name: "a", exec: ["x"], maxMemory: 4096 }).maxMemory, 4096);
  assert.deepEqual(
    normalizeJobSpec({ name: "a", exec: ["x"], cron: { schedule: "@daily", timeZone: "Europe/Paris" } }).cron,
    { schedule: "@daily", timeZone: "Europe/Paris" },
  );
});

test("what the schema cannot check: a ready fd that a listening socket takes, a watchdog without notify, a cron that never fires", () => {
  const errors = semanticErrors({
    name: "a",
    exec: ["x"],
    listen: { http: "tcp://127.0.0.1:80" },
    ready: { fd: 3 },
    watchdogMs: 1000,
    cron: "0 0 30 2 *",
  });
  assert.deepEqual(
    errors.map(([path]) => path),
    [".ready.fd", ".watchdogMs", ".cron"],
  );
  assert.match(errors[0]![1], /fd 3 is taken by a listening socket \(fds 3 to 3\); use 4 or higher/);
  assert.match(errors[2]![1], /never fires/);
});
