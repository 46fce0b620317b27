// PM2's restart fields as god's restart policy: restart_delay and exp_backoff_restart_delay as the backoff,
// max_restarts and min_uptime as a restart limit within a window (pm2-values.ts computes the window).

import type { ConfigJobSpec } from "./config-job.js";
import type { Bad } from "./ecosystem-options.js";
import {
  type Backoff,
  GOD_BACKOFF,
  PM2_MAX_RESTARTS,
  PM2_MIN_UPTIME_MS,
  pm2Duration,
  restartWindowMs,
} from "./pm2-values.js";

/** restart_delay (a fixed wait in PM2) starts god's backoff; exp_backoff_restart_delay is PM2's own backoff. */
export function backoffOf(app: Record<string, unknown>, bad: Bad): Backoff | null {
  if (app["exp_backoff_restart_delay"] !== undefined) {
    const ms = pm2Duration(app["exp_backoff_restart_delay"]);
    if (ms !== null && ms > 0) return { initialMs: ms, factor: 1.5, maxMs: Math.max(15_000, ms) };
    bad("exp_backoff_restart_delay", "milliseconds", "give the first wait before a restart");
    return null;
  }
  if (app["restart_delay"] === undefined) return null;
  const ms = pm2Duration(app["restart_delay"]);
  if (ms === null) {
    bad("restart_delay", "milliseconds", "give the wait before a restart");
    return null;
  }
  if (ms === 0) return null;
  return { initialMs: ms, factor: GOD_BACKOFF.factor, maxMs: Math.max(GOD_BACKOFF.maxMs, ms) };
}

export function backoffSpec(backoff: Backoff): NonNullable<ConfigJobSpec["backoff"]> {
  const spec: NonNullable<ConfigJobSpec["backoff"]> = { initialMs: backoff.initialMs };
  if (backoff.factor !== GOD_BACKOFF.factor) spec.factor = backoff.factor;
  if (backoff.maxMs !== GOD_BACKOFF.maxMs) spec.maxMs = backoff.maxMs;
  return spec;
}

/** max_restarts (default 16) and min_uptime (default 1 s), when either is set; else no limit, as god's default. */
export function maxRestartsOf(
  app: Record<string, unknown>,
  backoff: Backoff | null,
  bad: Bad,
): { count: number; windowMs: number } | null {
  if (app["max_restarts"] === undefined && app["min_uptime"] === undefined) return null;
  let count = PM2_MAX_RESTARTS;
  let minUptimeMs = PM2_MIN_UPTIME_MS;
  const rawCount = app["max_restarts"];
  if (rawCount !== undefined) {
    if (typeof rawCount === "number" && Number.isSafeInteger(rawCount) && rawCount >= 0) count = rawCount;
    else bad("max_restarts", "a count (0 or more)", "give how many quick restarts in a row are allowed");
  }
  if (app["min_uptime"] !== undefined) {
    const ms = pm2Duration(app["min_uptime"]);
    if (ms === null || ms === 0)
      bad("min_uptime", 'milliseconds or "30s", "1m"', "give how long a run must last");
    else minUptimeMs = ms;
  }
  return { count, windowMs: restartWindowMs(count, minUptimeMs, backoff ?? GOD_BACKOFF) };
}
