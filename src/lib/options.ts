// The options a program gives job(), and the mutable job object it gets back. Names follow the JobSpec except
// where a duration is involved: those take the short names (`every`, `timeout`, ...) and accept "5s" strings.

import type { JobStateName } from "../protocol/states.js";
import type { Duration } from "./duration.js";
import type { Probe } from "./probes.js";
import type { CheckStatus, JobEvent } from "./wire.js";

/** What god tells a check function about the instance it checks. */
export interface CheckContext {
  job: string;
  pid: number;
  /** The run number of the process (1, 2, ...: a new one for each restart). */
  instance: number;
  /** The instance's index, 0 .. N-1 (GOD_INSTANCE of the process), for a job with `instances: N`. */
  index: number;
}

export interface CheckResultObject {
  status: CheckStatus;
  message?: string | undefined;
  /** When to check next, instead of the job's interval. */
  nextMs?: Duration | undefined;
}

/** true is "ok", false is "fail". */
export type CheckValue = CheckStatus | boolean | CheckResultObject;

/**
 * Runs in the loader whenever god asks; a throw or rejection is "fail" with its message.
 * A promise of any string is allowed by the type only because TypeScript widens a literal returned from an async
 * function (`async () => "ok"` is a Promise<string>); a string that is not a status fails at run time.
 */
export type CheckFunction = (context: CheckContext) => CheckValue | PromiseLike<CheckValue | string>;

export interface CheckOptions {
  /** A check the loader runs (keeps the loader resident). Give either run or probe. */
  run?: CheckFunction | undefined;
  /** A check god runs itself (see http(), tcp(), command()). */
  probe?: Probe | undefined;
  /** Time between checks; default 5s. */
  every?: Duration | undefined;
  /** Time one check may take; default 2s. */
  timeout?: Duration | undefined;
  /** Consecutive fails that restart the instance; default 3. */
  failures?: number | undefined;
  /** Time after spawn during which fails only keep the job starting; default 30s. */
  grace?: Duration | undefined;
  intervalMs?: number | undefined;
  timeoutMs?: number | undefined;
  graceMs?: number | undefined;
}

export interface StopOptions {
  /** Sent to the whole process group first; default "SIGTERM". */
  signal?: string | undefined;
  /** Then SIGKILL; default 10s. */
  timeout?: Duration | undefined;
  timeoutMs?: number | undefined;
}

export interface BackoffOptions {
  initial?: Duration | undefined;
  max?: Duration | undefined;
  factor?: number | undefined;
  resetAfter?: Duration | undefined;
  initialMs?: number | undefined;
  maxMs?: number | undefined;
  resetAfterMs?: number | undefined;
}

export interface MaxRestartsOptions {
  count: number;
  window?: Duration | undefined;
  windowMs?: number | undefined;
}

export interface LogsOptions {
  timestamps?: boolean | undefined;
  format?: "text" | "json" | undefined;
  redact?: string[] | undefined;
  maxLineBytes?: number | undefined;
  merge?: boolean | undefined;
}

export interface JobOptions {
  /** argv; argv[0] is looked up in PATH; never run through a shell. Required by init(). */
  exec?: string[] | undefined;
  /** Merged over god's environment; null removes a variable. */
  env?: Record<string, string | null> | undefined;
  cwd?: string | undefined;
  /** Start when god starts. */
  auto?: boolean | undefined;
  /** Start only once these jobs are ready. */
  after?: string[] | undefined;
  restart?: "always" | "on-failure" | "never" | undefined;
  backoff?: BackoffOptions | undefined;
  maxRestarts?: MaxRestartsOptions | null | undefined;
  /** A function is a check the loader runs with the default timing. */
  check?: CheckOptions | CheckFunction | null | undefined;
  stop?: StopOptions | undefined;
  /** Sockets god binds and holds, name -> "tcp://HOST:PORT" or "unix:PATH"; see listeners(). */
  listen?: Record<string, string> | undefined;
  reload?: "replace" | "restart" | undefined;
  logs?: LogsOptions | undefined;
  /** States god notifies this loader of; each arrives at onEvent. */
  events?: JobStateName[] | undefined;
  /** Called for the states listed in `events`; errors are written to stderr. */
  onEvent?: ((event: JobEvent) => void | PromiseLike<void>) | undefined;
  /** Processes of the job, each with its index in GOD_INSTANCE; "max": one per CPU. Default 1. */
  instances?: number | "max" | undefined;
  /** Readiness from the program itself: "notify" (READY=1) or {fd: N}; the program calls ready(). */
  ready?: "notify" | { fd: number } | undefined;
  /** Not ready in time is a failed start; default 60s with `ready`. */
  readyTimeout?: Duration | undefined;
  readyTimeoutMs?: number | undefined;
  /** With ready "notify": a WATCHDOG=1 missing this long is a failed check. */
  watchdog?: Duration | undefined;
  watchdogMs?: number | undefined;
  /** RSS of the instance's whole process group above which it is replaced: bytes, or "300M", "1G". */
  maxMemory?: number | string | undefined;
  /** Restart the job at these times: five or six cron fields, or {schedule, timeZone}. */
  cron?: string | { schedule: string; timeZone?: string } | undefined;
  /** Reload the job when files under these paths change. */
  watch?: { paths: string[]; ignore?: string[]; debounce?: Duration; debounceMs?: number } | undefined;
}

/** The object job() returns: every option stays assignable until init() sends the jobs to god. */
export interface Job extends JobOptions {
  readonly name: string;
}
