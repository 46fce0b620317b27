// What god asks of a loader about its jobs, the same for both dialects (SPEC 3): checks, the spec to spawn
// with, what happened to an instance, and how to stop one after a failed check. native-dialect.ts speaks
// JSON-RPC, legacy-dialect.ts the original's arrays of strings; the rest of god sees only this interface.

import type { CheckResult } from "../protocol/check-result.js";
import type { CheckTarget, JobEventParams } from "../protocol/job-event.js";
import type { JobConfig } from "../protocol/jobspec.js";

export type DialectName = "native" | "legacy";

/** A check's outcome: a result (with `noCheck` when a legacy loader answered []), or no verdict this time. */
export type CheckVerdict =
  | { type: "result"; result: CheckResult; noCheck: boolean }
  | { type: "skip"; nextMs: number | null };

export type Prepared = { ok: true; config: JobConfig } | { ok: false; message: string };

/** After a failed check: god stops the instance, or the loader does and god kills only after killAfterMs. */
export type StopPlan = { by: "god" } | { by: "loader"; killAfterMs: number };

export interface LoaderDialect {
  readonly name: DialectName;
  check(job: string, target: CheckTarget, timeoutMs: number): Promise<CheckVerdict>;
  /** The spec to spawn an instance with; a legacy loader is asked exec, env and onStart first. */
  prepareSpawn(config: JobConfig): Promise<Prepared>;
  /** An instance's process ended (legacy: onExit, sent before the next start's questions). */
  exited(job: string, code: number | null): void;
  /** A state change the job subscribed to (native: `event`; legacy: onRun, onDegrade). */
  stateChanged(params: JobEventParams): void;
  stopPlan(job: string, pid: number): Promise<StopPlan>;
  /** Fails every question in flight: the loader is gone. */
  close(reason: string): void;
}
