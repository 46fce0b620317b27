// The job state machine, purely: a walk over every state x event pair (several models, events and policies each)
// checks that the next state is one the table declares, then the behaviours of SPEC 6 one by one.

import assert from "node:assert/strict";
import { test } from "node:test";
import { initialModel, type JobModel, type JobState } from "../../src/core/job-state.js";
import {
  type Effect,
  JOB_EVENT_TYPES,
  type JobEvent,
  type JobEventType,
  type JobPolicy,
  TABLE,
  transition,
} from "../../src/core/transitions.js";
import { type JobSpec, normalizeJobSpec } from "../../src/protocol/jobspec.js";
import { JOB_STATES, type JobStateName } from "../../src/protocol/states.js";

const NOW = 1_000_000;

function policy(spec: Partial<JobSpec> = {}): JobPolicy {
  return normalizeJobSpec({ name: "t", exec: ["x"], check: {}, ...spec });
}

const start: JobEvent = { type: "start", depsReady: true, depsReason: null };
const stop: JobEvent = { type: "stop" };
const restart: JobEvent = { type: "restart", depsReady: true, depsReason: null };
const spawned = (pid: number): JobEvent => ({ type: "spawned", pid });
const exit = (instance: number, code: number | null, signal: string | null = null): JobEvent => ({
  type: "exit",
  instance,
  code,
  signal,
});
const check = (
  instance: number,
  status: "ok" | "degraded" | "fail",
  message: string | null = null,
): JobEvent => ({
  type: "check",
  instance,
  status,
  message,
});

/** Feeds events one by one, keeping the model and the last effects. */
function driver(p: JobPolicy, model: JobModel = initialModel()) {
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
    send(e: JobEvent, nowMs: number) {
      const out = transition(current, e, p, nowMs);
      current = out.model;
      effects = out.effects;
      return out;
    },
  };
}

// ---- the walk: every state x event pair ----

const RUN = { pid: 4242, instance: 3, spawnedAtMs: NOW - 60_000 };

/** The stopping state, built in this one place. */
function stopping(
  next: "stopped" | "start",
  readyAtMs: number | null,
  run: { pid: number; instance: number; spawnedAtMs: number } = RUN,
): JobState {
  return { type: "stopping", next, readyAtMs, ...run };
}

function model(state: JobState, patch: Partial<JobModel> = {}): JobModel {
  return {
    ...initialModel(),
    want: "up",
    instance: 3,
    restarts: 2,
    attempt: 1,
    restartTimesMs: [NOW - 1000],
    state,
    ...patch,
  };
}

/** The stopping state that check failures past maxRestarts lead to, whatever shape the table gives it. */
function stoppingAfterTooManyRestarts(): JobModel {
  const p = policy({ check: { failures: 1, graceMs: 0 }, maxRestarts: { count: 0, windowMs: 60_000 } });
  const running = model({ type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN });
  return transition(running, check(3, "fail", "down"), p, NOW).model;
}

