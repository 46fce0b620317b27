// The job state names as they appear on the wire (status JSON, `events`, `event` notifications).
// The transitions between them live in core/transitions.ts.

export const JOB_STATES = [
  "waiting",
  "starting",
  "running",
  "degraded",
  "stopping",
  "stopped",
  "backoff",
  "exited",
  "failed",
] as const;

export type JobStateName = (typeof JOB_STATES)[number];

export const LOADER_STATES = ["up", "idle", "down", "failed"] as const;
export type LoaderStateName = (typeof LOADER_STATES)[number];
