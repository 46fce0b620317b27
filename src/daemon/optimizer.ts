// When god lets V8's optimizing compiler (TurboFan) run (issue 17). An idle god, or one with hundreds of sleeping
// jobs, runs little JavaScript more than a few times, which the interpreter and the baseline compiler (Sparkplug)
// serve; yet its start-up (the module graph's resolution, the first 200 spawns) makes a few functions hot enough
// for TurboFan, whose first compilation touches about 4 MiB of node's binary and keeps them resident for good, plus
// the optimized code and its feedback. With 200 sleep jobs, 60 s after the start: 54.4 MiB with TurboFan from
// the start, 49.4 without (docs/benchmarks.md, "Footprint"). What repeats under load is the log pipeline (its CPU
// per line is 3.6 times higher without TurboFan) and the checks (a tcp probe about 1.15 times): so `god run`
// starts with TurboFan off, and god turns it on for good once, within a window of WINDOW_MS, its jobs' output
// passes BUSY_BYTES or its checks pass BUSY_BYTES / CHECK_WEIGHT (a check weighs about as much CPU as CHECK_WEIGHT
// bytes of output). A flood turns it on within its first 256 KiB, 40 checks a second within half a second. V8
// reads the flag at each decision to optimize, so functions already hot get optimized then. A turbofan, opt,
// max-opt, jitless or lite-mode flag given on the command line or in NODE_OPTIONS is the user's choice and is
// left alone.

import { setFlagsFromString } from "node:v8";

/** Job output within one window that turns TurboFan on. */
export const BUSY_BYTES = 256 * 1024;
export const WINDOW_MS = 1000;
/** What one check (a probe, or a question to a loader) counts for, in bytes of output: 16 checks a second. */
export const CHECK_WEIGHT = 16 * 1024;

/** Flags that decide V8's tiers themselves: with any of them given, god leaves the optimizer alone. */
const USER_TIERING = /--(no-)?(turbofan|opt|max-opt|jitless|lite-mode)\b/;

let deferred = false;
let windowStartMs = 0;
let windowWork = 0;
let onEnable: ((why: string) => void) | null = null;

/**
 * Turns TurboFan off until god is busy; called by `god run` before the daemon's modules load (their resolution
 * alone would make functions hot enough). Returns whether it did.
 */
export function deferOptimizer(): boolean {
  if (deferred) return true;
  const given = [...process.execArgv, process.env["NODE_OPTIONS"] ?? ""].some((flag) =>
    USER_TIERING.test(flag),
  );
  if (given) return false;
  setFlagsFromString("--no-turbofan");
  deferred = true;
  windowStartMs = performance.now();
  return true;
}

/** Whether TurboFan is off and waiting for work. */
export function optimizerDeferred(): boolean {
  return deferred;
}

/** Called once when the optimizer is turned on, with the sentence god logs. */
export function onOptimizerEnabled(callback: ((why: string) => void) | null): void {
  onEnable = callback;
}

/** Bytes of job output read. Cheap when the optimizer is on. */
export function noteOutput(bytes: number): void {
  if (deferred) addWork(bytes);
}

/** One check run (a probe god makes, or a question to a loader). */
export function noteCheck(): void {
  if (deferred) addWork(CHECK_WEIGHT);
}

function addWork(weight: number): void {
  const now = performance.now();
  if (now - windowStartMs > WINDOW_MS) {
    windowStartMs = now;
    windowWork = 0;
  }
  windowWork += weight;
  if (windowWork >= BUSY_BYTES) {
    enableOptimizer(
      `god turned on V8's optimizing compiler: within ${WINDOW_MS} ms its jobs wrote more than ${BUSY_BYTES / 1024} KiB, or it ran more than ${BUSY_BYTES / CHECK_WEIGHT} checks (god's RSS grows by about 4 MiB, once)`,
    );
  }
}

/** TurboFan on, for good (the memory it costs once is spent; turning it off again would save nothing). */
function enableOptimizer(why: string): void {
  if (!deferred) return;
  deferred = false;
  setFlagsFromString("--turbofan");
  onEnable?.(why);
}
