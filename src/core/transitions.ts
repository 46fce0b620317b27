// The one transition table of an instance (SPEC 6): every (state, event) pair is decided here, purely, from
// the model, the event, the policy and the time. Spawning, readiness, checks and their timers, backoff,
// stopping and a reload's candidate are all states or state data here; the daemon only carries out the effects.
// docs/states.md draws the same table; test/unit/states-diagram.test.ts keeps the two in step.

import type { JobStateName } from "../protocol/states.js";
import type { Deps, Effect, InstanceEvent, InstanceEventType } from "./instance-events.js";
import {
  asProc,
  type Candidate,
  type InstanceModel,
  type InstanceState,
  liveProc,
  type Proc,
  type StopNext,
  unreachable,
} from "./instance-state.js";
import { CANDIDATE_CHECK_MS, type InstancePolicy, STARTING_CHECK_MS } from "./policy.js";

export interface Outcome {
  model: InstanceModel;
  effects: Effect[];
}

type Run<E extends InstanceEventType> = (
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: E }>,
  p: InstancePolicy,
  nowMs: number,
) => Outcome;

type Rule<E extends InstanceEventType> = {
  /** Every state this rule can lead to (the diagram's arrows); the source state when it may stay. */
  to: readonly JobStateName[];
  run: Run<E>;
};

type Table = { [S in JobStateName]: { [E in InstanceEventType]: Rule<E> } };

type Live = Extract<InstanceState, { type: "running" | "degraded" }>;

const same = (m: InstanceModel): Outcome => ({ model: m, effects: [] });
const ignore = <S extends JobStateName>(s: S) => ({ to: [s] as const, run: same });

function enter(
  m: InstanceModel,
  state: InstanceState,
  effects: Effect[] = [],
  patch: Partial<InstanceModel> = {},
): Outcome {
  return { model: { ...m, ...patch, state }, effects };
}

// ---- effects -----------------------------------------------------------------------------------------------

function kill(proc: Proc, p: InstancePolicy, ask = false): Effect[] {
  // A process still being spawned is stopped when its `spawned` arrives.
  if (proc.pid === null) return forget(proc.run);
  return [
    ...forget(proc.run),
    { type: "kill", run: proc.run, signal: p.stop.signal, timeoutMs: p.stop.timeoutMs, ask },
  ];
}

/** Nothing more is asked about this process: its pending check and ready timer go. */
function forget(run: number): Effect[] {
  return [
    { type: "cancelCheck", run },
    { type: "cancelTimer", timer: "ready", run },
    { type: "cancelTimer", timer: "watchdog", run },
  ];
}

/** Once ready (with ready "notify" and a watchdog): the first ping must come within watchdogMs. */
function watchdogFrom(run: number, p: InstancePolicy): Effect[] {
  return p.ready === "notify" && p.watchdogMs !== null
    ? [{ type: "timer", timer: "watchdog", run, delayMs: p.watchdogMs }]
    : [];
}

function checkAfter(run: number, delayMs: number, p: InstancePolicy): Effect[] {
  return p.check ? [{ type: "check", run, delayMs, timeoutMs: p.check.timeoutMs }] : [];
}

// ---- spawning ----------------------------------------------------------------------------------------------

/** Ask for the next process: the instance is `starting` with no pid until `spawned` or `spawnFailed`. */
function spawn(m: InstanceModel, nowMs: number, patch: Partial<InstanceModel> = {}, effects: Effect[] = []) {
  const run = m.run + 1;
  const proc: Proc = { run, pid: null, spawnedAtMs: nowMs, adopted: false };
  return enter(m, { type: "starting", proc, failures: 0 }, [...effects, { type: "spawn", run }], {
    ...patch,
    run,
    want: "up",
    statusText: null,
  });
}

/** start or restart from a state with no process: fresh counters, then spawn or wait for `after`. */
function startFromRest(
  m: InstanceModel,
  e: { cmd: number; deps: Deps },
  nowMs: number,
  effects: Effect[] = [],
): Outcome {
  const fresh = { attempt: 0, restartTimesMs: [], want: "up" as const, note: null, cmd: e.cmd };
  if (e.deps.ready) return spawn(m, nowMs, fresh, effects);
  return enter(m, { type: "waiting", reason: e.deps.reason }, effects, fresh);
}

