// parseHello: envelope errors refuse the whole hello; a bad JobSpec refuses only its job, with a sentence that
// names the field's path the way the loader's author wrote it.

import assert from "node:assert/strict";
import { test } from "node:test";
import { type HelloResult, parseHello } from "../../src/protocol/hello.js";

function hello(jobs: unknown[]): unknown {
  return { protocol: "godv1", loader: { name: "backend", version: "1.4.0" }, jobs };
}

function accepted(result: HelloResult): Extract<HelloResult, { ok: true }> {
  if (!result.ok) assert.fail(`hello refused: ${result.errors.join("; ")}`);
  return result;
}

/** The message for the one refused job. */
function jobError(job: unknown, before: unknown[] = []): string {
  const result = accepted(parseHello(hello([...before, job])));
  assert.equal(result.jobErrors.length, 1, JSON.stringify(result.jobErrors));
  return result.jobErrors[0]!.message;
}

test("a good hello gives the loader and its normalized jobs", () => {
  const result = accepted(
    parseHello(
      hello([
        { name: "web", exec: ["./web"], auto: true },
        { name: "db", exec: ["postgres"] },
      ]),
    ),
  );
  assert.deepEqual(result.loader, { name: "backend", version: "1.4.0" });
  assert.deepEqual(
    result.jobs.map((j) => [j.name, j.auto, j.restart]),
    [
      ["web", true, "always"],
      ["db", false, "always"],
    ],
  );
  assert.deepEqual(result.jobErrors, []);
});

test("no version gives null; no jobs is a valid hello", () => {
  const result = accepted(parseHello({ protocol: "godv1", loader: { name: "x" }, jobs: [] }));
  assert.deepEqual(result.loader, { name: "x", version: null });
  assert.deepEqual(result.jobs, []);
});

test("exec given as a string in the second job: `jobs[1].exec: expected an array of strings`", () => {
  const result = accepted(
    parseHello(
      hello([
        { name: "a", exec: ["x"] },
        { name: "b", exec: "x" },
      ]),
    ),
  );
  assert.deepEqual(result.jobErrors, [{ name: "b", message: "jobs[1].exec: expected an array of strings" }]);
  assert.deepEqual(
    result.jobs.map((j) => j.name),
    ["a"],
    "the loader's other jobs still run",
  );
});

test("a missing name, and a name that cannot be read", () => {
  const result = accepted(parseHello(hello([{ exec: ["x"] }])));
  assert.deepEqual(result.jobErrors, [{ name: null, message: "jobs[0].name: required" }]);
  assert.equal(
    jobError({ name: "two words", exec: ["x"] }),
    'jobs[0].name: expected a string matching ^[A-Za-z0-9_.-]{1,64}$, got "two words"',
  );
  assert.match(jobError({ name: 7, exec: ["x"] }), /^jobs\[0\]\.name: expected a string/);
});

test("an unknown field is named", () => {
  assert.equal(
    jobError({ name: "a", exec: ["x"], restartPolicy: "always" }),
    "jobs[0].restartPolicy: unknown field",
  );
  assert.equal(
    jobError({ name: "a", exec: ["x"], stop: { sig: "SIGINT" } }),
    "jobs[0].stop.sig: unknown field",
  );
});

test("wrong types and values name the nested path", () => {
  assert.equal(jobError({ name: "a", exec: [] }), "jobs[0].exec: expected at least 1 item");
  assert.equal(jobError({ name: "a", exec: ["x", 1] }), "jobs[0].exec[1]: expected a string");
  assert.equal(
    jobError({ name: "a", exec: ["x"], env: { A: 1 } }),
    "jobs[0].env.A: expected a string or null",
  );
  assert.equal(
    jobError({ name: "a", exec: ["x"], restart: "sometimes" }),
    'jobs[0].restart: expected one of "always", "on-failure", "never"',
  );
  assert.equal(
    jobError({ name: "a", exec: ["x"], stop: { timeoutMs: -1 } }),
    "jobs[0].stop.timeoutMs: expected an integer >= 0, got -1",
  );
  assert.equal(jobError({ name: "a", exec: ["x"], auto: "yes" }), "jobs[0].auto: expected a boolean");
});

test("a bad signal", () => {
  assert.equal(
    jobError({ name: "a", exec: ["x"], stop: { signal: "SIGBOGUS" } }),
    'jobs[0].stop.signal: unknown signal "SIGBOGUS"',
  );
  assert.match(
    jobError({ name: "a", exec: ["x"], stop: { signal: "TERM" } }),
    /^jobs\[0\]\.stop\.signal: expected a string matching/,
  );
});

test("a bad regex in logs.redact", () => {
  assert.match(
    jobError({ name: "a", exec: ["x"], logs: { redact: ["fine", "(open"] } }),
    /^jobs\[0\]\.logs\.redact\[1\]: invalid regular expression: /,
  );
});

test("a bad listen address", () => {
  assert.equal(
    jobError({ name: "a", exec: ["x"], listen: { http: "tcp://127.0.0.1" } }),
    "jobs[0].listen.http: expected tcp://HOST:PORT or unix:PATH",
  );
  assert.equal(
    jobError({ name: "a", exec: ["x"], listen: { http: "tcp://127.0.0.1:99999" } }),
    "jobs[0].listen.http: port 99999 is out of range",
  );
  assert.match(
    jobError({ name: "a", exec: ["x"], listen: { http: "udp://h:1" } }),
    /^jobs\[0\]\.listen\.http: /,
  );
});

test("a name declared twice in one hello: the first is kept, the second refused", () => {
  const result = accepted(
    parseHello(
      hello([
        { name: "a", exec: ["one"] },
        { name: "b", exec: ["x"] },
        { name: "a", exec: ["two"] },
      ]),
    ),
  );
  assert.deepEqual(
    result.jobs.map((j) => [j.name, j.exec[0]]),
    [
      ["a", "one"],
      ["b", "x"],
    ],
  );
  assert.deepEqual(result.jobErrors, [{ name: "a", message: 'jobs[2].name: job "a" is declared twice' }]);
});

test("several problems in one job are all reported, in one message", () => {
  const message = jobError({ name: "a", exec: "x", auto: 1 });
  assert.equal(message, "jobs[0].exec: expected an array of strings; jobs[0].auto: expected a boolean");
});

test("envelope: protocol other than godv1", () => {
  assert.deepEqual(parseHello({ protocol: "godv2", loader: { name: "x" }, jobs: [] }), {
    ok: false,
    errors: ['protocol: expected "godv1"'],
  });
});

test("envelope: jobs not an array, loader missing, not an object at all", () => {
  assert.deepEqual(parseHello({ protocol: "godv1", loader: { name: "x" }, jobs: {} }), {
    ok: false,
    errors: ["jobs: expected an array"],
  });
  assert.deepEqual(parseHello({ protocol: "godv1", jobs: [] }), { ok: false, errors: ["loader: required"] });
  assert.deepEqual(parseHello({ protocol: "godv1", loader: { name: "" }, jobs: [] }), {
    ok: false,
    errors: ["loader.name: expected a non-empty string"],
  });
  assert.equal(parseHello(null).ok, false);
  assert.equal(parseHello([]).ok, false);
});

test("envelope: more than 1000 jobs", () => {
  const jobs = Array.from({ length: 1001 }, (_, i) => ({ name: `j${i}`, exec: ["x"] }));
  assert.deepEqual(parseHello(hello(jobs)), { ok: false, errors: ["jobs: expected at most 1000 items"] });
  assert.equal(accepted(parseHello(hello(jobs.slice(0, 1000)))).jobs.length, 1000);
});