const SAMPLES: Record<JobStateName, Array<[string, JobModel]>> = {
  waiting: [
    ["want up", model({ type: "waiting", reason: "waiting for db" })],
    ["want down", model({ type: "waiting", reason: null }, { want: "down" })],
  ],
  starting: [
    ["in grace", model({ type: "starting", failures: 0, ...RUN, spawnedAtMs: NOW - 100 })],
    ["past grace, 2 fails", model({ type: "starting", failures: 2, ...RUN })],
  ],
  running: [
    ["ready long ago", model({ type: "running", readyAtMs: NOW - 50_000, failures: 0, ...RUN })],
    ["ready just now, 2 fails", model({ type: "running", readyAtMs: NOW - 100, failures: 2, ...RUN })],
  ],
  degraded: [
    ["ready long ago", model({ type: "degraded", readyAtMs: NOW - 50_000, failures: 0, ...RUN })],
    ["ready just now, 2 fails", model({ type: "degraded", readyAtMs: NOW - 100, failures: 2, ...RUN })],
  ],
  stopping: [
    ["then stopped", model(stopping("stopped", NOW - 50_000), { want: "down" })],
    ["then start", model(stopping("start", null))],
    ["after check failures past maxRestarts", stoppingAfterTooManyRestarts()],
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

const EVENTS: Record<JobEventType, JobEvent[]> = {
  start: [start, { type: "start", depsReady: false, depsReason: "waiting for db" }],
  stop: [stop],
  restart: [restart, { type: "restart", depsReady: false, depsReason: "waiting for db" }],
  depsReady: [{ type: "depsReady" }],
  spawned: [spawned(5000)],
  spawnFailed: [{ type: "spawnFailed", message: "spawn ./x ENOENT" }],
  exit: [exit(3, 0), exit(3, 1), exit(3, null, "SIGKILL"), exit(2, 1)],
  check: [check(3, "ok"), check(3, "degraded"), check(3, "fail", "502"), check(2, "fail", "stale")],
  backoffElapsed: [{ type: "backoffElapsed" }],
  reload: [{ type: "reload" }],
  replaced: [{ type: "replaced", pid: 6000, instance: 4 }],
};

const POLICIES: Array<[string, JobPolicy]> = [
  ["always", policy()],
  ["on-failure", policy({ restart: "on-failure" })],
  ["never", policy({ restart: "never" })],
  ["maxRestarts 1", policy({ maxRestarts: { count: 1, windowMs: 60_000 } })],
  ["no backoff delay", policy({ backoff: { initialMs: 0 } })],
  ["no check", policy({ check: null })],
];

type Case = { label: string; from: JobStateName; event: JobEventType; to: JobStateName; declared: boolean };

function walk(from: JobStateName, event: JobEventType): Case[] {
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

test("the walk covers all 9 states and all 11 events", () => {
  assert.equal(JOB_STATES.length, 9);
  assert.equal(JOB_EVENT_TYPES.length, 11);
  for (const s of JOB_STATES) assert.deepEqual(Object.keys(TABLE[s]).sort(), [...JOB_EVENT_TYPES].sort());
});

for (const from of JOB_STATES) {
  for (const event of JOB_EVENT_TYPES) {
    test(`${from} x ${event}: the next state is within the rule's \`to\``, () => {
      const unexpected = walk(from, event)
        .filter((c) => !c.declared)
        .map((c) => c.label);
      assert.deepEqual(unexpected, []);
    });
  }
}

test("every case of the walk lands within the rule's `to`", () => {
  const outside = new Map<string, string>();
  for (const c of JOB_STATES.flatMap((s) => JOB_EVENT_TYPES.flatMap((e) => walk(s, e)))) {
    const arrow = `${c.from} --${c.event}--> ${c.to}`;
    if (!c.declared && !outside.has(arrow)) outside.set(arrow, `${arrow}, e.g. ${c.label}`);
  }
  assert.deepEqual([...outside.values()], []);
});

test("every arrow the table declares happens in some case (no arrow of the diagram is unreachable)", () => {
  const reached = new Set(
    JOB_STATES.flatMap((s) => JOB_EVENT_TYPES.flatMap((e) => walk(s, e))).map(
      (c) => `${c.from} ${c.event} ${c.to}`,
    ),
  );
  const unreached: string[] = [];
  for (const s of JOB_STATES) {
    for (const e of JOB_EVENT_TYPES) {
      for (const to of TABLE[s][e].to)
        if (to !== s && !reached.has(`${s} ${e} ${to}`)) unreached.push(`${s} ${e} ${to}`);
    }
  }
  assert.deepEqual(unreached, []);
});

// ---- behaviours ----

test("start from stopped emits spawn for instance 1; spawned moves to starting", () => {
  const job = driver(policy());
  job.send(start, 0);
  assert.deepEqual(job.effects, [{ type: "spawn", instance: 1 }]);
  assert.equal(job.model.want, "up");
  job.send(spawned(100), 5);
  assert.deepEqual(job.state, { type: "starting", pid: 100, instance: 1, spawnedAtMs: 5, failures: 0 });
  assert.equal(job.model.instance, 1);
  assert.deepEqual(job.effects, []);
});

test("start with dependencies not ready waits, then depsReady spawns", () => {
  const job = driver(policy());
  job.send({ type: "start", depsReady: false, depsReason: "waiting for db" }, 0);
  assert.deepEqual(job.state, { type: "waiting", reason: "waiting for db" });
  assert.equal(job.model.want, "up");
  assert.deepEqual(job.effects, []);
  job.send({ type: "depsReady" }, 10);
  assert.deepEqual(job.effects, [{ type: "spawn", instance: 1 }]);
  job.send(spawned(7), 11);
  assert.equal(job.state.type, "starting");
});

test("depsReady in waiting does nothing when the job is wanted down", () => {
  const waiting = model({ type: "waiting", reason: null }, { want: "down" });
  assert.deepEqual(transition(waiting, { type: "depsReady" }, policy(), NOW), {
    model: waiting,
    effects: [],
  });
});

test("the first ok check makes the job running; a degraded check makes it degraded, and ok again running", () => {
  const job = driver(policy());
  job.send(start, 0);
  job.send(spawned(100), 0);
  job.send(check(1, "ok", "fine"), 1500);
  assert.deepEqual(job.state, {
    type: "running",
    readyAtMs: 1500,
    failures: 0,
    pid: 100,
    instance: 1,
    spawnedAtMs: 0,
  });
  assert.deepEqual(job.model.lastCheck, { status: "ok", message: "fine", atMs: 1500 });
  job.send(check(1, "degraded", "slow"), 3000);
  assert.deepEqual(job.state, {
    type: "degraded",
    readyAtMs: 1500,
    failures: 0,
    pid: 100,
    instance: 1,
    spawnedAtMs: 0,
  });
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
  job.send(spawned(100), 0);
  job.send(check(1, "degraded"), 700);
  assert.deepEqual(job.state, {
    type: "degraded",
    readyAtMs: 700,
    failures: 0,
    pid: 100,
    instance: 1,
    spawnedAtMs: 0,
  });
});

test("fails during grace keep the job starting with failures 0", () => {
  const job = driver(policy({ check: { failures: 1, graceMs: 10_000 } }));
  job.send(start, 0);
  job.send(spawned(100), 0);
  for (const at of [1000, 2000, 5000, 9999]) {
    job.send(check(1, "fail", "connection refused"), at);
    assert.deepEqual(job.state, { type: "starting", pid: 100, instance: 1, spawnedAtMs: 0, failures: 0 });
    assert.deepEqual(job.effects, []);
  }
  assert.deepEqual(job.model.lastCheck, { status: "fail", message: "connection refused", atMs: 9999 });
});

test("after grace, `failures` consecutive fails stop the instance with then start, by the stop signal and timeout", () => {
  const job = driver(
    policy({ check: { failures: 3, graceMs: 1000 }, stop: { signal: "SIGINT", timeoutMs: 2500 } }),
  );
  job.send(start, 0);
  job.send(spawned(100), 0);
  job.send(check(1, "fail"), 1000);
  job.send(check(1, "fail"), 2000);
  assert.deepEqual(job.state, { type: "starting", pid: 100, instance: 1, spawnedAtMs: 0, failures: 2 });
  job.send(check(1, "fail", "502 Bad Gateway"), 3000);
  assert.deepEqual(job.state, stopping("start", null, { pid: 100, instance: 1, spawnedAtMs: 0 }));
  assert.deepEqual(job.effects, [{ type: "kill", pid: 100, instance: 1, signal: "SIGINT", timeoutMs: 2500 }]);
  assert.match(job.model.note ?? "", /check failed 3 times in a row: 502 Bad Gateway/);
});

test("once ready, fails count at once even within graceMs of the spawn; an ok resets the count", () => {
  const job = driver(policy({ check: { failures: 2, graceMs: 60_000 } }));
  job.send(start, 0);
  job.send(spawned(100), 0);
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

test("exit while running under restart always: backoff initialMs, then x factor, capped at maxMs", () => {
  const job = driver(policy({ backoff: { initialMs: 100, factor: 3, maxMs: 2000, resetAfterMs: 10_000 } }));
  job.send(start, 0);
  let now = 0;
  const delays: number[] = [];
  for (let instance = 1; instance <= 6; instance++) {
    job.send(spawned(100 + instance), now);
    job.send(check(instance, "ok"), now + 10);
    job.send(exit(instance, 1), now + 20);
    assert.equal(job.state.type, "backoff", `instance ${instance}`);
    const delayMs = job.state.type === "backoff" ? job.state.delayMs : -1;
    assert.deepEqual(job.effects, [{ type: "schedule", delayMs }]);
    assert.equal(job.state.type === "backoff" && job.state.untilMs, now + 20 + delayMs);
    assert.equal(job.model.restarts, instance);
    assert.deepEqual(job.model.lastExit, { code: 1, signal: null, atMs: now + 20 });
    delays.push(delayMs);
    now += 20 + delayMs;
    job.send({ type: "backoffElapsed" }, now);
    assert.deepEqual(job.effects, [{ type: "spawn", instance: instance + 1 }]);
  }
  assert.deepEqual(delays, [100, 300, 900, 2000, 2000, 2000]);
});

test("an exit after a stable run (ready for resetAfterMs) respawns at once: a spawn effect, no backoff", () => {
  const job = driver(policy({ backoff: { resetAfterMs: 10_000 } }));
  job.send(start, 0);
  job.send(spawned(100), 0);
  job.send(check(1, "ok"), 1000);
  job.send(exit(1, 1), 11_000);
  assert.deepEqual(job.effects, [{ type: "spawn", instance: 2 }], "a spawn now, no schedule");
  assert.equal(job.model.restarts, 1);
});

test("after an immediate respawn, spawned moves the job to starting with the new instance", () => {
  const job = driver(policy());
  job.send(start, 0);
  job.send(spawned(100), 0);
  job.send(check(1, "ok"), 1000);
  job.send(exit(1, 1), 20_000);
  job.send(spawned(200), 20_001);
  assert.deepEqual(job.state, { type: "starting", pid: 200, instance: 2, spawnedAtMs: 20_001, failures: 0 });
});

test("after a stable run the first restart is immediate and the next waits initialMs (SPEC 3.1 backoff)", () => {
  const p = policy({ backoff: { initialMs: 100, factor: 2, resetAfterMs: 10_000 } });
  const stable = model({ type: "running", readyAtMs: NOW - 20_000, failures: 0, ...RUN }, { attempt: 4 });
  const first = transition(stable, exit(3, 1), p, NOW);
  assert.deepEqual(first.effects, [{ type: "spawn", instance: 4 }]);
  // The new instance, spawned and dead again at once (built by hand so bug A does not hide this one).
  const again: JobModel = {
    ...first.model,
    instance: 4,
    state: { type: "starting", failures: 0, pid: 5000, instance: 4, spawnedAtMs: NOW },
  };
  const second = transition(again, exit(4, 1), p, NOW + 50);
  assert.deepEqual(second.effects, [{ type: "schedule", delayMs: 100 }]);
});

test('restart "on-failure": exit 0 -> exited; a failure code or a signal -> backoff', () => {
  const p = policy({ restart: "on-failure" });
  const running = model({ type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN });
  const clean = transition(running, exit(3, 0), p, NOW);
  assert.deepEqual(clean.model.state, { type: "exited", code: 0, signal: null });
  assert.deepEqual(clean.effects, []);
  assert.deepEqual(clean.model.lastExit, { code: 0, signal: null, atMs: NOW });
  assert.equal(transition(running, exit(3, 2), p, NOW).model.state.type, "backoff");
  assert.equal(transition(running, exit(3, null, "SIGSEGV"), p, NOW).model.state.type, "backoff");
});

test('restart "never": any exit -> exited', () => {
  const p = policy({ restart: "never" });
  const running = model({ type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN });
  assert.deepEqual(transition(running, exit(3, 1), p, NOW).model.state, {
    type: "exited",
    code: 1,
    signal: null,
  });
  assert.deepEqual(transition(running, exit(3, null, "SIGKILL"), p, NOW).model.state, {
    type: "exited",
    code: null,
    signal: "SIGKILL",
  });
  assert.equal(transition(running, exit(3, null, "SIGKILL"), p, NOW).model.note, "killed by SIGKILL");
});

test("a spawn failure counts like an exit: backoff, or exited under never", () => {
  const failed: JobEvent = { type: "spawnFailed", message: "spawn ./x ENOENT" };
  const job = driver(policy());
  job.send(start, 0);
  job.send(failed, 1);
  assert.deepEqual(job.state, { type: "backoff", delayMs: 100, untilMs: 101, reason: "spawn ./x ENOENT" });
  assert.equal(job.model.instance, 1, "the failed spawn used instance 1");
  const never = driver(policy({ restart: "never" }));
  never.send(start, 0);
  never.send(failed, 1);
  assert.equal(never.state.type, "exited");
  assert.equal(never.model.note, "spawn ./x ENOENT");
});

test("more restarts than maxRestarts.count within windowMs -> failed; a later start leaves failed", () => {
  const job = driver(policy({ maxRestarts: { count: 2, windowMs: 60_000 } }));
  job.send(start, 0);
  for (let instance = 1; instance <= 2; instance++) {
    job.send(spawned(instance), instance * 1000);
    job.send(exit(instance, 1), instance * 1000 + 1);
    assert.equal(job.state.type, "backoff");
    job.send({ type: "backoffElapsed" }, instance * 1000 + 500);
  }
  job.send(spawned(3), 3000);
  job.send(exit(3, 1), 3001);
  assert.equal(job.state.type, "failed");
  assert.match(job.state.type === "failed" ? job.state.reason : "", /more than 2 restarts within 60000 ms/);
  assert.deepEqual(job.effects, []);
  job.send({ type: "backoffElapsed" }, 4000);
  assert.equal(job.state.type, "failed", "failed leaves only by a start");
  job.send(start, 5000);
  assert.deepEqual(job.effects, [{ type: "spawn", instance: 4 }]);
  assert.deepEqual(job.model.restartTimesMs, []);
  job.send(spawned(4), 5001);
  assert.equal(job.state.type, "starting");
});

test("restarts older than windowMs do not count", () => {
  const p = policy({ maxRestarts: { count: 1, windowMs: 1000 } });
  const running = model(
    { type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN },
    { restartTimesMs: [NOW - 5000] },
  );
  assert.equal(transition(running, exit(3, 1), p, NOW).model.state.type, "backoff");
  const recent = { ...running, restartTimesMs: [NOW - 500] };
  assert.equal(transition(recent, exit(3, 1), p, NOW).model.state.type, "failed");
});

test("check failures past maxRestarts end in failed (SPEC 6)", () => {
  const job = driver(
    policy({ check: { failures: 1, graceMs: 0 }, maxRestarts: { count: 0, windowMs: 60_000 } }),
    model({ type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN }),
  );
  job.send(check(3, "fail", "down"), NOW);
  job.send(exit(3, null, "SIGTERM"), NOW + 10);
  assert.equal(job.state.type, "failed");
});

test("stop in backoff -> stopped with cancelSchedule; stop in exited or failed -> stopped", () => {
  const backoff = model({ type: "backoff", delayMs: 200, untilMs: NOW + 200, reason: "x" });
  const out = transition(backoff, stop, policy(), NOW);
  assert.deepEqual(out.model.state, { type: "stopped" });
  assert.deepEqual(out.effects, [{ type: "cancelSchedule" }]);
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

test("start in backoff spawns now and cancels the pending schedule", () => {
  const backoff = model({ type: "backoff", delayMs: 200, untilMs: NOW + 200, reason: "x" });
  const out = transition(backoff, start, policy(), NOW);
  assert.ok(
    (TABLE.backoff.start.to as readonly string[]).includes(out.model.state.type),
    out.model.state.type,
  );
  assert.deepEqual(
    [...out.effects].sort((a, b) => a.type.localeCompare(b.type)),
    [{ type: "cancelSchedule" }, { type: "spawn", instance: 4 }],
  );
});

test("an exit or a check of an old instance is ignored", () => {
  for (const type of ["starting", "running", "degraded"] as const) {
    const m = SAMPLES[type][0]![1];
    for (const e of [exit(2, 1), check(2, "fail", "old"), check(2, "ok"), exit(4, 0)]) {
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

test("exits and checks when no instance lives are ignored", () => {
  for (const type of ["waiting", "stopped", "backoff", "exited", "failed"] as const) {
    const m = SAMPLES[type][0]![1];
    for (const e of [exit(3, 1), check(3, "fail")]) {
      assert.deepEqual(transition(m, e, policy(), NOW), { model: m, effects: [] }, `${type} ${e.type}`);
    }
  }
});

test("stop while running -> stopping (then stopped) with a kill; the exit -> stopped", () => {
  const p = policy({ stop: { signal: "SIGQUIT", timeoutMs: 4000 } });
  const job = driver(p, model({ type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN }));
  job.send(stop, NOW);
  assert.deepEqual(job.state, stopping("stopped", NOW - 100));
  assert.deepEqual(job.effects, [
    { type: "kill", pid: 4242, instance: 3, signal: "SIGQUIT", timeoutMs: 4000 },
  ]);
  assert.equal(job.model.want, "down");
  job.send(check(3, "ok"), NOW + 1);
  assert.equal(job.state.type, "stopping", "checks are ignored while stopping");
  job.send(exit(3, null, "SIGQUIT"), NOW + 10);
  assert.deepEqual(job.state, { type: "stopped" });
  assert.deepEqual(job.effects, []);
  assert.deepEqual(job.model.lastExit, { code: null, signal: "SIGQUIT", atMs: NOW + 10 });
});

test("start, stop and restart while stopping only change what happens after the exit", () => {
  const down = model(stopping("stopped", null), { want: "down" });
  const started = transition(down, start, policy(), NOW);
  assert.deepEqual(started.model.state, stopping("start", null));
  assert.equal(started.model.want, "up");
  assert.deepEqual(started.effects, [], "no second kill");
  const stoppedAgain = transition(started.model, stop, policy(), NOW);
  assert.deepEqual(stoppedAgain.model.state, stopping("stopped", null));
  assert.equal(stoppedAgain.model.want, "down");
  const restarted = transition(down, restart, policy(), NOW);
  assert.deepEqual(restarted.model.state, stopping("start", null));
  assert.equal(restarted.model.want, "up");
});

test("restart while running -> stopping with then start; on exit a spawn of the next instance", () => {
  const job = driver(policy(), model({ type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN }));
  job.send(restart, NOW);
  assert.deepEqual(job.state, stopping("start", NOW - 100));
  assert.deepEqual(job.effects, [
    { type: "kill", pid: 4242, instance: 3, signal: "SIGTERM", timeoutMs: 10_000 },
  ]);
  assert.equal(job.model.want, "up");
  job.send(exit(3, null, "SIGTERM"), NOW + 10);
  assert.deepEqual(job.effects, [{ type: "spawn", instance: 4 }]);
  assert.equal(job.model.restarts, 3);
});

test("restart while running: after the exit, spawned moves the job to starting", () => {
  const job = driver(policy(), model({ type: "running", readyAtMs: NOW - 100, failures: 0, ...RUN }));
  job.send(restart, NOW);
  job.send(exit(3, null, "SIGTERM"), NOW + 10);
  job.send(spawned(6000), NOW + 11);
  assert.deepEqual(job.state, {
    type: "starting",
    pid: 6000,
    instance: 4,
    spawnedAtMs: NOW + 11,
    failures: 0,
  });
});

test("start and restart in a resting state reset the restart counters", () => {
  const events: JobEvent[] = [start, restart];
  for (const type of ["stopped", "exited", "failed", "waiting"] as const) {
    for (const e of events) {
      const out = transition(SAMPLES[type][0]![1], e, policy(), NOW);
      assert.deepEqual(out.effects, [{ type: "spawn", instance: 4 }], `${type} ${e.type}`);
      assert.equal(out.model.attempt, 0);
      assert.deepEqual(out.model.restartTimesMs, []);
      assert.equal(out.model.want, "up");
    }
  }
});

test("start while live is ignored", () => {
  for (const type of ["starting", "running", "degraded"] as const) {
    const m = SAMPLES[type][0]![1];
    assert.deepEqual(transition(m, start, policy(), NOW), { model: m, effects: [] });
  }
});

test("reload of a running job spawns a candidate beside the live instance, which keeps serving", () => {
  const m = model({ type: "running", readyAtMs: NOW - 1000, failures: 0, ...RUN });
  const out = transition(m, { type: "reload" }, policy(), NOW);
  assert.equal(out.model.state.type, "running");
  assert.equal(out.model.state.type === "running" && out.model.state.pid, RUN.pid);
  assert.deepEqual(out.effects, [{ type: "spawnCandidate", instance: 4 }]);
  assert.equal(out.model.instance, 4);
});

test("a ready candidate replaces the live instance, which is stopped by its stop signal", () => {
  const m = model({ type: "degraded", readyAtMs: NOW - 1000, failures: 0, ...RUN }, { instance: 4 });
  const out = transition(m, { type: "replaced", pid: 6000, instance: 4 }, policy(), NOW);
  assert.equal(out.model.state.type, "running");
  assert.equal(out.model.state.type === "running" && out.model.state.pid, 6000);
  assert.equal(out.model.restarts, 3);
  assert.deepEqual(out.effects, [
    {
      type: "kill",
      pid: RUN.pid,
      instance: RUN.instance,
      signal: "SIGTERM",
      timeoutMs: policy().stop.timeoutMs,
    },
  ]);
});

test("a candidate is adopted when the instance it replaces died meanwhile (backoff), and the timer dropped", () => {
  const m = model(
    { type: "backoff", delayMs: 400, untilMs: NOW + 400, reason: "exited with code 1" },
    { instance: 4 },
  );
  const out = transition(m, { type: "replaced", pid: 6000, instance: 4 }, policy(), NOW);
  assert.equal(out.model.state.type, "running");
  assert.deepEqual(out.effects, [{ type: "cancelSchedule" }]);
});

test("a candidate is not adopted by a stopped or stopping job", () => {
  for (const state of [{ type: "stopped" }, stopping("stopped", null)] as JobState[]) {
    const out = transition(model(state), { type: "replaced", pid: 6000, instance: 4 }, policy(), NOW);
    assert.equal(out.model.state.type, state.type);
    assert.deepEqual(out.effects, []);
  }
});
