// The legacy dialect without a process: the answers' meanings (auto, env, check, stop), the one-at-a-time queue
// and its timeout, the hello synthesized from the load questions (errors read like a native hello's), exec, env
// and onStart asked (and awaited) before a spawn, onExit after an exit, onRun and onDegrade, and check answers
// that order another job (`@OTHER`) or god (`@newLoaders`).

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  LEGACY_EVENTS,
  LEGACY_NEXT_MS,
  LEGACY_NO_CHECK_NEXT_MS,
  LegacyDialect,
  legacyAuto,
  legacyCheckAnswer,
  legacyEnv,
  legacyStopPlan,
  parseGreeting,
  parseWords,
} from "../../src/process/legacy-dialect.js";
import type { CheckResult } from "../../src/protocol/check-result.js";
import type { JobEventParams } from "../../src/protocol/job-event.js";
import type { JobConfig } from "../../src/protocol/jobspec.js";

/** The check result of an answer that is one (not an order for another job or for god). */
function legacyCheckResult(words: string[]): CheckResult {
  const answer = legacyCheckAnswer(words);
  assert.equal(answer.type, "result", JSON.stringify(words));
  return answer.type === "result" ? answer.result : { status: "fail", message: null, nextMs: null };
}

const TARGET = { pid: 4242, instance: 1, index: 0 };

/** A dialect whose loader is a table: each question written is answered from `answer` on the next tick. */
function scripted(answer: (words: string[]) => unknown) {
  const asked: string[][] = [];
  const broken: string[] = [];
  const malformed: string[] = [];
  const forwarded: Array<{ job: string; words: string[] }> = [];
  let newLoaders = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const dialect: LegacyDialect = new LegacyDialect({
    path: "/etc/god/old",
    write: (line) => {
      const words = JSON.parse(line) as string[];
      asked.push(words);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const reply = answer(words);
      if (reply === undefined) return; // never answers
      setImmediate(() => {
        inFlight--;
        dialect.handleLine(typeof reply === "string" ? reply : JSON.stringify(reply));
      });
    },
    broken: (reason) => {
      broken.push(reason);
      dialect.close(reason);
    },
    malformed: (problem) => malformed.push(problem),
    forward: (job, words) => forwarded.push({ job, words }),
    newLoaders: () => newLoaders++,
  });
  return {
    dialect,
    asked,
    broken,
    malformed,
    forwarded,
    newLoaders: () => newLoaders,
    maxInFlight: () => maxInFlight,
  };
}

test("words: arrays of strings, null as empty, numbers as text, anything else refused", () => {
  assert.deepEqual(parseWords('["ok","500"]'), { ok: true, value: ["ok", "500"] });
  assert.deepEqual(parseWords("null"), { ok: true, value: [] });
  assert.deepEqual(parseWords('["ok",500]'), { ok: true, value: ["ok", "500"] });
  assert.equal(parseWords('{"a":1}').ok, false);
  assert.equal(parseWords('["ok",{}]').ok, false);
  assert.equal(parseWords("nope").ok, false);
});

test("the greeting names the jobs after godv1", () => {
  assert.deepEqual(parseGreeting('["godv1","db","web"]'), { ok: true, value: ["db", "web"] });
  assert.deepEqual(parseGreeting('["godv1"]'), { ok: true, value: [] });
  const wrong = parseGreeting('["godv2","db"]');
  assert.equal(wrong.ok, false);
  assert.match(wrong.ok ? "" : wrong.message, /must start with "godv1"/);
});

test("auto: true starts with god, a list is `after`, empty, null and false are manual", () => {
  assert.deepEqual(legacyAuto(["true"]), { auto: true, after: [] });
  assert.deepEqual(legacyAuto(["db", "cache"]), { auto: true, after: ["db", "cache"] });
  assert.deepEqual(legacyAuto([]), { auto: false, after: [] });
  assert.deepEqual(legacyAuto(["false"]), { auto: false, after: [] });
});

test("env: KEY=VALUE overrides; an empty list means no overrides, not an empty environment", () => {
  assert.deepEqual(legacyEnv(["A=1", "B=x=y", "C="]), { env: { A: "1", B: "x=y", C: "" }, errors: [] });
  assert.deepEqual(legacyEnv([]), { env: {}, errors: [] });
  assert.deepEqual(legacyEnv(["NOEQUALS", "=v"]).errors, [
    '[0]: expected "KEY=VALUE", got "NOEQUALS"',
    '[1]: expected "KEY=VALUE", got "=v"',
  ]);
});

