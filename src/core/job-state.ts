// The state of one job: what it is (`state`, each variant carrying only the data valid in it) apart from what
// the operator wants (`want`), plus the counters that outlive instances. Pure data; see transitions.ts.

import type { CheckStatus } from "../protocol/control.js";
import type { JobStateName } from "../protocol/states.js";

export type Running = { pid: number; instance: number; spawnedAtMs: number };

export type JobState =
  | { type: "waiting"; reason: string | null }
  | ({ type: "starting"; failures: number } & Running)
  | ({ type: "running"; readyAtMs: number; failures: number } & Running)
  | ({ type: "degraded"; readyAtMs: number; failures: number } & Running)
  | ({ type: "stopping"; next: "stopped" | "start" | "failed"; readyAtMs: number | null } & Running)
  | { type: "stopped" }
  | { type: "backoff"; delayMs: number; untilMs: number; reason: string }
  | { type: "exited"; code: number | null; signal: string | null }
  | { type: "failed"; reason: string };

export type Want = "up" | "down";

export interface JobModel {
  state: JobState;
  want: Want;
  /** Number of the last instance spawned (1, 2, ...); 0 before the first. */
  instance: number;
  restarts: number;
  /** Consecutive unstable restarts, for the backoff delay. */
  attempt: number;
  /** When recent restarts happened, for maxRestarts. */
  restartTimesMs: number[];
  lastExit: { code: number | null; signal: string | null; atMs: number } | null;
  lastCheck: { status: CheckStatus; message: string | null; atMs: number } | null;
  /** The last thing worth telling about why the job is where it is (spawn error, check failures). */
  note: string | null;
}

export function initialModel(): JobModel {
  return {
    state: { type: "stopped" },
    want: "down",
    instance: 0,
    restarts: 0,
    attempt: 0,
    restartTimesMs: [],
    lastExit: null,
    lastCheck: null,
    note: null,
  };
}

export function stateName(state: JobState): JobStateName {
  return state.type;
}

/** The live instance, if the state has one. */
export function liveInstance(state: JobState): Running | null {
  switch (state.type) {
    case "starting":
    case "running":
    case "degraded":
    case "stopping":
      return { pid: state.pid, instance: state.instance, spawnedAtMs: state.spawnedAtMs };
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

export function unreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`);
}
