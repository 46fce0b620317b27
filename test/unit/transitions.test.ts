// The instance state machine, purely: a walk over every state x event pair (several models, events and
// policies each) checks that the next state is one the table declares, then the behaviours of SPEC 6, 3.2 and 11
// one by one.

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type Effect,
  INSTANCE_EVENT_TYPES,
  type InstanceEvent,
  type InstanceEventType,
} from "../../src/core/instance-events.js";
import {
  type Candidate,
  type InstanceModel,
  type InstanceState,
  initialInstance,
  type Proc,
} from "../../src/core/instance-state.js";
import { type InstancePolicy, policyOf } from "../../src/core/policy.js";
import { type Outcome, TABLE, transition } from "../../src/core/transitions.js";
import { type JobConfig, type JobSpec, normalizeJobSpec } from "../../src/protocol/jobspec.js";
import { JOB_STATES, type JobStateName } from "../../src/protocol/states.js";

const NOW = 1_000_000;

function policy(spec: Partial<JobSpec> = {}, extra: Partial<JobConfig> = {}, legacy = false): InstancePolicy {
  return policyOf({ ...normalizeJobSpec({ name: "t", exec: ["x"], check: {}, ...spec }), ...extra }, legacy);
}

const deps = { ready: true, reason: null };
const start: InstanceEvent = { type: "start", cmd: 1, deps };
const stop: InstanceEvent = { type: "stop", cmd: 1 };
const restart: InstanceEvent = { type: "restart", cmd: 1, deps };
const reload: InstanceEvent = { type: "reload", cmd: 1, deps, why: "god reload" };
const spawned = (run: number, pid: number): InstanceEvent => ({ type: "spawned", run, pid });
const exit = (run: number, code: number | null, signal: string | null = null): InstanceEvent => ({
  type: "exit",
  run,
  code,
  signal,
});
const check = (
  run: number,
  status: "ok" | "degraded" | "fail",
  message: string | null = null,
  noCheck = false,
): InstanceEvent => ({ type: "check", run, status, message, nextMs: null, ...(noCheck ? { noCheck } : {}) });

/** Feeds events one by one, keeping the model and the last effects. */
function driver(p: InstancePolicy, model: InstanceModel = initialInstance(0)) {
  let current = model;
  let effects: Effect[] = [];
  return {
    get model() {
      return current;
    },
    get effects() {
      return effects;
    },
    get state() {
      return current.state;
    },
    send(e: InstanceEvent, nowMs: number) {
      const out = transition(current, e, p, nowMs);
      current = out.model;
      effects = out.effects;
      return out;
    },
  };
}

/** The effects of a kind, for assertions that do not care about the cancels around them. */
const only = (effects: Effect[], ...types: Effect["type"][]) => effects.filter((e) => types.includes(e.type));

// ---- the walk: every state x event pair ----

const PROC: Proc = { run: 3, pid: 4242, spawnedAtMs: NOW - 60_000, adopted: false };
const SPAWNING: Proc = { ...PROC, pid: null };
const CANDIDATE: Proc = { run: 4, pid: 6000, spawnedAtMs: NOW - 100, adopted: false };
const candidate = (pid: number | null): Candidate => ({ ...CANDIDATE, pid, lastCheck: null });

function model(state: InstanceState, patch: Partial<InstanceModel> = {}): InstanceModel {
  return {
    ...initialInstance(0),
    want: "up",
    run: 3,
    restarts: 2,
    attempt: 1,
    restartTimesMs: [NOW - 1000],
    state,
    ...patch,
  };
}

const live = (
  type: "running" | "degraded",
  readyAtMs: number,
  failures = 0,
  candidate: Candidate | null = null,
): InstanceState => ({ type, proc: PROC, readyAtMs, failures, candidate, oneShot: false });

const SAMPLES: Record<JobStateName, Array<[string, InstanceModel]>> = {
  waiting: [
    ["want up", model({ type: "waiting", reason: "waiting for db" })],
    ["want down", model({ type: "waiting", reason: null }, { want: "down" })],
  ],
  starting: [
    ["spawning", model({ type: "starting", proc: SPAWNING, failures: 0 })],
    ["in grace", model({ type: "starting", proc: { ...PROC, spawnedAtMs: NOW - 100 }, failures: 0 })],
    ["past grace, 2 fails", model({ type: "starting", proc: PROC, failures: 2 })],
  ],
  running: [
    ["ready long ago", model(live("running", NOW - 50_000))],
    ["ready just now, 2 fails", model(live("running", NOW - 100, 2))],
    ["reloading, candidate spawning", model(live("running", NOW - 50_000, 0, candidate(null)), { run: 4 })],
    ["reloading, candidate up", model(live("running", NOW - 50_000, 0, candidate(6000)), { run: 4 })],
  ],
  degraded: [
    ["ready long ago", model(live("degraded", NOW - 50_000))],
    ["ready just now, 2 fails", model(live("degraded", NOW - 100, 2))],
    ["reloading, candidate spawning", model(live("degraded", NOW - 50_000, 0, candidate(null)), { run: 4 })],
    ["reloading, candidate up", model(live("degraded", NOW - 50_000, 0, candidate(6000)), { run: 4 })],
  ],
  stopping: [
    [
      "then stopped",
      model({ type: "stopping", proc: PROC, next: "stopped", readyAtMs: NOW - 50_000 }, { want: "down" }),
    ],
    ["then start", model({ type: "stopping", proc: PROC, next: "start", readyAtMs: null })],
    [
      "then failed",
      model({ type: "stopping", proc: PROC, next: "failed", readyAtMs: null }, { note: "too many" }),
    ],
    ["then recover", model({ type: "stopping", proc: PROC, next: "recover", readyAtMs: null })],
    ["still spawning", model({ type: "stopping", proc: SPAWNING, next: "stopped", readyAtMs: null })],
  ],
  stopped: [["want down", model({ type: "stopped" }, { want: "down" })]],
  backoff: [
    [
      "after an exit",
      model({ type: "backoff", delayMs: 200, untilMs: NOW + 200, reason: "exited with code 1" }),
    ],
  ],
  exited: [["code 0", model({ type: "exited", code: 0, signal: null })]],
  failed: [["too many restarts", model({ type: "failed", reason: "more than 1 restarts within 60000 ms" })]],
};

