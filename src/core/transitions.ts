// The one transition table of a job (SPEC 6): every (state, event) pair is decided here, purely. The daemon
// feeds events (commands, spawns, exits, check results, timers) and carries out the effects. docs/states.md
// draws the same table; test/unit/states-diagram.test.ts keeps the two in step.

import type { CheckStatus } from "../protocol/control.js";
import type { JobConfig } from "../protocol/jobspec.js";
import type { JobStateName } from "../protocol/states.js";
import { type JobModel, type JobState, liveInstance, type Running } from "./job-state.js";

export type JobEvent =
  | { type: "start"; depsReady: boolean; depsReason: string | null }
  | { type: "stop" }
  | { type: "restart"; depsReady: boolean; depsReason: string | null }
  | { type: "depsReady" }
  | { type: "spawned"; pid: number }
  | { type: "spawnFailed"; message: string }
  | { type: "exit"; instance: number; code: number | null; signal: string | null }
  | { type: "check"; instance: number; status: CheckStatus; message: string | null }
  | { type: "backoffElapsed" }
  | { type: "reload" }
  | { type: "replaced"; pid: number; instance: number };

export type JobEventType = JobEvent["type"];

export const JOB_EVENT_TYPES: readonly JobEventType[] = [
  "start",
  "stop",
  "restart",
  "depsReady",
  "spawned",
  "spawnFailed",
  "exit",
  "check",
  "backoffElapsed",
  "reload",
  "replaced",
];

export type Effect =
  | { type: "spawn"; instance: number }
  | { type: "kill"; pid: number; instance: number; signal: NodeJS.Signals; timeoutMs: number }
  | { type: "spawnCandidate"; instance: number }
  | { type: "schedule"; delayMs: number }
  | { type: "cancelSchedule" };

export type JobPolicy = Pick<JobConfig, "restart" | "backoff" | "maxRestarts" | "check" | "stop">;

export interface Outcome {
  model: JobModel;
  effects: Effect[];
}

type Rule<E extends JobEventType> = {
  /** Every state this rule can lead to (the diagram's arrows); the source state when it may stay. */
  to: readonly JobStateName[];
  run: (m: JobModel, e: Extract<JobEvent, { type: E }>, policy: JobPolicy, nowMs: number) => Outcome;
};

type Table = { [S in JobStateName]: { [E in JobEventType]: Rule<E> } };

const same = (m: JobModel): Outcome => ({ model: m, effects: [] });
const ignore = <S extends JobStateName>(s: S) => ({ to: [s] as const, run: same });

function enter(m: JobModel, state: JobState, effects: Effect[] = [], patch: Partial<JobModel> = {}): Outcome {
  return { model: { ...m, ...patch, state }, effects };
}

/** Ask the shell to spawn the next instance; the state moves on `spawned` or `spawnFailed`. */
function spawn(m: JobModel, patch: Partial<JobModel> = {}): Outcome {
  const next = { ...m, ...patch, want: "up" as const, note: null };
  return { model: next, effects: [{ type: "spawn", instance: next.instance + 1 }] };
}

/** Spawn after the live instance is gone: rest in `backoff` (no delay) until `spawned` or `spawnFailed`. */
function respawn(m: JobModel, nowMs: number, reason: string, patch: Partial<JobModel> = {}): Outcome {
  const out = spawn(m, patch);
  return { ...out, model: { ...out.model, state: { type: "backoff", delayMs: 0, untilMs: nowMs, reason } } };
}

/** Every start goes through `waiting`: there it waits for `after`, or (ready) asks for the spawn at once. */
function startFromRest(m: JobModel, e: { depsReady: boolean; depsReason: string | null }): Outcome {
  const fresh = { attempt: 0, restartTimesMs: [], want: "up" as const, note: null };
  const waiting = enter(m, { type: "waiting", reason: e.depsReady ? null : e.depsReason }, [], fresh).model;
  return e.depsReady ? spawn(waiting) : same(waiting);
}

function kill(run: Running, policy: JobPolicy): Effect {
  return {
    type: "kill",
    pid: run.pid,
    instance: run.instance,
    signal: policy.stop.signal,
    timeoutMs: policy.stop.timeoutMs,
  };
}

