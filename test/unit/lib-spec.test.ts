// job() options to the wire JobSpec: the library's names and duration strings map to the JobSpec's fields, only
// what was set is sent, and mistakes throw a TypeError naming the job and the option.

import assert from "node:assert/strict";
import { test } from "node:test";
import { job } from "../../src/lib/job.js";
import { command, http, tcp } from "../../src/lib/probes.js";
import { toJobSpec } from "../../src/lib/spec.js";
import { parseHello } from "../../src/protocol/hello.js";
import type { JobSpec } from "../../src/protocol/jobspec.js";

test("every option maps to its JobSpec field", () => {
  const j = job("spec-full", {
    exec: ["node", "server.js"],
    env: { A: "1", B: null },
    cwd: "/srv/app",
    auto: true,
    after: ["db"],
    restart: "on-failure",
    backoff: { initial: "200ms", max: "1m", factor: 3, resetAfter: "10s" },
    maxRestarts: { count: 5, window: "1m" },
    check: { every: "2s", timeout: "1.5s", failures: 2, grace: "30s", run: () => "ok" },
    stop: { signal: "SIGINT", timeout: "5s" },
    listen: { http: "tcp://127.0.0.1:8080" },
    reload: "replace",
    logs: { format: "json", merge: true },
    events: ["running", "exited"],
    onEvent: () => {},
  });
  // The assignment is the compile-time half of the check: the library's wire shape is a JobSpec.
  const spec: JobSpec = toJobSpec(j);
  assert.deepEqual(spec, {
    name: "spec-full",
    exec: ["node", "server.js"],
    env: { A: "1", B: null },
    cwd: "/srv/app",
    auto: true,
    after: ["db"],
    restart: "on-failure",
    backoff: { initialMs: 200, maxMs: 60_000, factor: 3, resetAfterMs: 10_000 },
    maxRestarts: { count: 5, windowMs: 60_000 },
    check: { intervalMs: 2000, timeoutMs: 1500, failures: 2, graceMs: 30_000 },
    stop: { signal: "SIGINT", timeoutMs: 5000 },
    listen: { http: "tcp://127.0.0.1:8080" },
    reload: "replace",
    logs: { format: "json", merge: true },
    events: ["running", "exited"],
  });
});

test("only the fields that were set are sent", () => {
  assert.deepEqual(toJobSpec(job("spec-min", { exec: ["true"] })), { name: "spec-min", exec: ["true"] });
  assert.deepEqual(toJobSpec(job("spec-undef", { exec: ["true"], cwd: undefined, check: undefined })), {
    name: "spec-undef",
    exec: ["true"],
  });
  assert.deepEqual(toJobSpec(job("spec-null", { exec: ["true"], check: null, maxRestarts: null })), {
    name: "spec-null",
    exec: ["true"],
    check: null,
    maxRestarts: null,
  });
});

test("the original's style: assign to the job object, a function check gets the default timing", () => {
  const j = job("spec-mutable");
  assert.equal(j.name, "spec-mutable");
  j.auto = true;
  j.exec = ["postgres", "-D", "data"];
  j.check = () => "ok";
  assert.deepEqual(toJobSpec(j), {
    name: "spec-mutable",
    exec: ["postgres", "-D", "data"],
    auto: true,
    check: {},
  });
  assert.throws(() => {
    (j as { name: string }).name = "renamed";
  }, TypeError);
});

test("the JobSpec's own names are accepted for durations, as numbers or strings", () => {
  const j = job("spec-ms-names", {
    exec: ["x"],
    backoff: { initialMs: 50, maxMs: 1000, resetAfterMs: 0 },
    check: { intervalMs: 100, timeoutMs: 50, graceMs: 0, run: () => true },
    stop: { timeoutMs: 0 },
    maxRestarts: { count: 0, windowMs: 1000 },
  });
  assert.deepEqual(toJobSpec(j), {
    name: "spec-ms-names",
    exec: ["x"],
    backoff: { initialMs: 50, maxMs: 1000, resetAfterMs: 0 },
    maxRestarts: { count: 0, windowMs: 1000 },
    check: { intervalMs: 100, timeoutMs: 50, graceMs: 0 },
    stop: { timeoutMs: 0 },
  });
});

test("probe helpers build the wire probes", () => {
  assert.deepEqual(http("http://127.0.0.1:8080/health"), { http: { url: "http://127.0.0.1:8080/health" } });
  assert.deepEqual(http("https://example.test/", { status: [200, 204] }), {
    http: { url: "https://example.test/", status: [200, 204] },
  });
  assert.deepEqual(tcp("127.0.0.1", 5432), { tcp: { host: "127.0.0.1", port: 5432 } });
  assert.deepEqual(command(["pg_isready", "-q"]), { exec: ["pg_isready", "-q"] });
  const j = job("spec-probe", { exec: ["x"], check: { every: "2s", probe: http("http://127.0.0.1:1/") } });
  assert.deepEqual(toJobSpec(j).check, { intervalMs: 2000, probe: { http: { url: "http://127.0.0.1:1/" } } });

  assert.throws(() => http("ftp://x"), { name: "TypeError", message: /http\(\): expected an http/ });
  assert.throws(() => http("http://x", { status: [400, 200] }), /status/);
  assert.throws(() => tcp("", 1), /tcp\(\): expected a host/);
  assert.throws(() => tcp("h", 70000), /port from 1 to 65535/);
  assert.throws(() => command([]), /command\(\): expected a non-empty array/);
});