const EVENTS: Record<InstanceEventType, InstanceEvent[]> = {
  start: [start, { type: "start", cmd: 1, deps: { ready: false, reason: "waiting for db" } }],
  stop: [stop],
  restart: [restart, { type: "restart", cmd: 1, deps: { ready: false, reason: "waiting for db" } }],
  reload: [reload, { type: "reload", cmd: 1, deps: { ready: false, reason: "waiting for db" }, why: "x" }],
  depsReady: [{ type: "depsReady" }],
  spawned: [spawned(3, 5000), spawned(4, 6001), spawned(9, 7000)],
  spawnFailed: [
    { type: "spawnFailed", run: 3, message: "spawn ./x ENOENT" },
    { type: "spawnFailed", run: 4, message: "spawn ./x ENOENT" },
  ],
  exit: [exit(3, 0), exit(3, 1), exit(3, null, "SIGKILL"), exit(2, 1), exit(4, 1)],
  check: [
    check(3, "ok"),
    check(3, "degraded"),
    check(3, "fail", "502"),
    check(2, "fail", "stale"),
    check(4, "ok"),
    check(4, "fail"),
    check(3, "ok", null, true),
  ],
  checkSkipped: [
    { type: "checkSkipped", run: 3, nextMs: null },
    { type: "checkSkipped", run: 4, nextMs: 1000 },
  ],
  ready: [
    { type: "ready", run: 3 },
    { type: "ready", run: 4 },
  ],
  readyTimeout: [
    { type: "readyTimeout", run: 3 },
    { type: "readyTimeout", run: 4 },
  ],
  statusText: [
    { type: "statusText", run: 3, text: "warming the cache" },
    { type: "statusText", run: 4, text: "new one" },
  ],
  watchdog: [
    { type: "watchdog", run: 3 },
    { type: "watchdog", run: 2 },
  ],
  watchdogTimeout: [
    { type: "watchdogTimeout", run: 3 },
    { type: "watchdogTimeout", run: 2 },
  ],
  extendTimeout: [
    { type: "extendTimeout", run: 3, ms: 5000 },
    { type: "extendTimeout", run: 4, ms: 5000 },
  ],
  backoffElapsed: [{ type: "backoffElapsed" }],
  adopt: [
    { type: "adopt", cmd: 1, run: 7, pid: 9000, spawnedAtMs: NOW - 90_000, ready: true },
    { type: "adopt", cmd: 1, run: 7, pid: 9000, spawnedAtMs: NOW - 90_000, ready: false },
  ],
};

const POLICIES: Array<[string, InstancePolicy]> = [
  ["always", policy()],
  ["on-failure", policy({ restart: "on-failure" })],
  ["never", policy({ restart: "never" })],
  ["maxRestarts 1", policy({ maxRestarts: { count: 1, windowMs: 60_000 } })],
  ["no backoff delay", policy({ backoff: { initialMs: 0 } })],
  ["no check", policy({ check: null })],
  ["ready by notify", policy({}, { ready: "notify" })],
  [
    "notify with a watchdog, one failure",
    policy({ check: { failures: 1 } }, { ready: "notify", watchdogMs: 1000 }),
  ],
  ["legacy", policy({}, {}, true)],
  ["reload by restart", policy({ reload: "restart" })],
  ["reload by replace", policy({ reload: "replace" })],
];

type Case = {
  label: string;
  from: JobStateName;
  event: InstanceEventType;
  to: JobStateName;
  declared: boolean;
};

function walk(from: JobStateName, event: InstanceEventType): Case[] {
  const declared: readonly JobStateName[] = TABLE[from][event].to;
  const cases: Case[] = [];
  for (const [sampleLabel, sample] of SAMPLES[from]) {
    assert.equal(sample.state.type, from);
    for (const e of EVENTS[event]) {
      for (const [policyLabel, p] of POLICIES) {
        const to = transition(sample, e, p, NOW).model.state.type;
        const label = `${from} (${sampleLabel}) + ${JSON.stringify(e)} under ${policyLabel} -> ${to}`;
        cases.push({ label, from, event, to, declared: declared.includes(to) });
      }
    }
  }
  return cases;
}

test("the walk covers all 9 states and all 18 events", () => {
  assert.equal(JOB_STATES.length, 9);
  assert.equal(INSTANCE_EVENT_TYPES.length, 18);
  for (const s of JOB_STATES)
    assert.deepEqual(Object.keys(TABLE[s]).sort(), [...INSTANCE_EVENT_TYPES].sort());
});

for (const from of JOB_STATES) {
  for (const event of INSTANCE_EVENT_TYPES) {
    test(`${from} x ${event}: the next state is within the rule's \`to\``, () => {
      const unexpected = walk(from, event)
        .filter((c) => !c.declared)
        .map((c) => c.label);
      assert.deepEqual(unexpected, []);
    });
  }
}

test("every arrow the table declares happens in some case (no arrow of the diagram is unreachable)", () => {
  const reached = new Set(
    JOB_STATES.flatMap((s) => INSTANCE_EVENT_TYPES.flatMap((e) => walk(s, e))).map(
      (c) => `${c.from} ${c.event} ${c.to}`,
    ),
  );
  const unreached: string[] = [];
  for (const s of JOB_STATES) {
    for (const e of INSTANCE_EVENT_TYPES) {
      for (const to of TABLE[s][e].to)
        if (to !== s && !reached.has(`${s} ${e} ${to}`)) unreached.push(`${s} ${e} ${to}`);
    }
  }
  assert.deepEqual(unreached, []);
});