function stopLive(
  m: JobModel,
  policy: JobPolicy,
  next: "stopped" | "start",
  patch: Partial<JobModel> = {},
): Outcome {
  const run = liveInstance(m.state);
  if (!run) return same(m);
  const readyAtMs = "readyAtMs" in m.state ? m.state.readyAtMs : null;
  return enter(m, { type: "stopping", next, readyAtMs, ...run }, [kill(run, policy)], patch);
}

/** Counts a restart against maxRestarts; returns the recent restart times, or null when over the limit. */
function countRestart(m: JobModel, policy: JobPolicy, nowMs: number): number[] | null {
  const limit = policy.maxRestarts;
  if (!limit) return [];
  const recent = m.restartTimesMs.filter((t) => nowMs - t < limit.windowMs);
  recent.push(nowMs);
  return recent.length > limit.count ? null : recent;
}

function shouldRestart(policy: JobPolicy, code: number | null, signal: string | null): boolean {
  switch (policy.restart) {
    case "always":
      return true;
    case "on-failure":
      return code !== 0 || signal !== null;
    case "never":
      return false;
  }
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `killed by ${signal}` : `exited with code ${code}`;
}

/** An instance ended (or never started) while the job should be up: backoff, exited or failed. */
function afterExit(
  m: JobModel,
  policy: JobPolicy,
  nowMs: number,
  exit: { code: number | null; signal: string | null },
  readyAtMs: number | null,
  why: string,
): Outcome {
  if (!shouldRestart(policy, exit.code, exit.signal)) {
    return enter(m, { type: "exited", code: exit.code, signal: exit.signal }, [], { note: why });
  }
  const recent = countRestart(m, policy, nowMs);
  if (recent === null) {
    const limit = policy.maxRestarts!;
    const reason = `${why}; more than ${limit.count} restarts within ${limit.windowMs} ms`;
    return enter(m, { type: "failed", reason }, [], { note: reason, restartTimesMs: [] });
  }
  const stable = readyAtMs !== null && nowMs - readyAtMs >= policy.backoff.resetAfterMs;
  const attempt = stable ? 0 : m.attempt;
  const delayMs =
    stable && attempt === 0
      ? 0
      : Math.min(
          policy.backoff.maxMs,
          Math.round(policy.backoff.initialMs * policy.backoff.factor ** attempt),
        );
  const patch = {
    attempt: stable ? 0 : attempt + 1,
    restartTimesMs: recent,
    restarts: m.restarts + 1,
    note: why,
  };
  if (delayMs === 0) return respawn(m, nowMs, why, patch);
  return enter(
    m,
    { type: "backoff", delayMs, untilMs: nowMs + delayMs, reason: why },
    [{ type: "schedule", delayMs }],
    patch,
  );
}

function onExit(
  m: JobModel,
  e: Extract<JobEvent, { type: "exit" }>,
  policy: JobPolicy,
  nowMs: number,
): Outcome {
  const run = liveInstance(m.state);
  if (!run || run.instance !== e.instance) return same(m);
  const lastExit = { code: e.code, signal: e.signal, atMs: nowMs };
  const exited = { ...m, lastExit };
  if (m.state.type === "stopping") {
    if (m.state.next === "start") return respawn(exited, nowMs, "restarting", { restarts: m.restarts + 1 });
    if (m.state.next === "failed")
      return enter(exited, { type: "failed", reason: m.note ?? "too many restarts" });
    return enter(exited, { type: "stopped" }, [], { note: null });
  }
  const readyAtMs = "readyAtMs" in m.state ? m.state.readyAtMs : null;
  return afterExit(exited, policy, nowMs, e, readyAtMs, describeExit(e.code, e.signal));
}