/** The process exists: record its pid; ready at once when nothing else decides readiness. */
function spawned(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "spawned" }>,
  p: InstancePolicy,
  nowMs: number,
) {
  const s = m.state;
  if (s.type === "starting" && s.proc.run === e.run && s.proc.pid === null) {
    const proc: Proc = { ...s.proc, pid: e.pid, spawnedAtMs: nowMs };
    const checks = checkAfter(e.run, Math.min(p.check?.intervalMs ?? 0, STARTING_CHECK_MS), p);
    if (p.ready === "check" && p.check === null) {
      // Ready: what explained the start (a restart, a crash) is history now; lastExit keeps it.
      return enter(
        m,
        { type: "running", proc, readyAtMs: nowMs, failures: 0, candidate: null, oneShot: false },
        [],
        { note: null },
      );
    }
    const timer: Effect[] =
      p.ready === "check" ? [] : [{ type: "timer", timer: "ready", run: e.run, delayMs: p.readyTimeoutMs }];
    return enter(m, { type: "starting", proc, failures: 0 }, [...checks, ...timer]);
  }
  if (
    (s.type === "running" || s.type === "degraded") &&
    s.candidate?.run === e.run &&
    s.candidate.pid === null
  ) {
    const candidate: Candidate = { ...s.candidate, pid: e.pid, spawnedAtMs: nowMs };
    const live: Live = { ...s, candidate };
    if (p.ready === "check" && p.check === null) return promote(m, live, p, nowMs);
    const checks =
      p.ready === "check" ? checkAfter(e.run, Math.min(p.check?.intervalMs ?? 0, CANDIDATE_CHECK_MS), p) : [];
    return enter(m, live, [
      ...checks,
      { type: "timer", timer: "ready", run: e.run, delayMs: p.readyTimeoutMs },
    ]);
  }
  if (s.type === "stopping" && s.proc.run === e.run && s.proc.pid === null) {
    const proc: Proc = { ...s.proc, pid: e.pid, spawnedAtMs: nowMs };
    return enter(m, { ...s, proc }, kill(proc, p));
  }
  return stray(m, e.run, e.pid, p, nowMs);
}

/** A process the state no longer expects (a candidate whose reload was ended meanwhile): stop it. */
function stray(m: InstanceModel, run: number, pid: number, p: InstancePolicy, nowMs: number): Outcome {
  if (m.retiring.some((r) => r.run === run)) return same(m);
  const proc: Proc = { run, pid, spawnedAtMs: nowMs, adopted: false };
  return { model: { ...m, retiring: [...m.retiring, proc] }, effects: kill(proc, p) };
}

function spawnFailed(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "spawnFailed" }>,
  p: InstancePolicy,
  nowMs: number,
): Outcome {
  const s = m.state;
  if (s.type === "starting" && s.proc.run === e.run) {
    return afterExit(m, p, nowMs, { code: null, signal: null }, null, e.message, s.proc);
  }
  if ((s.type === "running" || s.type === "degraded") && s.candidate?.run === e.run) {
    return dropCandidate(m, s, `the new instance could not start: ${e.message}`, []);
  }
  if (s.type === "stopping" && s.proc.run === e.run) return afterStop(m, s.next, p, nowMs);
  return same(m);
}

// ---- exits -------------------------------------------------------------------------------------------------

function restartPolicySays(p: InstancePolicy, code: number | null, signal: string | null): boolean {
  switch (p.restart) {
    case "always":
      return true;
    case "on-failure":
      return code !== 0 || signal !== null;
    case "never":
      return false;
    default:
      return unreachable(p.restart);
  }
}

export function describeExit(code: number | null, signal: string | null): string {
  return signal
    ? `killed by ${signal}`
    : code === null
      ? "exited (code unknown)"
      : `exited with code ${code}`;
}

/** Counts a restart against maxRestarts; returns the recent restart times, or null when over the limit. */
function countRestart(m: InstanceModel, p: InstancePolicy, nowMs: number): number[] | null {
  const limit = p.maxRestarts;
  if (!limit) return [];
  const recent = m.restartTimesMs.filter((t) => nowMs - t < limit.windowMs);
  recent.push(nowMs);
  return recent.length > limit.count ? null : recent;
}

function tooMany(p: InstancePolicy, why: string): string {
  const limit = p.maxRestarts!;
  return `${why}; more than ${limit.count} restarts within ${limit.windowMs} ms`;
}

/**
 * A process ended (or never started) while the instance should be up: exited, failed, an immediate respawn
 * after a stable run, or backoff.
 */
