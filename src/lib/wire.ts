// What the library puts on and takes off the wire, as plain types. protocol/jobspec.ts holds the schema god
// validates with; the library keeps its own copy of the shapes so programs never load TypeBox, and a unit test
// checks that the two agree.

import type { JobStateName } from "../protocol/states.js";
import type { Probe } from "./probes.js";

export type CheckStatus = "ok" | "degraded" | "fail";

export interface WireCheck {
  intervalMs?: number;
  timeoutMs?: number;
  failures?: number;
  graceMs?: number;
  probe?: Probe;
}

export interface WireJobSpec {
  name: string;
  exec: string[];
  env?: Record<string, string | null>;
  cwd?: string;
  auto?: boolean;
  after?: string[];
  restart?: "always" | "on-failure" | "never";
  backoff?: { initialMs?: number; maxMs?: number; factor?: number; resetAfterMs?: number };
  maxRestarts?: { count: number; windowMs: number } | null;
  check?: WireCheck | null;
  stop?: { signal?: string; timeoutMs?: number };
  listen?: Record<string, string>;
  reload?: "replace" | "restart";
  logs?: {
    timestamps?: boolean;
    format?: "text" | "json";
    redact?: string[];
    maxLineBytes?: number;
    merge?: boolean;
  };
  events?: JobStateName[];
  instances?: number | "max";
  ready?: "notify" | { fd: number };
  readyTimeoutMs?: number;
  watchdogMs?: number;
  maxMemory?: number | string;
  cron?: string | { schedule: string; timeZone?: string };
  watch?: { paths: string[]; ignore?: string[]; debounceMs?: number };
}

export interface HelloParams {
  protocol: "godv1";
  loader: { name: string; version?: string };
  jobs: WireJobSpec[];
}

/** The answer to god's `check` request. */
export interface CheckResult {
  status: CheckStatus;
  message?: string;
  nextMs?: number;
}

/** god's `event` notification: the job entered one of the states listed in its `events`. */
export interface JobEvent {
  job: string;
  instance: number;
  pid?: number;
  state: JobStateName;
  exitCode?: number | null;
  signal?: string | null;
  /** ISO 8601 time of the change. */
  at: string;
}
