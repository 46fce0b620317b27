// The control socket's methods and JSON shapes (SPEC 5). The same handlers serve the CLI and HTTP.
// The shapes here are the stable `--json` output: fields may be added, never renamed.

import type { JobStateName, LoaderStateName } from "./states.js";

export const CONTROL_METHODS = [
  "status",
  "start",
  "stop",
  "restart",
  "reload",
  "check",
  "loaders",
  "reload-loaders",
  "logs",
  "shutdown",
] as const;
export type ControlMethod = (typeof CONTROL_METHODS)[number];

export type CheckStatus = "ok" | "degraded" | "fail";

export interface CheckJson {
  status: CheckStatus;
  message: string | null;
  at: string;
}

export interface ExitJson {
  code: number | null;
  signal: string | null;
  at: string;
}

export interface JobJson {
  name: string;
  state: JobStateName;
  want: "up" | "down";
  pid: number | null;
  instance: number | null;
  restarts: number;
  uptimeMs: number | null;
  loader: string;
  check: CheckJson | null;
  lastExit: ExitJson | null;
  /** Why the job is in this state, when there is more to say (waiting for X, backoff 400 ms, spawn error). */
  reason: string | null;
}

export interface StatusJson {
  jobs: JobJson[];
}

export interface LoaderJson {
  path: string;
  pid: number | null;
  state: LoaderStateName;
  dialect: "native" | "legacy" | null;
  jobs: string[];
  error: string | null;
}

export interface LoadersJson {
  loaders: LoaderJson[];
}

/** Params of start, stop, restart, reload and check. */
export interface JobActionParams {
  job: string;
  wait: boolean;
}

export interface StatusParams {
  jobs: string[];
}