function afterExit(
  m: InstanceModel,
  p: InstancePolicy,
  nowMs: number,
  exit: { code: number | null; signal: string | null },
  readyAtMs: number | null,
  why: string,
  gone: Proc,
): Outcome {
  const cleanup = forget(gone.run);
  if (!restartPolicySays(p, exit.code, exit.signal)) {
    return enter(m, { type: "exited", code: exit.code, signal: exit.signal }, cleanup, { note: why });
  }
  const recent = countRestart(m, p, nowMs);
  if (recent === null) {
    const reason = tooMany(p, why);
    return enter(m, { type: "failed", reason }, cleanup, { note: reason, restartTimesMs: [] });
  }
  const stable = readyAtMs !== null && nowMs - readyAtMs >= p.backoff.resetAfterMs;
  const patch = { attempt: stable ? 0 : m.attempt + 1, restartTimesMs: recent, restarts: m.restarts + 1 };
  // The first restart after a stable run is immediate: no backoff at all, straight to the next process.
  if (stable)
    return spawn(m, nowMs, { ...patch, note: `${why}; restarted at once after a stable run` }, cleanup);
  const delayMs = Math.min(p.backoff.maxMs, Math.round(p.backoff.initialMs * p.backoff.factor ** m.attempt));
  // A backoff of 0 ms (initialMs or maxMs 0) is no wait either: a timer would cost a turn of the event loop
  // and at least a millisecond (Node's shortest timeout) between the exit and the next process.
  if (delayMs === 0) return spawn(m, nowMs, { ...patch, note: why }, cleanup);
  return enter(
    m,
    { type: "backoff", delayMs, untilMs: nowMs + delayMs, reason: why },
    [...cleanup, { type: "timer", timer: "backoff", run: 0, delayMs }],
    { ...patch, note: why },
  );
}

/** The exit of the process being stopped: what `next` says. */
function afterStop(m: InstanceModel, next: StopNext, p: InstancePolicy, nowMs: number): Outcome {
  const s = m.state;
  const proc = liveProc(s)!;
  const readyAtMs = s.type === "stopping" ? s.readyAtMs : null;
  switch (next) {
    case "stopped":
      return enter(m, { type: "stopped" }, forget(proc.run), { note: null });
    case "start":
      return spawn(m, nowMs, { restarts: m.restarts + 1, note: "restarting" }, forget(proc.run));
    case "failed":
      return enter(m, { type: "failed", reason: m.note ?? "too many restarts" }, forget(proc.run));
    case "recover": {
      const last = m.lastExit;
      return afterExit(
        m,
        p,
        nowMs,
        last ?? { code: null, signal: null },
        readyAtMs,
        m.note ?? "stopped",
        proc,
      );
    }
    default:
      return unreachable(next);
  }
}

function onExit(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "exit" }>,
  p: InstancePolicy,
  nowMs: number,
) {
  const retiring = m.retiring.filter((r) => r.run !== e.run);
  if (retiring.length !== m.retiring.length) return same({ ...m, retiring });
  const s = m.state;
  if ((s.type === "running" || s.type === "degraded") && s.candidate?.run === e.run) {
    const why = `the new instance ${describeExit(e.code, e.signal)} before it was ready`;
    return dropCandidate(m, s, why, forget(e.run));
  }
  const proc = liveProc(s);
  if (!proc || proc.run !== e.run) return same(m);
  const lastExit = { code: e.code, signal: e.signal, atMs: nowMs };
  const exited = { ...m, lastExit };
  if (s.type === "stopping") return afterStop(exited, s.next, p, nowMs);
  const why = describeExit(e.code, e.signal);
  // The original's one-shot rule (SPEC 3.2): exit 0 before any ok check, or with no check at all, is done.
  const done =
    p.legacy &&
    e.code === 0 &&
    e.signal === null &&
    (s.type === "starting" || ((s.type === "running" || s.type === "degraded") && s.oneShot));
  if (done) {
    return enter(exited, { type: "exited", code: 0, signal: null }, forget(e.run), {
      note: "finished with exit code 0: a job with no check that ends well is done (legacy)",
    });
  }
  if ((s.type === "running" || s.type === "degraded") && s.candidate !== null) {
    // The old process died during a reload: its candidate becomes the instance's start.
    const candidate = asProc(s.candidate);
    return enter(exited, { type: "starting", proc: candidate, failures: 0 }, forget(e.run), {
      restarts: m.restarts + 1,
      note: `${why} during a reload; its new process takes over`,
    });
  }
  const readyAtMs = s.type === "running" || s.type === "degraded" ? s.readyAtMs : null;
  return afterExit(exited, p, nowMs, e, readyAtMs, why, proc);
}