test("check answers: ok and degrade with the next delay, fail and stop, [] for no check", () => {
  assert.deepEqual(legacyCheckResult(["ok"]), { status: "ok", message: null, nextMs: LEGACY_NEXT_MS });
  assert.deepEqual(legacyCheckResult(["ok", "250"]), { status: "ok", message: null, nextMs: 250 });
  assert.deepEqual(legacyCheckResult(["ok", "soon"]), {
    status: "ok",
    message: null,
    nextMs: LEGACY_NEXT_MS,
  });
  assert.deepEqual(legacyCheckResult(["degrade", "50"]), {
    status: "degraded",
    message: 'the loader answered ["degrade","50"]',
    nextMs: 50,
  });
  assert.equal(legacyCheckResult(["fail"]).status, "fail");
  assert.equal(legacyCheckResult(["stop"]).status, "fail");
  assert.match(
    legacyCheckResult(["maybe"]).message ?? "",
    /expected "ok", "degrade", "fail", "stop", \[\] or "@JOB"/,
  );
  const none = legacyCheckAnswer([]);
  assert.equal(none.type === "result" && none.result.status, "ok");
  assert.equal(none.type === "result" && none.result.nextMs, LEGACY_NO_CHECK_NEXT_MS);
  assert.equal(none.type === "result" && none.noCheck, true, "[] means no check: a one-shot when it exits 0");
});

test("check answers for another job or for god are orders, not verdicts", () => {
  assert.deepEqual(legacyCheckAnswer(["@db", "restart", "now"]), {
    type: "forward",
    job: "db",
    words: ["db", "restart", "now"],
  });
  assert.deepEqual(legacyCheckAnswer(["@newLoaders"]), { type: "newLoaders" });
});

test("the stop question: [] lets god stop it; [MS] means the loader does, god kills after MS (5000 if not a number)", () => {
  assert.deepEqual(legacyStopPlan([]), { by: "god" });
  assert.deepEqual(legacyStopPlan(["1500"]), { by: "loader", killAfterMs: 1500 });
  assert.deepEqual(legacyStopPlan(["soon"]), { by: "loader", killAfterMs: 5000 });
});

test("a check that forwards or reloads loaders is skipped, and the order is carried out", async () => {
  const { dialect, forwarded, newLoaders } = scripted(([job]) =>
    job === "web" ? ["@db", "restart"] : ["@newLoaders"],
  );
  assert.deepEqual(await dialect.check("web", TARGET, 1000), { type: "skip", nextMs: LEGACY_NEXT_MS });
  assert.deepEqual(forwarded, [{ job: "db", words: ["db", "restart"] }]);
  assert.deepEqual(await dialect.check("db", TARGET, 1000), { type: "skip", nextMs: LEGACY_NEXT_MS });
  assert.equal(newLoaders(), 1);
});

test("stopPlan asks [job, stop, PID]", async () => {
  const { dialect, asked } = scripted(() => ["2000"]);
  assert.deepEqual(await dialect.stopPlan("web", 4242), { by: "loader", killAfterMs: 2000 });
  assert.deepEqual(asked, [["web", "stop", "4242"]]);
});

test("load asks auto, exec and env of each job, one question at a time, and validates like a hello", async () => {
  const { dialect, asked, maxInFlight } = scripted(([job, what]) => {
    if (what === "auto") return job === "db" ? ["true"] : job === "web" ? ["db"] : null;
    if (what === "exec") return job === "broken" ? [] : ["sleep", "1000"];
    if (what === "env") return job === "web" ? ["PORT=8080"] : [];
    return [];
  });
  const hello = await dialect.load(["db", "web", "broken", "bad name"]);
  assert.ok(hello.ok);
  assert.equal(maxInFlight(), 1, "never more than one question outstanding");
  assert.deepEqual(asked.slice(0, 3), [
    ["db", "auto"],
    ["db", "exec"],
    ["db", "env"],
  ]);
  assert.equal(asked.length, 12);
  assert.deepEqual(hello.loader, { name: "old", version: null });
  const [db, web] = hello.jobs;
  assert.deepEqual(
    hello.jobs.map((j) => j.name),
    ["db", "web"],
  );
  assert.equal(db?.auto, true);
  assert.deepEqual(web?.after, ["db"]);
  assert.deepEqual(web?.env, { PORT: "8080" });
  assert.deepEqual(db?.env, {});
  assert.ok(db?.check && db.check.probe === null, "a loader check, so the loader stays resident");
  assert.deepEqual(db?.events, [...LEGACY_EVENTS]);
  const messages = hello.jobErrors.map((e) => e.message).join("\n");
  assert.match(messages, /^jobs\[2\]\.exec: /m);
  assert.match(messages, /^jobs\[3\]\.name: /m);
});