// ---- starting ----

test("start from stopped asks for process 1 (starting, no pid yet); spawned gives it its pid and its first check", () => {
  const job = driver(policy({ check: { intervalMs: 5000, timeoutMs: 700 } }));
  job.send(start, 0);
  assert.deepEqual(job.effects, [{ type: "spawn", run: 1 }]);
  assert.deepEqual(job.state, {
    type: "starting",
    proc: { run: 1, pid: null, spawnedAtMs: 0, adopted: false },
    failures: 0,
  });
  assert.equal(job.model.want, "up");
  job.send(spawned(1, 100), 5);
  assert.deepEqual(job.state, {
    type: "starting",
    proc: { run: 1, pid: 100, spawnedAtMs: 5, adopted: false },
    failures: 0,
  });
  assert.equal(job.model.run, 1);
  assert.deepEqual(
    job.effects,
    [{ type: "check", run: 1, delayMs: 1000, timeoutMs: 700 }],
    "checks come at least once a second while starting",
  );
});

test("a job with no check and no readiness source is running as soon as its process exists", () => {
  const job = driver(policy({ check: null }));
  job.send(start, 0);
  job.send(spawned(1, 100), 5);
  assert.equal(job.state.type, "running");
  assert.deepEqual(job.effects, []);
});

test("start with dependencies not ready waits, then depsReady spawns", () => {
  const job = driver(policy());
  job.send({ type: "start", cmd: 1, deps: { ready: false, reason: "waiting for db" } }, 0);
  assert.deepEqual(job.state, { type: "waiting", reason: "waiting for db" });
  assert.equal(job.model.want, "up");
  assert.deepEqual(job.effects, []);
  job.send({ type: "depsReady" }, 10);
  assert.deepEqual(job.effects, [{ type: "spawn", run: 1 }]);
  job.send(spawned(1, 7), 11);
  assert.equal(job.state.type, "starting");
});

test("depsReady in waiting does nothing when the instance is wanted down", () => {
  const waiting = model({ type: "waiting", reason: null }, { want: "down" });
  assert.deepEqual(transition(waiting, { type: "depsReady" }, policy(), NOW), {
    model: waiting,
    effects: [],
  });
});

// ---- checks ----

test("the first ok check makes the instance running; a degraded check makes it degraded, and ok again running", () => {
  const job = driver(policy());
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send(check(1, "ok", "fine"), 1500);
  assert.equal(job.state.type, "running");
  assert.equal(job.state.type === "running" && job.state.readyAtMs, 1500);
  assert.deepEqual(job.model.lastCheck, { status: "ok", message: "fine", atMs: 1500 });
  assert.deepEqual(
    job.effects,
    [{ type: "check", run: 1, delayMs: 5000, timeoutMs: 2000 }],
    "then at the interval",
  );
  job.send(check(1, "degraded", "slow"), 3000);
  assert.equal(job.state.type, "degraded");
  job.send(check(1, "ok"), 4000);
  assert.equal(job.state.type, "running");
  assert.equal(
    job.state.type === "running" && job.state.readyAtMs,
    1500,
    "readiness dates from the first ok",
  );
});

test("a degraded first check counts as ready", () => {
  const job = driver(policy());
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send(check(1, "degraded"), 700);
  assert.equal(job.state.type, "degraded");
  assert.equal(job.state.type === "degraded" && job.state.readyAtMs, 700);
});

test("a check's nextMs sets when the next one comes", () => {
  const job = driver(policy());
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send({ type: "check", run: 1, status: "ok", message: null, nextMs: 250 }, 10);
  assert.deepEqual(job.effects, [{ type: "check", run: 1, delayMs: 250, timeoutMs: 2000 }]);
});

test("fails during grace keep the instance starting with failures 0", () => {
  const job = driver(policy({ check: { failures: 1, graceMs: 10_000 } }));
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  for (const at of [1000, 2000, 5000, 9999]) {
    job.send(check(1, "fail", "connection refused"), at);
    assert.deepEqual(job.state, {
      type: "starting",
      proc: { run: 1, pid: 100, spawnedAtMs: 0, adopted: false },
      failures: 0,
    });
    assert.deepEqual(only(job.effects, "kill", "spawn"), []);
  }
  assert.deepEqual(job.model.lastCheck, { status: "fail", message: "connection refused", atMs: 9999 });
});

test("after grace, `failures` consecutive fails stop the process with then start, by the stop signal and timeout", () => {
  const job = driver(
    policy({ check: { failures: 3, graceMs: 1000 }, stop: { signal: "SIGINT", timeoutMs: 2500 } }),
  );
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send(check(1, "fail"), 1000);
  job.send(check(1, "fail"), 2000);
  assert.equal(job.state.type === "starting" && job.state.failures, 2);
  job.send(check(1, "fail", "502 Bad Gateway"), 3000);
  assert.equal(job.state.type, "stopping");
  assert.equal(job.state.type === "stopping" && job.state.next, "start");
  assert.deepEqual(only(job.effects, "kill"), [
    { type: "kill", run: 1, signal: "SIGINT", timeoutMs: 2500, ask: false },
  ]);
  assert.match(job.model.note ?? "", /check failed 3 times in a row: 502 Bad Gateway/);
});

test("once ready, fails count at once even within graceMs of the spawn; an ok resets the count", () => {
  const job = driver(policy({ check: { failures: 2, graceMs: 60_000 } }));
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send(check(1, "ok"), 100);
  job.send(check(1, "fail"), 200);
  assert.equal(job.state.type === "running" && job.state.failures, 1);
  job.send(check(1, "ok"), 300);
  assert.equal(job.state.type === "running" && job.state.failures, 0);
  job.send(check(1, "fail"), 400);
  job.send(check(1, "fail"), 500);
  assert.equal(job.state.type, "stopping");
  assert.equal(job.state.type === "stopping" && job.state.readyAtMs, 100);
});