// ---- checks and readiness ----------------------------------------------------------------------------------

function onCheck(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "check" }>,
  p: InstancePolicy,
  nowMs: number,
) {
  const s = m.state;
  if ((s.type === "running" || s.type === "degraded") && s.candidate?.run === e.run) {
    if (e.status !== "fail" && p.ready === "check") return promote(m, s, p, nowMs);
    const candidate: Candidate = { ...s.candidate, lastCheck: e.message ?? e.status };
    const again = checkAfter(e.run, e.nextMs ?? Math.min(p.check?.intervalMs ?? 0, CANDIDATE_CHECK_MS), p);
    return enter(m, { ...s, candidate }, again);
  }
  if (s.type !== "starting" && s.type !== "running" && s.type !== "degraded") return same(m);
  if (s.proc.run !== e.run) return same(m);
  const lastCheck = { status: e.status, message: e.message, atMs: nowMs };
  const interval = p.check?.intervalMs ?? STARTING_CHECK_MS;
  if (e.status === "ok" || e.status === "degraded") {
    const type = e.status === "ok" ? "running" : "degraded";
    if (s.type === "starting") {
      const again = checkAfter(e.run, e.nextMs ?? Math.min(interval, STARTING_CHECK_MS), p);
      if (p.ready !== "check") return enter(m, { ...s, failures: 0 }, again, { lastCheck });
      const state: InstanceState = {
        type,
        proc: s.proc,
        readyAtMs: nowMs,
        failures: 0,
        candidate: null,
        oneShot: e.noCheck === true,
      };
      return enter(m, state, checkAfter(e.run, e.nextMs ?? interval, p), { lastCheck, note: null });
    }
    const state: InstanceState = { ...s, type, failures: 0, oneShot: s.oneShot || e.noCheck === true };
    return enter(m, state, checkAfter(e.run, e.nextMs ?? interval, p), { lastCheck });
  }
  const limit = p.check?.failures ?? 1;
  const inGrace = s.type === "starting" && nowMs - s.proc.spawnedAtMs < (p.check?.graceMs ?? 0);
  const failures = inGrace ? 0 : s.failures + 1;
  if (failures < limit) {
    const delay = e.nextMs ?? (s.type === "starting" ? Math.min(interval, STARTING_CHECK_MS) : interval);
    return enter(m, { ...s, failures }, checkAfter(e.run, delay, p), { lastCheck });
  }
  const why = `check failed ${failures} time${failures === 1 ? "" : "s"} in a row: ${e.message ?? "no reason given"}`;
  const recent = countRestart(m, p, nowMs);
  const next: StopNext = recent === null ? "failed" : "start";
  const note = recent === null ? tooMany(p, why) : why;
  const patch = { lastCheck, note, ...(recent === null ? {} : { restartTimesMs: recent }) };
  return stopLive(m, p, next, patch, p.legacy);
}

function onCheckSkipped(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "checkSkipped" }>,
  p: InstancePolicy,
) {
  const s = m.state;
  const candidate = (s.type === "running" || s.type === "degraded") && s.candidate?.run === e.run;
  const live =
    (s.type === "starting" || s.type === "running" || s.type === "degraded") && s.proc.run === e.run;
  if (!candidate && !live) return same(m);
  const fallback = candidate
    ? CANDIDATE_CHECK_MS
    : s.type === "starting"
      ? STARTING_CHECK_MS
      : Number.POSITIVE_INFINITY;
  const delay = e.nextMs ?? Math.min(p.check?.intervalMs ?? 0, fallback);
  return enter(m, s, checkAfter(e.run, delay, p));
}

function onReady(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "ready" }>,
  p: InstancePolicy,
  nowMs: number,
) {
  const s = m.state;
  if (p.ready === "check") return same(m);
  if (
    (s.type === "running" || s.type === "degraded") &&
    s.candidate?.run === e.run &&
    s.candidate.pid !== null
  ) {
    return promote(m, s, p, nowMs);
  }
  if (s.type === "starting" && s.proc.run === e.run && s.proc.pid !== null) {
    const state: InstanceState = {
      type: "running",
      proc: s.proc,
      readyAtMs: nowMs,
      failures: 0,
      candidate: null,
      oneShot: false,
    };
    return enter(m, state, [{ type: "cancelTimer", timer: "ready", run: e.run }, ...watchdogFrom(e.run, p)], {
      note: null,
    });
  }
  return same(m);
}

