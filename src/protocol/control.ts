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
  "upgrade",
  "scale",
  "events",
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

/** One instance of a job (SPEC 12): `instance` is the run number of its process, `index` its place. */
export interface InstanceJson {
  index: number;
  pid: number | null;
  instance: number | null;
  state: JobStateName;
  want: "up" | "down";
  restarts: number;
  uptimeMs: number | null;
  check: CheckJson | null;
  lastExit: ExitJson | null;
  reason: string | null;
  /** Taken over from a previous god (SPEC 13). */
  adopted: boolean;
  /** Its processes alive now: 1, or 2 while a reload's candidate starts or an old process drains. */
  processes: number;
  /** CPU (100 = one core) and RSS of its live process's whole group, sampled each second; null before. */
  usage: UsageJson | null;
  /** What the process last said of itself (STATUS=, SPEC 11), or null. */
  statusText: string | null;
}

export interface UsageJson {
  cpuPercent: number;
  rssBytes: number;
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
  instances: InstanceJson[];
  /** The sum over its instances. */
  usage: UsageJson | null;
  /** The memory limit in bytes (SPEC 15), or null. */
  maxMemory: number | null;
  /** Instance 0's STATUS= (SPEC 11), or null. */
  statusText: string | null;
  /** Instance 0's process was adopted from a previous god (SPEC 13); each instance says it for itself. */
  adopted: boolean;
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
  /** The hello's job errors or the last failure; cleared by the next good hello. */
  error: string | null;
  /** Restarts after a failure (SPEC 2). */
  restarts: number;
  /** The last failure, kept after a good hello. */
  lastError: string | null;
}

export interface LoadersJson {
  loaders: LoaderJson[];
}

/**
 * The answer of `upgrade` (SPEC 13): how the god that is leaving was started, so that the installed god can be
 * started the same way; it exits right after, leaving every job running for the new one to adopt.
 */
export interface UpgradeJson {
  pid: number;
  version: string;
  /** Its arguments after main.js (`run --dir ...`), its working directory and its environment. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** Run by systemd (INVOCATION_ID): it exits with UPGRADE_EXIT_CODE and its unit starts the new god. */
  service: boolean;
  /** Instances left running for the new god. */
  instances: number;
}

/** Params of start, stop, restart, reload and check. */
export interface JobActionParams {
  job: string;
  wait: boolean;
}

export interface StatusParams {
  jobs: string[];
}

/** One change, as the event streams carry it (`events` on the control socket, /api/events). */
export type SupervisorChange =
  | { type: "job"; job: JobJson }
  | { type: "removed"; name: string }
  | { type: "loader"; loader: LoaderJson };