function onCheck(
  m: JobModel,
  e: Extract<JobEvent, { type: "check" }>,
  policy: JobPolicy,
  nowMs: number,
): Outcome {
  const s = m.state;
  if (s.type !== "starting" && s.type !== "running" && s.type !== "degraded") return same(m);
  if (s.instance !== e.instance) return same(m);
  const lastCheck = { status: e.status, message: e.message, atMs: nowMs };
  const run: Running = { pid: s.pid, instance: s.instance, spawnedAtMs: s.spawnedAtMs };
  const readyAtMs = s.type === "starting" ? nowMs : s.readyAtMs;
  if (e.status === "ok")
    return enter(m, { type: "running", readyAtMs, failures: 0, ...run }, [], { lastCheck });
  if (e.status === "degraded")
    return enter(m, { type: "degraded", readyAtMs, failures: 0, ...run }, [], { lastCheck });
  const limit = policy.check?.failures ?? 1;
  const inGrace = s.type === "starting" && nowMs - s.spawnedAtMs < (policy.check?.graceMs ?? 0);
  const failures = inGrace ? 0 : s.failures + 1;
  if (failures < limit) return enter(m, { ...s, failures }, [], { lastCheck });
  const why = `check failed ${failures} time${failures === 1 ? "" : "s"} in a row: ${e.message ?? "no reason given"}`;
  const recent = countRestart(m, policy, nowMs);
  if (recent === null) {
    const limit2 = policy.maxRestarts!;
    const reason = `${why}; more than ${limit2.count} restarts within ${limit2.windowMs} ms`;
    return enter(m, { type: "stopping", next: "failed", readyAtMs: null, ...run }, [kill(run, policy)], {
      lastCheck,
      note: reason,
    });
  }
  return stopLive(m, policy, "start", { lastCheck, note: why, restartTimesMs: recent });
}

/** A job without a check is ready as soon as its process exists; one with a check starts `starting`. */
function spawned(
  m: JobModel,
  e: Extract<JobEvent, { type: "spawned" }>,
  policy: JobPolicy,
  nowMs: number,
): Outcome {
  const instance = m.instance + 1;
  const run: Running = { pid: e.pid, instance, spawnedAtMs: nowMs };
  const state: JobState =
    policy.check === null
      ? { type: "running", readyAtMs: nowMs, failures: 0, ...run }
      : { type: "starting", failures: 0, ...run };
  return enter(m, state, [], { instance, want: "up" });
}

function spawnFailed(
  m: JobModel,
  e: Extract<JobEvent, { type: "spawnFailed" }>,
  policy: JobPolicy,
  nowMs: number,
): Outcome {
  const instance = m.instance + 1;
  return afterExit({ ...m, instance }, policy, nowMs, { code: null, signal: null }, null, e.message);
}

/** Reload by "replace": a second instance on the same sockets; the live one serves until it is ready. */
function reloadLive(m: JobModel): Outcome {
  const instance = m.instance + 1;
  return { model: { ...m, instance, want: "up" }, effects: [{ type: "spawnCandidate", instance }] };
}

/** The candidate of a reload is ready: it becomes the live instance, and the one it replaces is stopped. */
function replaced(
  m: JobModel,
  e: Extract<JobEvent, { type: "replaced" }>,
  policy: JobPolicy,
  nowMs: number,
): Outcome {
  const old = liveInstance(m.state);
  const effects: Effect[] = old ? [kill(old, policy)] : [{ type: "cancelSchedule" }];
  const run: Running = { pid: e.pid, instance: e.instance, spawnedAtMs: nowMs };
  return enter(m, { type: "running", readyAtMs: nowMs, failures: 0, ...run }, effects, {
    instance: Math.max(m.instance, e.instance),
    restarts: m.restarts + 1,
    want: "up",
    note: null,
  });
}

/** waiting and backoff are where a spawn is asked for; the spawn's outcome arrives there. */
const pendingRules = <S extends "waiting" | "backoff">(s: S) => ({
  start: { to: [s, "waiting"] as const, run: startFromRest },
  restart: { to: [s, "waiting"] as const, run: startFromRest },
  spawned: { to: ["starting", "running"] as const, run: spawned },
  spawnFailed: { to: ["backoff", "exited", "failed"] as const, run: spawnFailed },
  exit: ignore(s),
  check: ignore(s),
  reload: ignore(s),
});

/** stopped, exited and failed have no process and ask for none until a start. */
const restRules = <S extends "stopped" | "exited" | "failed">(s: S) => ({
  start: { to: ["waiting"] as const, run: startFromRest },
  restart: { to: ["waiting"] as const, run: startFromRest },
  spawned: ignore(s),
  spawnFailed: ignore(s),
  exit: ignore(s),
  check: ignore(s),
  depsReady: ignore(s),
  backoffElapsed: ignore(s),
  reload: ignore(s),
  replaced: ignore(s),
});