/** STATUS= of the live process. */
function onStatusText(m: InstanceModel, e: Extract<InstanceEvent, { type: "statusText" }>): Outcome {
  const proc = liveProc(m.state);
  if (!proc || proc.run !== e.run || m.statusText === e.text) return same(m);
  return same({ ...m, statusText: e.text });
}

/** WATCHDOG=1 of the live, ready process: the next must come within watchdogMs. */
function onWatchdog(m: InstanceModel, e: Extract<InstanceEvent, { type: "watchdog" }>, p: InstancePolicy) {
  const s = m.state;
  if ((s.type !== "running" && s.type !== "degraded") || s.proc.run !== e.run) return same(m);
  return enter(m, s, watchdogFrom(e.run, p));
}

/** A missing WATCHDOG=1 is a failed check (SPEC 11), and the watch goes on. */
function onWatchdogTimeout(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "watchdogTimeout" }>,
  p: InstancePolicy,
  nowMs: number,
): Outcome {
  const s = m.state;
  if ((s.type !== "running" && s.type !== "degraded") || s.proc.run !== e.run) return same(m);
  const message = `no WATCHDOG=1 within ${p.watchdogMs} ms`;
  const failed = onCheck(m, { type: "check", run: e.run, status: "fail", message, nextMs: null }, p, nowMs);
  // The check rule re-arms a check of its own; a watchdog miss re-arms the watchdog instead.
  const effects = failed.effects.filter((x) => x.type !== "check" || p.check !== null);
  const still = failed.model.state.type === "running" || failed.model.state.type === "degraded";
  return { model: failed.model, effects: still ? [...effects, ...watchdogFrom(e.run, p)] : effects };
}

/** EXTEND_TIMEOUT_USEC=: more time to become ready (or a reload's candidate), or to stop. */
function onExtendTimeout(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "extendTimeout" }>,
  p: InstancePolicy,
) {
  const s = m.state;
  const waitingReady =
    (s.type === "starting" && s.proc.run === e.run && p.ready !== "check") ||
    ((s.type === "running" || s.type === "degraded") && s.candidate?.run === e.run);
  if (waitingReady) return enter(m, s, [{ type: "timer", timer: "ready", run: e.run, delayMs: e.ms }]);
  if (s.type === "stopping" && s.proc.run === e.run)
    return enter(m, s, [{ type: "extendKill", run: e.run, ms: e.ms }]);
  return same(m);
}

function onReadyTimeout(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "readyTimeout" }>,
  p: InstancePolicy,
) {
  const s = m.state;
  const within = `not ready within ${p.readyTimeoutMs} ms`;
  if ((s.type === "running" || s.type === "degraded") && s.candidate?.run === e.run) {
    const last = s.candidate.lastCheck;
    const why = `the new instance was ${within}${last !== null ? ` (last check: ${last})` : ""}`;
    return dropCandidate(m, s, why, kill(asProc(s.candidate), p));
  }
  const last = m.lastCheck?.message ?? m.lastCheck?.status ?? null;
  const why = `${within}${last !== null && p.check !== null ? ` (last check: ${last})` : ""}`;
  if (s.type === "starting" && s.proc.run === e.run) {
    return stopLive(m, p, "recover", { note: `a failed start: ${why}` });
  }
  return same(m);
}

// ---- reload by "replace" -----------------------------------------------------------------------------------

/** The candidate is ready: it serves from now on, and the process it replaces is stopped. */
function promote(m: InstanceModel, s: Live, p: InstancePolicy, nowMs: number): Outcome {
  const candidate = asProc(s.candidate!);
  const old = s.proc;
  const state: InstanceState = {
    type: "running",
    proc: candidate,
    readyAtMs: nowMs,
    failures: 0,
    candidate: null,
    oneShot: false,
  };
  // With readiness from the instance its checks (and its watchdog) start now; with checks they already run.
  const checks =
    p.ready === "check"
      ? []
      : [...checkAfter(candidate.run, p.check?.intervalMs ?? 0, p), ...watchdogFrom(candidate.run, p)];
  const effects = [
    ...kill(old, p),
    { type: "cancelTimer", timer: "ready", run: candidate.run } as const,
    ...checks,
  ];
  return enter(m, state, effects, {
    retiring: [...m.retiring, old],
    restarts: m.restarts + 1,
    note: null,
    reload: m.reload ? { ...m.reload, result: "ok" } : null,
  });
}

