// What the transition table needs to know of a job's spec and its loader: restart policy, backoff, checks,
// stop, how a reload swaps processes, where readiness comes from, and whether the original's legacy rules
// apply. Derived in one place from the JobConfig, so the table never reads the spec's other fields.

import type { JobConfig } from "../protocol/jobspec.js";

export type ReadySource = "check" | "notify" | "fd";

export interface InstancePolicy {
  restart: JobConfig["restart"];
  backoff: JobConfig["backoff"];
  maxRestarts: JobConfig["maxRestarts"];
  check: { intervalMs: number; timeoutMs: number; failures: number; graceMs: number } | null;
  stop: JobConfig["stop"];
  reload: JobConfig["reload"];
  /** "check": the first ok check, or the spawn itself without a check; else the instance says it (SPEC 11). */
  ready: ReadySource;
  /** How long a start (ready other than "check") or a reload's candidate may take to be ready. */
  readyTimeoutMs: number;
  /** With ready "notify": the longest silence between WATCHDOG=1 pings once ready; null: no watchdog. */
  watchdogMs: number | null;
  /**
   * The original watchgod's rules (SPEC 3.2): a failed check asks the loader how to stop, and an exit with
   * code 0 of an instance not yet ready by a check (or whose check answered []) is done, not restarted.
   */
  legacy: boolean;
}

/** How often checks come while an instance is not yet ready, so readiness is seen soon. */
export const STARTING_CHECK_MS = 1000;
/** How often a reload's candidate is checked: the old process serves until it is ready. */
export const CANDIDATE_CHECK_MS = 250;

export function policyOf(config: JobConfig, legacy: boolean): InstancePolicy {
  const check = config.check;
  const ready: ReadySource = config.ready === null ? "check" : config.ready === "notify" ? "notify" : "fd";
  const checkDeadlineMs = check ? check.graceMs + check.timeoutMs : 0;
  return {
    restart: config.restart,
    backoff: config.backoff,
    maxRestarts: config.maxRestarts,
    check: check
      ? {
          intervalMs: check.intervalMs,
          timeoutMs: check.timeoutMs,
          failures: check.failures,
          graceMs: check.graceMs,
        }
      : null,
    stop: config.stop,
    reload: config.reload,
    ready,
    readyTimeoutMs: config.readyTimeoutMs ?? (ready === "check" ? checkDeadlineMs : 60_000),
    watchdogMs: config.watchdogMs,
    legacy,
  };
}