const liveRules = <S extends "starting" | "running" | "degraded">(s: S) => ({
  start: ignore(s),
  stop: {
    to: ["stopping"] as const,
    run: (m: JobModel, _e: JobEvent, p: JobPolicy) => stopLive({ ...m, want: "down" }, p, "stopped"),
  },
  restart: {
    to: ["stopping"] as const,
    run: (m: JobModel, _e: JobEvent, p: JobPolicy) => stopLive({ ...m, want: "up" }, p, "start"),
  },
  depsReady: ignore(s),
  spawned: ignore(s),
  spawnFailed: ignore(s),
  exit: { to: [s, "backoff", "exited", "failed"] as const, run: onExit },
  check: { to: [s, "running", "degraded", "stopping"] as const, run: onCheck },
  backoffElapsed: ignore(s),
  // A reload while still starting replaces nothing that serves: it is a restart.
  reload:
    s === "starting"
      ? {
          to: ["stopping"] as const,
          run: (m: JobModel, _e: JobEvent, p: JobPolicy) => stopLive({ ...m, want: "up" }, p, "start"),
        }
      : { to: [s] as const, run: reloadLive },
  replaced: { to: ["running"] as const, run: replaced },
});

/** start or restart during backoff: drop the timer and start now (or wait for dependencies). */
function startNow(m: JobModel, e: { depsReady: boolean; depsReason: string | null }): Outcome {
  const out = startFromRest(m, e);
  return { ...out, effects: [{ type: "cancelSchedule" }, ...out.effects] };
}

const toStopped = (m: JobModel): Outcome => enter(m, { type: "stopped" }, [], { want: "down", note: null });

export const TABLE: Table = {
  waiting: {
    ...pendingRules("waiting"),
    stop: { to: ["stopped"], run: toStopped },
    depsReady: { to: ["waiting"], run: (m) => (m.want === "up" ? spawn(m) : same(m)) },
    backoffElapsed: ignore("waiting"),
    replaced: ignore("waiting"),
  },
  starting: liveRules("starting"),
  running: liveRules("running"),
  degraded: liveRules("degraded"),
  stopping: {
    start: {
      to: ["stopping"],
      run: (m) =>
        m.state.type === "stopping" ? enter(m, { ...m.state, next: "start" }, [], { want: "up" }) : same(m),
    },
    stop: {
      to: ["stopping"],
      run: (m) =>
        m.state.type === "stopping"
          ? enter(m, { ...m.state, next: "stopped" }, [], { want: "down" })
          : same(m),
    },
    restart: {
      to: ["stopping"],
      run: (m) =>
        m.state.type === "stopping" ? enter(m, { ...m.state, next: "start" }, [], { want: "up" }) : same(m),
    },
    depsReady: ignore("stopping"),
    spawned: ignore("stopping"),
    spawnFailed: ignore("stopping"),
    exit: { to: ["stopping", "stopped", "backoff", "failed"], run: onExit },
    check: ignore("stopping"),
    backoffElapsed: ignore("stopping"),
    reload: ignore("stopping"),
    replaced: ignore("stopping"),
  },
  stopped: {
    ...restRules("stopped"),
    stop: ignore("stopped"),
  },
  backoff: {
    ...pendingRules("backoff"),
    start: { to: ["waiting"], run: startNow },
    restart: { to: ["waiting"], run: startNow },
    stop: {
      to: ["stopped"],
      run: (m) => enter(m, { type: "stopped" }, [{ type: "cancelSchedule" }], { want: "down", note: null }),
    },
    depsReady: ignore("backoff"),
    backoffElapsed: { to: ["backoff"], run: (m) => spawn(m) },
    // The instance a reload replaces died meanwhile: its candidate is adopted instead of a new spawn.
    replaced: { to: ["running"], run: replaced },
  },
  exited: {
    ...restRules("exited"),
    stop: { to: ["stopped"], run: toStopped },
  },
  failed: {
    ...restRules("failed"),
    stop: { to: ["stopped"], run: toStopped },
  },
};

/** The one entry point: the next model and the effects to carry out. */
export function transition(m: JobModel, e: JobEvent, policy: JobPolicy, nowMs: number): Outcome {
  const rule = TABLE[m.state.type][e.type] as Rule<typeof e.type>;
  return rule.run(m, e as never, policy, nowMs);
}
