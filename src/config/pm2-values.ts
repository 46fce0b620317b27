// The small value forms of PM2's ecosystem fields: durations, word lists, environments, instance counts and
// the restart window. Each returns the converted value or null (the caller names the field and the fix).

import { durationMs } from "../lib/duration.js";
import { splitShellWords } from "./shell-words.js";

/** A PM2 duration: milliseconds as a number or digits, or "5s", "1m", "1h" (and god's "500ms"). */
export function pm2Duration(value: unknown): number | null {
  if (typeof value === "string" && /^\s*\d+\s*$/.test(value)) return durationMs(Number(value));
  if (typeof value === "number" && !Number.isInteger(value)) return null;
  return durationMs(value);
}

/** `args` and `interpreter_args`: an array of words (numbers allowed), or one string split like a shell would. */
export function pm2Words(value: unknown): { ok: true; words: string[] } | { ok: false; error: string } {
  if (typeof value === "string") {
    const split = splitShellWords(value);
    return split.ok ? split : { ok: false, error: `cannot split ${JSON.stringify(value)}: ${split.error}` };
  }
  if (Array.isArray(value) && value.every((w) => typeof w === "string" || typeof w === "number")) {
    return { ok: true, words: value.map(String) };
  }
  return { ok: false, error: "expected a string or an array of strings" };
}

/** An env object's values as god takes them: strings, or null to remove; numbers and booleans as text. */
export function pm2Env(value: unknown): Record<string, string | null> | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const env: Record<string, string | null> = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (v === null || typeof v === "string") env[key] = v;
    else if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") env[key] = String(v);
    // PM2 passes an object as its JSON text.
    else if (typeof v === "object") env[key] = JSON.stringify(v);
    else return null;
  }
  return env;
}

/**
 * PM2's `instances`: a count; "max" or 0 for one per CPU; a negative n for all CPUs but |n| (at least 1).
 * 1 gives undefined (god's default, left out).
 */
export function pm2Instances(value: unknown, cpuCount: number): number | "max" | undefined | null {
  let n: number;
  if (value === "max") return "max";
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) n = Number(value);
  else return null;
  if (!Number.isSafeInteger(n)) return null;
  if (n === 0) return "max";
  const count = n < 0 ? Math.max(1, cpuCount + n) : n;
  return count === 1 ? undefined : count;
}

export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
}

/** god's defaults (SPEC 3.1). */
export const GOD_BACKOFF: Backoff = { initialMs: 100, factor: 2, maxMs: 30_000 };
/** PM2's defaults for a crash loop. */
export const PM2_MAX_RESTARTS = 16;
export const PM2_MIN_UPTIME_MS = 1000;

/**
 * PM2 stops restarting after max_restarts exits in a row that each came within min_uptime of the start; god
 * counts restarts within a window. The window is the time those restarts take: each run lasts up to min_uptime,
 * then god's backoff waits before the next.
 */
export function restartWindowMs(count: number, minUptimeMs: number, backoff: Backoff): number {
  let total = 0;
  let wait = backoff.initialMs;
  for (let k = 0; k < Math.max(1, count) && total < 2_147_483_647; k++) {
    total += minUptimeMs + (count === 0 ? 0 : Math.min(wait, backoff.maxMs));
    wait *= backoff.factor;
  }
  return Math.max(1, Math.min(Math.round(total), 2_147_483_647));
}