test("a check with no verdict (loader down) only asks again", () => {
  const m = model(live("running", NOW - 50_000));
  const out = transition(m, { type: "checkSkipped", run: 3, nextMs: null }, policy(), NOW);
  assert.deepEqual(out, { model: m, effects: [{ type: "check", run: 3, delayMs: 5000, timeoutMs: 2000 }] });
});

// ---- exits, backoff and restart limits ----

test("exit while running under restart always: backoff initialMs, then x factor, capped at maxMs", () => {
  const job = driver(policy({ backoff: { initialMs: 100, factor: 3, maxMs: 2000, resetAfterMs: 10_000 } }));
  job.send(start, 0);
  let now = 0;
  const delays: number[] = [];
  for (let run = 1; run <= 6; run++) {
    job.send(spawned(run, 100 + run), now);
    job.send(check(run, "ok"), now + 10);
    job.send(exit(run, 1), now + 20);
    assert.equal(job.state.type, "backoff", `run ${run}`);
    const delayMs = job.state.type === "backoff" ? job.state.delayMs : -1;
    assert.deepEqual(only(job.effects, "timer"), [{ type: "timer", timer: "backoff", run: 0, delayMs }]);
    assert.equal(job.state.type === "backoff" && job.state.untilMs, now + 20 + delayMs);
    assert.equal(job.model.restarts, run);
    assert.deepEqual(job.model.lastExit, { code: 1, signal: null, atMs: now + 20 });
    delays.push(delayMs);
    now += 20 + delayMs;
    job.send({ type: "backoffElapsed" }, now);
    assert.deepEqual(job.effects, [{ type: "spawn", run: run + 1 }]);
  }
  assert.deepEqual(delays, [100, 300, 900, 2000, 2000, 2000]);
});

test("an exit after a stable run (ready for resetAfterMs) respawns at once: a spawn effect, no backoff", () => {
  const job = driver(policy({ backoff: { resetAfterMs: 10_000 } }));
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send(check(1, "ok"), 1000);
  job.send(exit(1, 1), 11_000);
  assert.deepEqual(only(job.effects, "spawn", "timer"), [{ type: "spawn", run: 2 }], "a spawn now, no timer");
  assert.equal(job.state.type, "starting", "straight to the next process: running -> starting");
  assert.equal(job.model.restarts, 1);
  job.send(spawned(2, 200), 11_001);
  assert.deepEqual(job.state, {
    type: "starting",
    proc: { run: 2, pid: 200, spawnedAtMs: 11_001, adopted: false },
    failures: 0,
  });
});

test("a backoff of 0 ms is no wait: every exit respawns at once, with no backoff state and no timer", () => {
  for (const backoff of [{ initialMs: 0 }, { initialMs: 100, maxMs: 0 }]) {
    const job = driver(policy({ backoff: { ...backoff, resetAfterMs: 10_000 } }));
    job.send(start, 0);
    for (let run = 1; run <= 3; run++) {
      job.send(spawned(run, 100 + run), run * 10);
      job.send(exit(run, 1), run * 10 + 5);
      assert.deepEqual(only(job.effects, "spawn", "timer"), [{ type: "spawn", run: run + 1 }], `run ${run}`);
      assert.equal(job.state.type, "starting", `run ${run}: straight to the next process`);
      assert.equal(job.model.restarts, run);
    }
  }
});

test("after a stable run the first restart is immediate and the next waits initialMs (SPEC 3.1 backoff)", () => {
  const p = policy({ backoff: { initialMs: 100, factor: 2, resetAfterMs: 10_000 } });
  const stable = model(live("running", NOW - 20_000), { attempt: 4 });
  const first = transition(stable, exit(3, 1), p, NOW);
  assert.deepEqual(only(first.effects, "spawn"), [{ type: "spawn", run: 4 }]);
  const again = transition(first.model, spawned(4, 5000), p, NOW);
  const second = transition(again.model, exit(4, 1), p, NOW + 50);
  assert.deepEqual(only(second.effects, "timer"), [
    { type: "timer", timer: "backoff", run: 0, delayMs: 100 },
  ]);
});

test('restart "on-failure": exit 0 -> exited; a failure code or a signal -> backoff', () => {
  const p = policy({ restart: "on-failure" });
  const running = model(live("running", NOW - 100));
  const clean = transition(running, exit(3, 0), p, NOW);
  assert.deepEqual(clean.model.state, { type: "exited", code: 0, signal: null });
  assert.deepEqual(only(clean.effects, "spawn", "timer", "kill"), []);
  assert.deepEqual(clean.model.lastExit, { code: 0, signal: null, atMs: NOW });
  assert.equal(transition(running, exit(3, 2), p, NOW).model.state.type, "backoff");
  assert.equal(transition(running, exit(3, null, "SIGSEGV"), p, NOW).model.state.type, "backoff");
});

test('restart "never": any exit -> exited', () => {
  const p = policy({ restart: "never" });
  const running = model(live("running", NOW - 100));
  assert.deepEqual(transition(running, exit(3, 1), p, NOW).model.state, {
    type: "exited",
    code: 1,
    signal: null,
  });
  const killed = transition(running, exit(3, null, "SIGKILL"), p, NOW).model;
  assert.deepEqual(killed.state, { type: "exited", code: null, signal: "SIGKILL" });
  assert.equal(killed.note, "killed by SIGKILL");
});

