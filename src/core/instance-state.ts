// The state of one instance of a job (SPEC 6, 12): what it is (`state`, each variant carrying only the data
// valid in it) apart from what the operator wants (`want`), plus the counters that outlive its processes. A job
// with N instances is N of these (see job-model.ts). Pure data; the transitions are in transitions.ts.

import type { CheckStatus } from "../protocol/control.js";
import type { JobStateName } from "../protocol/states.js";

/** One process of an instance. `pid` is null while it is being spawned (the spawn's outcome is an event). */
export interface Proc {
  /** The instance's run number: 1 for its first process, then 2, 3... Events name the process by it. */
  run: number;
  pid: number | null;
  spawnedAtMs: number;
  /** Taken over from a previous god (SPEC 13): not god's child, its exit code may be unknown. */
  adopted: boolean;
}

/** A reload's new process, with what its last check said (for the sentence when it is not ready in time). */
export interface Candidate extends Proc {
  lastCheck: string | null;
}

export function asProc(c: Candidate): Proc {
  return { run: c.run, pid: c.pid, spawnedAtMs: c.spawnedAtMs, adopted: c.adopted };
}

/** What follows the exit of a process being stopped. */
export type StopNext =
  /** it was stopped: `stopped` */
  | "stopped"
  /** a restart: spawn the next process at once */
  | "start"
  /** too many restarts (check failures past maxRestarts): `failed` */
  | "failed"
  /** a failed start (not ready in time): the restart policy and backoff decide, as after a crash */
  | "recover";

export type InstanceState =
  | { type: "stopped" }
  | { type: "waiting"; reason: string | null }
  | { type: "starting"; proc: Proc; failures: number }
  | {
      type: "running" | "degraded";
      proc: Proc;
      readyAtMs: number;
      failures: number;
      /** A reload's new process beside the live one, until it is ready (SPEC 6 "replace"). */
      candidate: Candidate | null;
      /** Legacy dialect: the check answered [] ("no check"), so an exit with code 0 is done (a one-shot). */
      oneShot: boolean;
    }
  | { type: "stopping"; proc: Proc; next: StopNext; readyAtMs: number | null }
  | { type: "backoff"; delayMs: number; untilMs: number; reason: string }
  | { type: "exited"; code: number | null; signal: string | null }
  | { type: "failed"; reason: string };

export type Want = "up" | "down";

/** The last reload asked of this instance and how it ended. */
export interface ReloadRecord {
  /** The command that asked for it (see job-model.ts `cmd`). */
  cmd: number;
  result: "pending" | "ok" | { failed: string };
}

export interface InstanceModel {
  /** 0..N-1: GOD_INSTANCE of its processes. */
  index: number;
  state: InstanceState;
  want: Want;
  /** The run number of the last process asked for (0 before the first). */
  run: number;
  restarts: number;
  /** Consecutive unstable restarts, for the backoff delay. */
  attempt: number;
  /** When recent restarts happened, for maxRestarts. */
  restartTimesMs: number[];
  lastExit: { code: number | null; signal: string | null; atMs: number } | null;
  lastCheck: { status: CheckStatus; message: string | null; atMs: number } | null;
  /** The last thing worth telling about why the instance is where it is (spawn error, check failures). */
  note: string | null;
  /** What the live process last said of itself (STATUS=, SPEC 11); cleared with each new process. */
  statusText: string | null;
  /** Old processes replaced by a reload, signalled and not yet exited. */
  retiring: Proc[];
  reload: ReloadRecord | null;
  /** The last command applied to this instance; a later one supersedes what an earlier one waited for. */
  cmd: number;
}

export function initialInstance(index: number): InstanceModel {
  return {
    index,
    state: { type: "stopped" },
    want: "down",
    run: 0,
    restarts: 0,
    attempt: 0,
    restartTimesMs: [],
    lastExit: null,
    lastCheck: null,
    note: null,
    statusText: null,
    retiring: [],
    reload: null,
    cmd: 0,
  };
}

export function stateName(state: InstanceState): JobStateName {
  return state.type;
}

/** The process the state serves with (or is starting, or stopping), if it has one. */
export function liveProc(state: InstanceState): Proc | null {
  switch (state.type) {
    case "starting":
    case "running":
    case "degraded":
    case "stopping":
      return state.proc;
    case "waiting":
    case "stopped":
    case "backoff":
    case "exited":
    case "failed":
      return null;
    default:
      return unreachable(state);
  }
}

/** Every process of the instance the table knows about: the live one, a reload's candidate, the retiring. */
export function procsOf(m: InstanceModel): Proc[] {
  const live = liveProc(m.state);
  const candidate = m.state.type === "running" || m.state.type === "degraded" ? m.state.candidate : null;
  return [...(live ? [live] : []), ...(candidate ? [asProc(candidate)] : []), ...m.retiring];
}

/** The table waits for the spawn of process `run`: it is the instance's start, or a reload's candidate. */
export function awaitsSpawn(m: InstanceModel, run: number): boolean {
  const s = m.state;
  if (s.type === "starting") return s.proc.run === run && s.proc.pid === null;
  if (s.type === "running" || s.type === "degraded")
    return s.candidate?.run === run && s.candidate.pid === null;
  return false;
}

/** Ready states: the instance serves. */
export function isReady(state: InstanceState): boolean {
  return state.type === "running" || state.type === "degraded";
}

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