test("a bad env entry rejects that job at load with the entry's path", async () => {
  const { dialect } = scripted(([, what]) => (what === "env" ? ["GOOD=1", "BAD"] : ["x"]));
  const hello = await dialect.load(["db"]);
  assert.ok(hello.ok);
  assert.deepEqual(hello.jobs, []);
  assert.deepEqual(hello.jobErrors, [
    { name: "db", message: 'jobs[0].env[1]: expected "KEY=VALUE", got "BAD"' },
  ]);
});

test("an unanswered question breaks the stream: it times out, the rest fail as closed", async () => {
  const { dialect, broken } = scripted(([job]) => (job === "slow" ? undefined : ["ok"]));
  const slow = dialect.check("slow", TARGET, 50);
  const queued = dialect.check("fast", TARGET, 50);
  const later = dialect.ask(["fast", "exec"]);
  assert.deepEqual(await slow, {
    type: "result",
    result: {
      status: "fail",
      message: "check timed out after 50 ms; the legacy loader is restarted",
      nextMs: null,
    },
    noCheck: false,
  });
  assert.deepEqual(
    await queued,
    { type: "skip", nextMs: null },
    "a check cut off by the broken stream is skipped, not failed",
  );
  await assert.rejects(later, /did not answer \["slow","check"\] within 50 ms/);
  assert.deepEqual(broken, ['did not answer ["slow","check"] within 50 ms']);
});

test("a line nobody asked for, or an invalid answer, is malformed", async () => {
  const { dialect, malformed } = scripted(() => "not json");
  dialect.handleLine('["ok"]');
  const verdict = await dialect.check("db", TARGET, 1000);
  const result = verdict.type === "result" ? verdict.result : null;
  assert.equal(result?.status, "fail");
  assert.match(result?.message ?? "", /invalid answer to \["db","check"\]/);
  assert.equal(malformed.length, 2);
  assert.match(malformed[0]!, /god had asked nothing/);
});

const config = { name: "web", exec: ["old"], env: { OLD: "1" } } as unknown as JobConfig;

test("before a spawn exec and env are asked again and replace the spec's, then onStart is awaited", async () => {
  const { dialect, asked } = scripted(([, what]) => (what === "exec" ? ["./web", "--fast"] : ["A=2"]));
  const prepared = await dialect.prepareSpawn(config);
  assert.deepEqual(asked, [
    ["web", "exec"],
    ["web", "env"],
    ["web", "onStart"],
  ]);
  assert.ok(prepared.ok);
  assert.deepEqual(prepared.config.exec, ["./web", "--fast"]);
  assert.deepEqual(prepared.config.env, { A: "2" });
});

test("an empty exec fails the start with a sentence; a loader that cannot answer leaves the last spec", async () => {
  const empty = await scripted(() => []).dialect.prepareSpawn(config);
  assert.equal(empty.ok, false);
  assert.match(empty.ok ? "" : empty.message, /answered \[\] to \["web","exec"\]; it must name the program/);
  const silent = scripted(() => undefined).dialect;
  silent.close("loader exited");
  assert.deepEqual(await silent.prepareSpawn(config), { ok: true, config });
});

test("events: onRun, onDegrade; onExit once per process that got onStart, before the next start's questions", async () => {
  const { dialect, asked } = scripted(([, what]) => (what === "exec" ? ["sleep", "1"] : []));
  const event = (state: string): JobEventParams => ({ job: "db", instance: 1, index: 0, state, at: "" });
  dialect.exited("db", 3); // an exit with no onStart before it (a process of a previous loader): no onExit
  await dialect.prepareSpawn({ ...config, name: "db" });
  dialect.stateChanged(event("running"));
  dialect.stateChanged(event("degraded"));
  dialect.stateChanged(event("backoff"));
  dialect.exited("db", 7);
  dialect.exited("db", 7); // the same exit reported twice: one onExit
  await dialect.prepareSpawn({ ...config, name: "db" });
  dialect.exited("db", null); // killed by a signal
  await dialect.ask(["db", "sync"]);
  assert.deepEqual(asked, [
    ["db", "exec"],
    ["db", "env"],
    ["db", "onStart"],
    ["db", "onRun"],
    ["db", "onDegrade"],
    ["db", "onExit", "7"],
    ["db", "exec"],
    ["db", "env"],
    ["db", "onStart"],
    ["db", "onExit", "-1"],
    ["db", "sync"],
  ]);
});