test("a spawn failure counts like an exit: backoff, or exited under never", () => {
  const failed: InstanceEvent = { type: "spawnFailed", run: 1, message: "spawn ./x ENOENT" };
  const job = driver(policy());
  job.send(start, 0);
  job.send(failed, 1);
  assert.deepEqual(job.state, { type: "backoff", delayMs: 100, untilMs: 101, reason: "spawn ./x ENOENT" });
  assert.equal(job.model.run, 1, "the failed spawn used run 1");
  const never = driver(policy({ restart: "never" }));
  never.send(start, 0);
  never.send(failed, 1);
  assert.equal(never.state.type, "exited");
  assert.equal(never.model.note, "spawn ./x ENOENT");
});

test("more restarts than maxRestarts.count within windowMs -> failed; a later start leaves failed", () => {
  const job = driver(policy({ maxRestarts: { count: 2, windowMs: 60_000 } }));
  job.send(start, 0);
  for (let run = 1; run <= 2; run++) {
    job.send(spawned(run, run), run * 1000);
    job.send(exit(run, 1), run * 1000 + 1);
    assert.equal(job.state.type, "backoff");
    job.send({ type: "backoffElapsed" }, run * 1000 + 500);
  }
  job.send(spawned(3, 3), 3000);
  job.send(exit(3, 1), 3001);
  assert.equal(job.state.type, "failed");
  assert.match(job.state.type === "failed" ? job.state.reason : "", /more than 2 restarts within 60000 ms/);
  assert.deepEqual(only(job.effects, "spawn", "timer"), []);
  job.send({ type: "backoffElapsed" }, 4000);
  assert.equal(job.state.type, "failed", "failed leaves only by a start");
  job.send(start, 5000);
  assert.deepEqual(job.effects, [{ type: "spawn", run: 4 }]);
  assert.deepEqual(job.model.restartTimesMs, []);
  job.send(spawned(4, 4), 5001);
  assert.equal(job.state.type, "starting");
});

test("restarts older than windowMs do not count", () => {
  const p = policy({ maxRestarts: { count: 1, windowMs: 1000 } });
  const running = model(live("running", NOW - 100), { restartTimesMs: [NOW - 5000] });
  assert.equal(transition(running, exit(3, 1), p, NOW).model.state.type, "backoff");
  const recent = { ...running, restartTimesMs: [NOW - 500] };
  assert.equal(transition(recent, exit(3, 1), p, NOW).model.state.type, "failed");
});

test("check failures past maxRestarts end in failed (SPEC 6)", () => {
  const job = driver(
    policy({ check: { failures: 1, graceMs: 0 }, maxRestarts: { count: 0, windowMs: 60_000 } }),
    model(live("running", NOW - 100)),
  );
  job.send(check(3, "fail", "down"), NOW);
  job.send(exit(3, null, "SIGTERM"), NOW + 10);
  assert.equal(job.state.type, "failed");
});

// ---- commands ----

test("stop in backoff -> stopped with its timer cancelled; stop in exited or failed -> stopped", () => {
  const backoff = model({ type: "backoff", delayMs: 200, untilMs: NOW + 200, reason: "x" });
  const out = transition(backoff, stop, policy(), NOW);
  assert.deepEqual(out.model.state, { type: "stopped" });
  assert.deepEqual(out.effects, [{ type: "cancelTimer", timer: "backoff", run: 0 }]);
  assert.equal(out.model.want, "down");
  for (const state of [
    { type: "exited", code: 0, signal: null },
    { type: "failed", reason: "x" },
  ] as const) {
    const next = transition(model(state), stop, policy(), NOW);
    assert.deepEqual(next.model.state, { type: "stopped" });
    assert.equal(next.model.want, "down");
  }
});

test("start in backoff spawns now and cancels the pending timer", () => {
  const backoff = model({ type: "backoff", delayMs: 200, untilMs: NOW + 200, reason: "x" });
  const out = transition(backoff, start, policy(), NOW);
  assert.equal(out.model.state.type, "starting");
  assert.deepEqual(out.effects, [
    { type: "cancelTimer", timer: "backoff", run: 0 },
    { type: "spawn", run: 4 },
  ]);
});

test("an exit or a check of an old process is ignored", () => {
  for (const type of ["starting", "running", "degraded"] as const) {
    const m = SAMPLES[type][1]![1];
    for (const e of [exit(2, 1), check(2, "fail", "old"), check(2, "ok"), exit(5, 0)]) {
      assert.deepEqual(
        transition(m, e, policy(), NOW),
        { model: m, effects: [] },
        `${type} ${JSON.stringify(e)}`,
      );
    }
  }
  const stoppingJob = SAMPLES.stopping[0]![1];
  assert.deepEqual(transition(stoppingJob, exit(2, 0), policy(), NOW), { model: stoppingJob, effects: [] });
});

test("exits and checks when no process lives are ignored", () => {
  for (const type of ["waiting", "stopped", "backoff", "exited", "failed"] as const) {
    const m = SAMPLES[type][0]![1];
    for (const e of [exit(3, 1), check(3, "fail")]) {
      assert.deepEqual(transition(m, e, policy(), NOW), { model: m, effects: [] }, `${type} ${e.type}`);
    }
  }
});

test("stop while running -> stopping (then stopped) with a kill; the exit -> stopped", () => {
  const p = policy({ stop: { signal: "SIGQUIT", timeoutMs: 4000 } });
  const job = driver(p, model(live("running", NOW - 100)));
  job.send(stop, NOW);
  assert.deepEqual(job.state, { type: "stopping", proc: PROC, next: "stopped", readyAtMs: NOW - 100 });
  assert.deepEqual(only(job.effects, "kill"), [
    { type: "kill", run: 3, signal: "SIGQUIT", timeoutMs: 4000, ask: false },
  ]);
  assert.deepEqual(
    only(job.effects, "cancelCheck"),
    [{ type: "cancelCheck", run: 3 }],
    "no more checks of it",
  );
  assert.equal(job.model.want, "down");
  job.send(check(3, "ok"), NOW + 1);
  assert.equal(job.state.type, "stopping", "checks are ignored while stopping");
  job.send(exit(3, null, "SIGQUIT"), NOW + 10);
  assert.deepEqual(job.state, { type: "stopped" });
  assert.deepEqual(job.model.lastExit, { code: null, signal: "SIGQUIT", atMs: NOW + 10 });
});