function dropCandidate(m: InstanceModel, s: Live, why: string, effects: Effect[]): Outcome {
  return enter(m, { ...s, candidate: null }, effects, {
    note: why,
    reload: m.reload ? { ...m.reload, result: { failed: why } } : null,
  });
}

/** stop, restart or a failed check of the live process: `stopping` with what follows; a candidate goes too. */
function stopLive(
  m: InstanceModel,
  p: InstancePolicy,
  next: StopNext,
  patch: Partial<InstanceModel> = {},
  ask = false,
): Outcome {
  const s = m.state;
  if (s.type !== "starting" && s.type !== "running" && s.type !== "degraded") return same(m);
  const effects = kill(s.proc, p, ask);
  let reload = patch.reload ?? m.reload;
  let retiring = m.retiring;
  if (s.type !== "starting" && s.candidate !== null) {
    effects.push(...kill(asProc(s.candidate), p));
    if (s.candidate.pid !== null) retiring = [...retiring, asProc(s.candidate)];
    const why =
      next === "stopped"
        ? "the job was stopped during the reload"
        : "the job was restarted during the reload";
    if (reload?.result === "pending") reload = { ...reload, result: { failed: why } };
  }
  const readyAtMs = s.type === "starting" ? null : s.readyAtMs;
  return enter(m, { type: "stopping", proc: s.proc, next, readyAtMs }, effects, {
    ...patch,
    reload,
    retiring,
  });
}

function reloadLive(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "reload" }>,
  p: InstancePolicy,
  nowMs: number,
) {
  const s = m.state;
  if (s.type !== "running" && s.type !== "degraded") return same(m);
  if (p.reload === "restart") return stopLive(m, p, "start", { want: "up", cmd: e.cmd, note: e.why });
  if (s.candidate !== null) {
    // A reload is under way: this command waits for the same candidate.
    return same({ ...m, cmd: e.cmd, reload: m.reload ? { ...m.reload, cmd: e.cmd } : null });
  }
  const run = m.run + 1;
  const candidate: Candidate = { run, pid: null, spawnedAtMs: nowMs, adopted: false, lastCheck: null };
  return enter(m, { ...s, candidate }, [{ type: "spawn", run }], {
    run,
    want: "up",
    cmd: e.cmd,
    note: e.why,
    reload: { cmd: e.cmd, result: "pending" },
  });
}

// ---- adoption (SPEC 13) ------------------------------------------------------------------------------------

/** A survivor of a previous god becomes the live process; its checks (and readiness wait) resume. */
function adopt(
  m: InstanceModel,
  e: Extract<InstanceEvent, { type: "adopt" }>,
  p: InstancePolicy,
  nowMs: number,
) {
  const proc: Proc = { run: e.run, pid: e.pid, spawnedAtMs: e.spawnedAtMs, adopted: true };
  const patch = {
    run: Math.max(m.run, e.run),
    want: "up" as const,
    cmd: e.cmd,
    note: "adopted from the previous god",
  };
  const interval = p.check?.intervalMs ?? STARTING_CHECK_MS;
  if (e.ready || (p.ready === "check" && p.check === null)) {
    const state: InstanceState = {
      type: "running",
      proc,
      readyAtMs: nowMs,
      failures: 0,
      candidate: null,
      oneShot: false,
    };
    return enter(m, state, [...checkAfter(e.run, interval, p), ...watchdogFrom(e.run, p)], patch);
  }
  const timer: Effect[] =
    p.ready === "check" ? [] : [{ type: "timer", timer: "ready", run: e.run, delayMs: p.readyTimeoutMs }];
  const checks = checkAfter(e.run, Math.min(interval, STARTING_CHECK_MS), p);
  return enter(m, { type: "starting", proc, failures: 0 }, [...checks, ...timer], patch);
}

// ---- the table ---------------------------------------------------------------------------------------------