test("a hello built from the library passes god's validation", () => {
  const jobs = [
    job("spec-hello-a", {
      exec: ["a"],
      check: { every: "1s", probe: tcp("127.0.0.1", 80) },
      backoff: { initial: "1s" },
      events: ["failed"],
    }),
    job("spec-hello-b", {
      exec: ["b"],
      after: ["spec-hello-a"],
      check: () => "ok",
      stop: { signal: "SIGQUIT" },
    }),
    job("spec-hello-c", {
      exec: ["c"],
      check: { probe: command(["true"]) },
      listen: { web: "unix:/tmp/x.sock" },
    }),
  ].map(toJobSpec);
  const result = parseHello(JSON.parse(JSON.stringify({ protocol: "godv1", loader: { name: "t" }, jobs })));
  assert.ok(result.ok, JSON.stringify(result));
  assert.deepEqual(result.jobErrors, []);
  assert.deepEqual(
    result.jobs.map((j) => j.name),
    ["spec-hello-a", "spec-hello-b", "spec-hello-c"],
  );
});

test("invalid and duplicate names are refused at job()", () => {
  for (const bad of ["", "has space", "a/b", "x".repeat(65), "é"]) {
    assert.throws(() => job(bad), { name: "TypeError", message: /a job name is 1 to 64 characters/ }, bad);
  }
  job("spec-dup");
  assert.throws(() => job("spec-dup"), {
    name: "TypeError",
    message: 'job "spec-dup": declared twice; job names must be unique',
  });
});

test("mistakes in options name the job and the option", () => {
  const cases: Array<[string, object, RegExp]> = [
    [
      "bad-every",
      { check: { every: "5 sec", run: () => "ok" } },
      /^job "bad-every": check\.every: expected .*got "5 sec"$/,
    ],
    ["bad-timeout", { stop: { timeout: "soon" } }, /^job "bad-timeout": stop\.timeout: expected/],
    ["bad-initial", { backoff: { initial: -5 } }, /^job "bad-initial": backoff\.initial: expected/],
    [
      "bad-window",
      { maxRestarts: { count: 1, window: "0s" } },
      /^job "bad-window": maxRestarts\.window: must be at least 1 ms/,
    ],
    ["no-window", { maxRestarts: { count: 1 } }, /^job "no-window": maxRestarts\.window: required/],
    [
      "both-names",
      { backoff: { max: "1s", maxMs: 1000 } },
      /^job "both-names": backoff\.max: give max or maxMs, not both/,
    ],
    ["zero-every", { check: { every: 0, run: () => "ok" } }, /check\.every: must be at least 1 ms/],
    [
      "bad-failures",
      { check: { failures: 0, run: () => "ok" } },
      /check\.failures: expected an integer from 1 to 1000/,
    ],
    [
      "run-and-probe",
      { check: { run: () => "ok", probe: tcp("h", 1) } },
      /check: give run .* or probe .*, not both/,
    ],
    ["bad-check", { check: "yes" }, /^job "bad-check": check: expected a function, an object/],
    ["typo", { exce: ["x"] }, /^job "typo": exce: unknown option; expected one of exec, env/],
    [
      "check-typo",
      { check: { evry: "1s", run: () => "ok" } },
      /^job "check-typo": check\.evry: unknown option/,
    ],
    ["bad-exec", { exec: "node server.js" }, /^job "bad-exec": exec: expected a non-empty array of strings/],
    ["empty-exec", { exec: [] }, /exec: expected a non-empty array/],
    ["bad-auto", { auto: "yes" }, /^job "bad-auto": auto: expected a boolean, got "yes"/],
    ["bad-on-event", { onEvent: "x" }, /onEvent: expected a function/],
    ["with-name", { name: "other" }, /^job "with-name": name: unknown option/],
  ];
  for (const [name, options, message] of cases) {
    assert.throws(() => job(name, options as never), { name: "TypeError", message }, name);
  }
});

test("what can only be checked once the job is complete is checked by toJobSpec (init)", () => {
  assert.throws(() => toJobSpec(job("spec-no-exec")), {
    name: "TypeError",
    message: /^job "spec-no-exec": exec: required/,
  });
  const j = job("spec-empty-check", { exec: ["x"], check: { every: "1s" } });
  assert.throws(() => toJobSpec(j), /^TypeError: job "spec-empty-check": check: needs run .* or probe/);
  const k = job("spec-later", { exec: ["x"] });
  k.check = { every: "later" as "1s", run: () => "ok" };
  assert.throws(() => toJobSpec(k), /^TypeError: job "spec-later": check\.every: expected/);
});