test("a stop while the process is being spawned waits for its pid, then kills it", () => {
  const job = driver(policy());
  job.send(start, 0);
  job.send(stop, 1);
  assert.equal(job.state.type, "stopping");
  assert.deepEqual(only(job.effects, "kill"), [], "no pid to signal yet");
  job.send(spawned(1, 100), 2);
  assert.deepEqual(only(job.effects, "kill"), [
    { type: "kill", run: 1, signal: "SIGTERM", timeoutMs: 10_000, ask: false },
  ]);
  job.send(exit(1, null, "SIGTERM"), 3);
  assert.deepEqual(job.state, { type: "stopped" });
  const failedSpawn = driver(policy());
  failedSpawn.send(start, 0);
  failedSpawn.send(stop, 1);
  failedSpawn.send({ type: "spawnFailed", run: 1, message: "stopped before it was spawned" }, 2);
  assert.deepEqual(failedSpawn.state, { type: "stopped" });
});

test("start, stop and restart while stopping only change what happens after the exit", () => {
  const down = model({ type: "stopping", proc: PROC, next: "stopped", readyAtMs: null }, { want: "down" });
  const started = transition(down, start, policy(), NOW);
  assert.equal(started.model.state.type === "stopping" && started.model.state.next, "start");
  assert.equal(started.model.want, "up");
  assert.deepEqual(started.effects, [], "no second kill");
  const stoppedAgain = transition(started.model, stop, policy(), NOW);
  assert.equal(stoppedAgain.model.state.type === "stopping" && stoppedAgain.model.state.next, "stopped");
  assert.equal(stoppedAgain.model.want, "down");
  const restarted = transition(down, restart, policy(), NOW);
  assert.equal(restarted.model.state.type === "stopping" && restarted.model.state.next, "start");
  assert.equal(restarted.model.want, "up");
});

test("a manual restart is stopping -> starting: never backoff, and counted", () => {
  const job = driver(policy(), model(live("running", NOW - 100)));
  job.send(restart, NOW);
  assert.equal(job.state.type === "stopping" && job.state.next, "start");
  assert.deepEqual(only(job.effects, "kill"), [
    { type: "kill", run: 3, signal: "SIGTERM", timeoutMs: 10_000, ask: false },
  ]);
  job.send(exit(3, null, "SIGTERM"), NOW + 10);
  assert.equal(job.state.type, "starting");
  assert.deepEqual(only(job.effects, "spawn"), [{ type: "spawn", run: 4 }]);
  assert.equal(job.model.restarts, 3);
  job.send(spawned(4, 6000), NOW + 11);
  assert.deepEqual(job.state, {
    type: "starting",
    proc: { run: 4, pid: 6000, spawnedAtMs: NOW + 11, adopted: false },
    failures: 0,
  });
});

test("start and restart in a resting state reset the restart counters", () => {
  const commands: InstanceEvent[] = [start, restart];
  for (const type of ["stopped", "exited", "failed", "waiting"] as const) {
    for (const command of commands) {
      const sample: InstanceModel = SAMPLES[type][0]![1];
      const out: Outcome = transition(sample, command, policy(), NOW);
      assert.deepEqual(out.effects, [{ type: "spawn", run: 4 }], `${type} ${command.type}`);
      assert.equal(out.model.attempt, 0);
      assert.deepEqual(out.model.restartTimesMs, []);
      assert.equal(out.model.want, "up");
    }
  }
});

test("start while live changes nothing but the command it answers", () => {
  for (const type of ["starting", "running", "degraded"] as const) {
    const m = SAMPLES[type][0]![1];
    const out = transition(m, { type: "start", cmd: 9, deps }, policy(), NOW);
    assert.deepEqual(out, { model: { ...m, cmd: 9 }, effects: [] });
  }
});

// ---- reload ----

test("reload of a running instance spawns a candidate beside the live process, which keeps serving", () => {
  const m = model(live("running", NOW - 1000));
  const out = transition(m, reload, policy({ reload: "replace" }), NOW);
  assert.equal(out.model.state.type, "running");
  assert.equal(out.model.state.type === "running" && out.model.state.proc.pid, PROC.pid);
  assert.deepEqual(out.effects, [{ type: "spawn", run: 4 }]);
  assert.equal(out.model.run, 4);
  assert.deepEqual(out.model.reload, { cmd: 1, result: "pending" });
});

test('reload by "restart" stops and starts', () => {
  const out = transition(model(live("running", NOW - 1000)), reload, policy({ reload: "restart" }), NOW);
  assert.equal(out.model.state.type === "stopping" && out.model.state.next, "start");
});

test("a ready candidate replaces the live process, which is stopped by its stop signal", () => {
  const p = policy({ reload: "replace" });
  const job = driver(p, model(live("degraded", NOW - 1000)));
  job.send(reload, NOW);
  job.send(spawned(4, 6000), NOW + 1);
  assert.deepEqual(only(job.effects, "check", "timer"), [
    { type: "check", run: 4, delayMs: 250, timeoutMs: 2000 },
    { type: "timer", timer: "ready", run: 4, delayMs: 32_000 },
  ]);
  job.send(check(4, "ok"), NOW + 300);
  assert.equal(job.state.type, "running");
  assert.equal(job.state.type === "running" && job.state.proc.pid, 6000);
  assert.equal(job.model.restarts, 3);
  assert.deepEqual(job.model.reload, { cmd: 1, result: "ok" });
  assert.deepEqual(job.model.retiring, [PROC], "the old process is tracked until it exits");
  assert.deepEqual(only(job.effects, "kill"), [
    { type: "kill", run: 3, signal: "SIGTERM", timeoutMs: 10_000, ask: false },
  ]);
  job.send(exit(3, 0), NOW + 400);
  assert.deepEqual(job.model.retiring, []);
  assert.equal(job.state.type, "running", "the old process's exit is not the instance's");
});