const restRules = <S extends "stopped" | "exited" | "failed">(s: S) => ({
  adopt: { to: ["running", "starting"] as const, run: adopt },
  start: {
    to: ["starting", "waiting"] as const,
    run: (m: InstanceModel, e: { cmd: number; deps: Deps }, _p: InstancePolicy, now: number) =>
      startFromRest(m, e, now),
  },
  restart: {
    to: ["starting", "waiting"] as const,
    run: (m: InstanceModel, e: { cmd: number; deps: Deps }, _p: InstancePolicy, now: number) =>
      startFromRest(m, e, now),
  },
  reload: {
    to: ["starting", "waiting"] as const,
    run: (m: InstanceModel, e: { cmd: number; deps: Deps }, _p: InstancePolicy, now: number) =>
      startFromRest(m, e, now),
  },
  stop: {
    to: ["stopped"] as const,
    run: (m: InstanceModel, e: { cmd: number }) =>
      enter(m, { type: "stopped" }, [], { want: "down", note: s === "stopped" ? m.note : null, cmd: e.cmd }),
  },
  depsReady: ignore(s),
  spawned: { to: [s] as const, run: spawned },
  spawnFailed: ignore(s),
  exit: { to: [s] as const, run: onExit },
  check: ignore(s),
  checkSkipped: ignore(s),
  ready: ignore(s),
  readyTimeout: ignore(s),
  statusText: ignore(s),
  watchdog: ignore(s),
  watchdogTimeout: ignore(s),
  extendTimeout: ignore(s),
  backoffElapsed: ignore(s),
});

const liveRules = <S extends "starting" | "running" | "degraded">(s: S) => ({
  adopt: ignore(s),
  start: {
    to: [s] as const,
    run: (m: InstanceModel, e: { cmd: number }) => same({ ...m, want: "up", cmd: e.cmd }),
  },
  stop: {
    to: ["stopping"] as const,
    run: (m: InstanceModel, e: { cmd: number }, p: InstancePolicy) =>
      stopLive(m, p, "stopped", { want: "down", cmd: e.cmd }),
  },
  restart: {
    to: ["stopping"] as const,
    run: (m: InstanceModel, e: { cmd: number }, p: InstancePolicy) =>
      stopLive(m, p, "start", { want: "up", cmd: e.cmd }),
  },
  // A reload while still starting replaces nothing that serves: it is a restart.
  reload:
    s === "starting"
      ? {
          to: ["stopping"] as const,
          run: (m: InstanceModel, e: { cmd: number; why: string }, p: InstancePolicy) =>
            stopLive(m, p, "start", { want: "up", cmd: e.cmd, note: e.why }),
        }
      : { to: [s, "stopping"] as const, run: reloadLive },
  depsReady: ignore(s),
  // running and degraded: only a reload's candidate is spawned (without a check it is ready at once).
  spawned: { to: s === "starting" ? ([s, "running"] as const) : ([s, "running"] as const), run: spawned },
  // starting: its own process; running and degraded: only a candidate, which leaves the state as it is.
  spawnFailed:
    s === "starting"
      ? { to: [s, "starting", "backoff", "exited", "failed"] as const, run: spawnFailed }
      : { to: [s] as const, run: spawnFailed },
  exit: { to: [s, "starting", "backoff", "exited", "failed"] as const, run: onExit },
  check: { to: [s, "running", "degraded", "stopping"] as const, run: onCheck },
  checkSkipped: { to: [s] as const, run: onCheckSkipped },
  ready: { to: [s, "running"] as const, run: onReady },
  // starting: a failed start; running and degraded: only a candidate times out.
  readyTimeout:
    s === "starting"
      ? { to: [s, "stopping"] as const, run: onReadyTimeout }
      : { to: [s] as const, run: onReadyTimeout },
  statusText: { to: [s] as const, run: onStatusText },
  watchdog: { to: [s] as const, run: onWatchdog },
  // Only a ready process has a watchdog; a miss is a failed check, which may restart it.
  watchdogTimeout: s === "starting" ? ignore(s) : { to: [s, "stopping"] as const, run: onWatchdogTimeout },
  extendTimeout: { to: [s] as const, run: onExtendTimeout },
  backoffElapsed: ignore(s),
});

/** A later command only changes what follows the exit (SPEC 6). */
const whileStopping =
  (next: (m: InstanceModel) => StopNext, want: "up" | "down") =>
  (m: InstanceModel, e: { cmd: number }): Outcome =>
    m.state.type === "stopping" ? enter(m, { ...m.state, next: next(m) }, [], { want, cmd: e.cmd }) : same(m);