test("a candidate not ready in time is stopped and the live process keeps serving", () => {
  const job = driver(policy({ reload: "replace" }), model(live("running", NOW - 1000)));
  job.send(reload, NOW);
  job.send(spawned(4, 6000), NOW + 1);
  job.send(check(4, "fail", "connection refused"), NOW + 300);
  assert.equal(
    job.state.type === "running" && job.state.candidate?.run,
    4,
    "a fail only waits for the next check",
  );
  job.send({ type: "readyTimeout", run: 4 }, NOW + 32_001);
  assert.equal(job.state.type === "running" && job.state.candidate, null);
  assert.equal(job.state.type === "running" && job.state.proc.run, 3);
  assert.deepEqual(only(job.effects, "kill"), [
    { type: "kill", run: 4, signal: "SIGTERM", timeoutMs: 10_000, ask: false },
  ]);
  assert.match(
    job.model.reload?.result !== "pending" && job.model.reload?.result !== "ok"
      ? (job.model.reload?.result.failed ?? "")
      : "",
    /not ready within 32000 ms \(last check: connection refused\)/,
  );
});

test("a candidate that exits or cannot be spawned ends the reload; the live process is untouched", () => {
  const p = policy({ reload: "replace" });
  const reloading = transition(model(live("running", NOW - 1000)), reload, p, NOW).model;
  const failed = transition(reloading, { type: "spawnFailed", run: 4, message: "ENOENT" }, p, NOW).model;
  assert.deepEqual(failed.reload, { cmd: 1, result: { failed: "the new instance could not start: ENOENT" } });
  const up = transition(reloading, spawned(4, 6000), p, NOW).model;
  const exited = transition(up, exit(4, 3), p, NOW).model;
  assert.deepEqual(exited.reload, {
    cmd: 1,
    result: { failed: "the new instance exited with code 3 before it was ready" },
  });
  assert.equal(exited.state.type === "running" && exited.state.proc.run, 3);
});

test("the live process dies during a reload: its candidate becomes the start", () => {
  const p = policy({ reload: "replace" });
  const m = model(live("running", NOW - 1000, 0, candidate(6000)), {
    run: 4,
    reload: { cmd: 1, result: "pending" },
  });
  const out = transition(m, exit(3, 1), p, NOW);
  assert.deepEqual(out.model.state, { type: "starting", proc: CANDIDATE, failures: 0 });
  assert.equal(out.model.restarts, 3);
  const ready = transition(out.model, check(4, "ok"), p, NOW + 10);
  assert.equal(ready.model.state.type, "running");
});

test("a stop during a reload stops the candidate too and ends the reload with that reason", () => {
  const p = policy({ reload: "replace" });
  const m = model(live("running", NOW - 1000, 0, candidate(6000)), {
    run: 4,
    reload: { cmd: 1, result: "pending" },
  });
  const out = transition(m, { type: "stop", cmd: 2 }, p, NOW);
  assert.deepEqual(
    only(out.effects, "kill").map((e) => e.type === "kill" && e.run),
    [3, 4],
  );
  assert.deepEqual(out.model.reload, { cmd: 1, result: { failed: "the job was stopped during the reload" } });
  assert.deepEqual(out.model.retiring, [CANDIDATE]);
});

test("a process spawned for nobody (its reload ended meanwhile) is killed and tracked until it exits", () => {
  const m = model(live("running", NOW - 1000));
  const out = transition(m, spawned(9, 7000), policy(), NOW);
  assert.deepEqual(only(out.effects, "kill"), [
    { type: "kill", run: 9, signal: "SIGTERM", timeoutMs: 10_000, ask: false },
  ]);
  assert.equal(out.model.retiring[0]?.run, 9);
  assert.deepEqual(transition(out.model, exit(9, null, "SIGTERM"), policy(), NOW).model.retiring, []);
});

// ---- readiness from the instance (SPEC 11) ----

test("ready by the instance: checks do not make it ready, READY=1 does, within readyTimeoutMs", () => {
  const p = policy({}, { ready: "notify", readyTimeoutMs: 5000 });
  const job = driver(p);
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  assert.deepEqual(only(job.effects, "timer"), [{ type: "timer", timer: "ready", run: 1, delayMs: 5000 }]);
  job.send(check(1, "ok"), 100);
  assert.equal(job.state.type, "starting", "an ok check is not readiness here");
  job.send({ type: "ready", run: 1 }, 200);
  assert.equal(job.state.type, "running");
  assert.deepEqual(job.effects, [{ type: "cancelTimer", timer: "ready", run: 1 }]);
});

test("not ready in time is a failed start: stopped, then the restart policy and backoff decide", () => {
  const p = policy({}, { ready: "notify", readyTimeoutMs: 5000 });
  const job = driver(p);
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send({ type: "readyTimeout", run: 1 }, 5000);
  assert.equal(job.state.type === "stopping" && job.state.next, "recover");
  assert.deepEqual(only(job.effects, "kill").length, 1);
  job.send(exit(1, null, "SIGTERM"), 5010);
  assert.equal(job.state.type, "backoff");
  assert.match(
    job.state.type === "backoff" ? job.state.reason : "",
    /a failed start: not ready within 5000 ms/,
  );
});

// ---- the original's rules (SPEC 3.2) ----