export const TABLE: Table = {
  waiting: {
    adopt: { to: ["running", "starting"], run: adopt },
    start: { to: ["starting", "waiting"], run: (m, e, _p, now) => startFromRest(m, e, now) },
    restart: { to: ["starting", "waiting"], run: (m, e, _p, now) => startFromRest(m, e, now) },
    reload: { to: ["starting", "waiting"], run: (m, e, _p, now) => startFromRest(m, e, now) },
    stop: {
      to: ["stopped"],
      run: (m, e) => enter(m, { type: "stopped" }, [], { want: "down", note: null, cmd: e.cmd }),
    },
    depsReady: {
      to: ["starting", "waiting"],
      run: (m, _e, _p, now) => (m.want === "up" ? spawn(m, now) : same(m)),
    },
    spawned: { to: ["waiting"], run: spawned },
    spawnFailed: ignore("waiting"),
    exit: { to: ["waiting"], run: onExit },
    check: ignore("waiting"),
    checkSkipped: ignore("waiting"),
    statusText: ignore("waiting"),
    watchdog: ignore("waiting"),
    watchdogTimeout: ignore("waiting"),
    extendTimeout: ignore("waiting"),
    ready: ignore("waiting"),
    readyTimeout: ignore("waiting"),
    backoffElapsed: ignore("waiting"),
  },
  starting: liveRules("starting"),
  running: liveRules("running"),
  degraded: liveRules("degraded"),
  stopping: {
    adopt: ignore("stopping"),
    start: { to: ["stopping"], run: whileStopping(() => "start", "up") },
    restart: { to: ["stopping"], run: whileStopping(() => "start", "up") },
    reload: { to: ["stopping"], run: whileStopping(() => "start", "up") },
    stop: { to: ["stopping"], run: whileStopping(() => "stopped", "down") },
    depsReady: ignore("stopping"),
    spawned: { to: ["stopping"], run: spawned },
    spawnFailed: { to: ["stopping", "stopped", "starting", "backoff", "exited", "failed"], run: spawnFailed },
    exit: { to: ["stopping", "stopped", "starting", "backoff", "exited", "failed"], run: onExit },
    check: ignore("stopping"),
    checkSkipped: ignore("stopping"),
    statusText: { to: ["stopping"], run: onStatusText },
    watchdog: ignore("stopping"),
    watchdogTimeout: ignore("stopping"),
    extendTimeout: { to: ["stopping"], run: onExtendTimeout },
    ready: ignore("stopping"),
    readyTimeout: ignore("stopping"),
    backoffElapsed: ignore("stopping"),
  },
  stopped: restRules("stopped"),
  backoff: {
    adopt: {
      to: ["running", "starting"],
      run: (m, e, p, now) => {
        const out = adopt(m, e, p, now);
        return { ...out, effects: [{ type: "cancelTimer", timer: "backoff", run: 0 }, ...out.effects] };
      },
    },
    start: {
      to: ["starting", "waiting"],
      run: (m, e, _p, now) => startFromRest(m, e, now, [{ type: "cancelTimer", timer: "backoff", run: 0 }]),
    },
    restart: {
      to: ["starting", "waiting"],
      run: (m, e, _p, now) => startFromRest(m, e, now, [{ type: "cancelTimer", timer: "backoff", run: 0 }]),
    },
    reload: {
      to: ["starting", "waiting"],
      run: (m, e, _p, now) => startFromRest(m, e, now, [{ type: "cancelTimer", timer: "backoff", run: 0 }]),
    },
    stop: {
      to: ["stopped"],
      run: (m, e) =>
        enter(m, { type: "stopped" }, [{ type: "cancelTimer", timer: "backoff", run: 0 }], {
          want: "down",
          note: null,
          cmd: e.cmd,
        }),
    },
    depsReady: ignore("backoff"),
    spawned: { to: ["backoff"], run: spawned },
    spawnFailed: ignore("backoff"),
    exit: { to: ["backoff"], run: onExit },
    check: ignore("backoff"),
    checkSkipped: ignore("backoff"),
    statusText: ignore("backoff"),
    watchdog: ignore("backoff"),
    watchdogTimeout: ignore("backoff"),
    extendTimeout: ignore("backoff"),
    ready: ignore("backoff"),
    readyTimeout: ignore("backoff"),
    backoffElapsed: { to: ["starting"], run: (m, _e, _p, now) => spawn(m, now) },
  },
  exited: restRules("exited"),
  failed: restRules("failed"),
};

/** The one entry point: the next model and the effects to carry out. */
export function transition(m: InstanceModel, e: InstanceEvent, p: InstancePolicy, nowMs: number): Outcome {
  const rule = TABLE[m.state.type][e.type] as Rule<typeof e.type>;
  return rule.run(m, e as never, p, nowMs);
}

export type { InstanceEvent, InstanceEventType } from "./instance-events.js";
export { INSTANCE_EVENT_TYPES } from "./instance-events.js";