test("legacy: exit 0 before any ok check is done (a one-shot job), exit non-zero restarts", () => {
  const p = policy({}, {}, true);
  const starting = model({ type: "starting", proc: PROC, failures: 0 });
  const done = transition(starting, exit(3, 0), p, NOW).model;
  assert.deepEqual(done.state, { type: "exited", code: 0, signal: null });
  assert.equal(transition(starting, exit(3, 1), p, NOW).model.state.type, "backoff");
  assert.equal(
    transition(starting, exit(3, 0), policy(), NOW).model.state.type,
    "backoff",
    "native jobs restart",
  );
});

test("legacy: a check answered [] makes the instance ready and an exit 0 later is done", () => {
  const p = policy({}, {}, true);
  const ready = transition(
    model({ type: "starting", proc: PROC, failures: 0 }),
    check(3, "ok", null, true),
    p,
    NOW,
  );
  assert.equal(ready.model.state.type === "running" && ready.model.state.oneShot, true);
  assert.equal(transition(ready.model, exit(3, 0), p, NOW).model.state.type, "exited");
  const normal = transition(
    model({ type: "starting", proc: PROC, failures: 0 }),
    check(3, "ok"),
    p,
    NOW,
  ).model;
  assert.equal(
    transition(normal, exit(3, 0), p, NOW).model.state.type,
    "backoff",
    "after an ok check it is a server",
  );
});

test("legacy: a failed check asks the loader how to stop", () => {
  const p = policy({ check: { failures: 1, graceMs: 0 } }, {}, true);
  const out = transition(model(live("running", NOW - 100)), check(3, "fail"), p, NOW);
  assert.deepEqual(only(out.effects, "kill"), [
    { type: "kill", run: 3, signal: "SIGTERM", timeoutMs: 10_000, ask: true },
  ]);
  const manual = transition(model(live("running", NOW - 100)), stop, p, NOW);
  assert.equal(
    only(manual.effects, "kill")[0]?.type === "kill" &&
      (only(manual.effects, "kill")[0] as { ask: boolean }).ask,
    false,
  );
});

test("STATUS= is kept for the live process and cleared with the next one", () => {
  const job = driver(policy(), model(live("running", NOW - 100)));
  job.send({ type: "statusText", run: 3, text: "serving 12 clients" }, NOW);
  assert.equal(job.model.statusText, "serving 12 clients");
  job.send({ type: "statusText", run: 2, text: "stale" }, NOW);
  assert.equal(job.model.statusText, "serving 12 clients", "a word from an old process is dropped");
  job.send(restart, NOW);
  job.send(exit(3, null, "SIGTERM"), NOW + 1);
  assert.equal(job.model.statusText, null);
});

test("the watchdog: armed at READY=1, re-armed by each ping, a miss is a failed check", () => {
  const p = policy({ check: { failures: 2 } }, { ready: "notify", watchdogMs: 1000 });
  const job = driver(p);
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send({ type: "ready", run: 1 }, 50);
  assert.deepEqual(only(job.effects, "timer"), [{ type: "timer", timer: "watchdog", run: 1, delayMs: 1000 }]);
  job.send({ type: "watchdog", run: 1 }, 500);
  assert.deepEqual(job.effects, [{ type: "timer", timer: "watchdog", run: 1, delayMs: 1000 }]);
  job.send({ type: "watchdogTimeout", run: 1 }, 1500);
  assert.equal(job.state.type === "running" && job.state.failures, 1);
  assert.match(job.model.lastCheck?.message ?? "", /no WATCHDOG=1 within 1000 ms/);
  assert.deepEqual(only(job.effects, "timer"), [{ type: "timer", timer: "watchdog", run: 1, delayMs: 1000 }]);
  job.send({ type: "watchdogTimeout", run: 1 }, 2500);
  assert.equal(job.state.type, "stopping", "two misses in a row with failures 2 restart it");
});

test("EXTEND_TIMEOUT_USEC: more time to be ready, or to stop", () => {
  const p = policy({}, { ready: "notify", readyTimeoutMs: 1000 });
  const job = driver(p);
  job.send(start, 0);
  job.send(spawned(1, 100), 0);
  job.send({ type: "extendTimeout", run: 1, ms: 9000 }, 500);
  assert.deepEqual(job.effects, [{ type: "timer", timer: "ready", run: 1, delayMs: 9000 }]);
  job.send(stop, 600);
  job.send({ type: "extendTimeout", run: 1, ms: 4000 }, 700);
  assert.deepEqual(job.effects, [{ type: "extendKill", run: 1, ms: 4000 }]);
});

test("adoption: a survivor of a previous god becomes the live process, ready or starting as it was", () => {
  const p = policy({ check: { intervalMs: 2000 } });
  const ready = transition(
    initialInstance(0),
    { type: "adopt", cmd: 1, run: 7, pid: 9000, spawnedAtMs: 5, ready: true },
    p,
    NOW,
  );
  assert.deepEqual(ready.model.state, {
    type: "running",
    proc: { run: 7, pid: 9000, spawnedAtMs: 5, adopted: true },
    readyAtMs: NOW,
    failures: 0,
    candidate: null,
    oneShot: false,
  });
  assert.equal(ready.model.run, 7, "the next process is run 8");
  assert.equal(ready.model.want, "up");
  assert.deepEqual(
    ready.effects,
    [{ type: "check", run: 7, delayMs: 2000, timeoutMs: 2000 }],
    "its checks resume",
  );
  const starting = transition(
    initialInstance(0),
    { type: "adopt", cmd: 1, run: 7, pid: 9000, spawnedAtMs: 5, ready: false },
    policy({}, { ready: "notify" }),
    NOW,
  );
  assert.equal(starting.model.state.type, "starting");
  assert.deepEqual(only(starting.effects, "timer"), [
    { type: "timer", timer: "ready", run: 7, delayMs: 60_000 },
  ]);
  const exited = transition(ready.model, exit(7, null), p, NOW + 1).model;
  assert.equal(exited.state.type, "backoff", "an adopted process that exits is restarted by its policy");
  assert.equal(exited.note, "exited (code unknown)");
});
