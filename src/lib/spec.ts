// Turns a job object into the wire JobSpec: maps the library's option names and duration strings to the
// JobSpec's fields and milliseconds, sends only the fields that were set (god fills the defaults), and throws a
// TypeError naming the job and the option for anything it cannot map. god validates the rest.

import { describeValue, isRecord } from "./describe.js";
import { DURATION_FORMS, durationMs } from "./duration.js";
import type { Job } from "./options.js";
import type { Probe } from "./probes.js";
import type { WireCheck, WireJobSpec } from "./wire.js";

export const JOB_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

const JOB_KEYS = [
  "exec",
  "env",
  "cwd",
  "auto",
  "after",
  "restart",
  "backoff",
  "maxRestarts",
  "check",
  "stop",
  "listen",
  "reload",
  "logs",
  "events",
  "onEvent",
  "instances",
  "ready",
  "readyTimeout",
  "readyTimeoutMs",
  "watchdog",
  "watchdogMs",
  "maxMemory",
  "cron",
  "watch",
];
const WATCH_KEYS = ["paths", "ignore", "debounce", "debounceMs"];
const CHECK_KEYS = [
  "run",
  "probe",
  "every",
  "timeout",
  "failures",
  "grace",
  "intervalMs",
  "timeoutMs",
  "graceMs",
];
const STOP_KEYS = ["signal", "timeout", "timeoutMs"];
const BACKOFF_KEYS = ["initial", "max", "factor", "resetAfter", "initialMs", "maxMs", "resetAfterMs"];
const MAX_RESTARTS_KEYS = ["count", "window", "windowMs"];

/** A spec whose exec may still be missing: what job() can check before the program has set everything. */
export type PartialJobSpec = Omit<WireJobSpec, "exec"> & { exec?: string[] };

type Fail = (path: string, message: string) => never;

function failFor(name: string): Fail {
  return (path, message) => {
    throw new TypeError(`job "${name}": ${path}: ${message}`);
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}

function unknownKeys(value: Record<string, unknown>, known: string[], path: string, fail: Fail): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      fail(path === "" ? key : `${path}.${key}`, `unknown option; expected one of ${known.join(", ")}`);
    }
  }
}

/** A duration under its short name ("every") or the JobSpec's name ("intervalMs"), in whole milliseconds. */
function pickDuration(
  value: Record<string, unknown>,
  short: string,
  long: string,
  parent: string,
  minMs: number,
  fail: Fail,
): number | undefined {
  const a = value[short];
  const b = value[long];
  const at = (key: string) => (parent === "" ? key : `${parent}.${key}`);
  if (a !== undefined && b !== undefined) fail(at(short), `give ${short} or ${long}, not both`);
  const key = a !== undefined ? short : long;
  const raw = a !== undefined ? a : b;
  if (raw === undefined) return undefined;
  const ms = durationMs(raw);
  if (ms === null) return fail(at(key), `expected ${DURATION_FORMS}, got ${describeValue(raw)}`);
  if (ms < minMs) return fail(at(key), `must be at least ${minMs} ms, got ${describeValue(raw)}`);
  return ms;
}

function expectType(value: unknown, ok: boolean, path: string, expected: string, fail: Fail): void {
  if (value !== undefined && !ok) fail(path, `expected ${expected}, got ${describeValue(value)}`);
}

function checkSpec(value: unknown, fail: Fail): WireCheck | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value === "function") return {};
  if (!isRecord(value)) {
    return fail(
      "check",
      `expected a function, an object {run or probe, every, timeout, ...} or null, got ${describeValue(value)}`,
    );
  }
  unknownKeys(value, CHECK_KEYS, "check", fail);
  expectType(value["run"], typeof value["run"] === "function", "check.run", "a function", fail);
  expectType(value["probe"], isRecord(value["probe"]), "check.probe", "a probe such as http(url)", fail);
  if (value["run"] !== undefined && value["probe"] !== undefined) {
    // With a probe god runs the check itself and never asks the loader, so run would silently never be called.
    fail("check", "give run (a check the loader runs) or probe (a check god runs), not both");
  }
  const failures = value["failures"];
  expectType(
    failures,
    Number.isInteger(failures) && (failures as number) >= 1 && (failures as number) <= 1000,
    "check.failures",
    "an integer from 1 to 1000",
    fail,
  );
  const out: WireCheck = {};
  const intervalMs = pickDuration(value, "every", "intervalMs", "check", 1, fail);
  if (intervalMs !== undefined) out.intervalMs = intervalMs;
  const timeoutMs = pickDuration(value, "timeout", "timeoutMs", "check", 1, fail);
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  if (failures !== undefined) out.failures = failures as number;
  const graceMs = pickDuration(value, "grace", "graceMs", "check", 0, fail);
  if (graceMs !== undefined) out.graceMs = graceMs;
  if (value["probe"] !== undefined) out.probe = value["probe"] as Probe;
  return out;
}

function stopSpec(value: unknown, fail: Fail): WireJobSpec["stop"] {
  if (value === undefined) return undefined;
  if (!isRecord(value))
    return fail("stop", `expected an object {signal, timeout}, got ${describeValue(value)}`);
  unknownKeys(value, STOP_KEYS, "stop", fail);
  expectType(
    value["signal"],
    typeof value["signal"] === "string",
    "stop.signal",
    'a signal name such as "SIGINT"',
    fail,
  );
  const out: NonNullable<WireJobSpec["stop"]> = {};
  if (value["signal"] !== undefined) out.signal = value["signal"] as string;
  const timeoutMs = pickDuration(value, "timeout", "timeoutMs", "stop", 0, fail);
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}

function backoffSpec(value: unknown, fail: Fail): WireJobSpec["backoff"] {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    return fail(
      "backoff",
      `expected an object {initial, max, factor, resetAfter}, got ${describeValue(value)}`,
    );
  }
  unknownKeys(value, BACKOFF_KEYS, "backoff", fail);
  const factor = value["factor"];
  expectType(
    factor,
    typeof factor === "number" && Number.isFinite(factor),
    "backoff.factor",
    "a number",
    fail,
  );
  const out: NonNullable<WireJobSpec["backoff"]> = {};
  const initialMs = pickDuration(value, "initial", "initialMs", "backoff", 0, fail);
  if (initialMs !== undefined) out.initialMs = initialMs;
  const maxMs = pickDuration(value, "max", "maxMs", "backoff", 0, fail);
  if (maxMs !== undefined) out.maxMs = maxMs;
  if (factor !== undefined) out.factor = factor as number;
  const resetAfterMs = pickDuration(value, "resetAfter", "resetAfterMs", "backoff", 0, fail);
  if (resetAfterMs !== undefined) out.resetAfterMs = resetAfterMs;
  return out;
}

function maxRestartsSpec(value: unknown, fail: Fail): WireJobSpec["maxRestarts"] {
  if (value === undefined || value === null) return value;
  if (!isRecord(value)) {
    return fail("maxRestarts", `expected an object {count, window} or null, got ${describeValue(value)}`);
  }
  unknownKeys(value, MAX_RESTARTS_KEYS, "maxRestarts", fail);
  const count = value["count"];
  if (!Number.isInteger(count) || (count as number) < 0) {
    fail("maxRestarts.count", `expected an integer >= 0, got ${describeValue(count)}`);
  }
  const windowMs = pickDuration(value, "window", "windowMs", "maxRestarts", 1, fail);
  if (windowMs === undefined) return fail("maxRestarts.window", `required: ${DURATION_FORMS}`);
  return { count: count as number, windowMs };
}

/** Maps and checks every option that is set; exec may still be missing. */
export function buildSpec(job: Job): PartialJobSpec {
  const fail = failFor(job.name);
  const raw = job as unknown as Record<string, unknown>;
  const { name: _name, ...options } = raw;
  unknownKeys(options, JOB_KEYS, "", fail);
  const exec = raw["exec"];
  if (exec !== undefined && (!isStringArray(exec) || exec.length === 0)) {
    fail("exec", `expected a non-empty array of strings (argv; no shell), got ${describeValue(exec)}`);
  }
  expectType(raw["env"], isRecord(raw["env"]), "env", "an object of strings (or null to remove)", fail);
  expectType(raw["cwd"], typeof raw["cwd"] === "string", "cwd", "a string", fail);
  expectType(raw["auto"], typeof raw["auto"] === "boolean", "auto", "a boolean", fail);
  expectType(raw["after"], isStringArray(raw["after"]), "after", "an array of job names", fail);
  expectType(
    raw["restart"],
    typeof raw["restart"] === "string",
    "restart",
    '"always", "on-failure" or "never"',
    fail,
  );
  expectType(
    raw["listen"],
    isRecord(raw["listen"]),
    "listen",
    'an object such as {http: "tcp://HOST:PORT"}',
    fail,
  );
  expectType(raw["reload"], typeof raw["reload"] === "string", "reload", '"replace" or "restart"', fail);
  expectType(raw["logs"], isRecord(raw["logs"]), "logs", "an object", fail);
  expectType(raw["events"], isStringArray(raw["events"]), "events", "an array of state names", fail);
  expectType(raw["onEvent"], typeof raw["onEvent"] === "function", "onEvent", "a function", fail);

  const spec: PartialJobSpec = { name: job.name };
  if (job.exec !== undefined) spec.exec = [...job.exec];
  if (job.env !== undefined) spec.env = job.env;
  if (job.cwd !== undefined) spec.cwd = job.cwd;
  if (job.auto !== undefined) spec.auto = job.auto;
  if (job.after !== undefined) spec.after = job.after;
  if (job.restart !== undefined) spec.restart = job.restart;
  const backoff = backoffSpec(job.backoff, fail);
  if (backoff !== undefined) spec.backoff = backoff;
  const maxRestarts = maxRestartsSpec(job.maxRestarts, fail);
  if (maxRestarts !== undefined) spec.maxRestarts = maxRestarts;
  const check = checkSpec(job.check, fail);
  if (check !== undefined) spec.check = check;
  const stop = stopSpec(job.stop, fail);
  if (stop !== undefined) spec.stop = stop;
  if (job.listen !== undefined) spec.listen = job.listen;
  if (job.reload !== undefined) spec.reload = job.reload;
  if (job.logs !== undefined) spec.logs = job.logs as NonNullable<WireJobSpec["logs"]>;
  if (job.events !== undefined) spec.events = job.events;
  if (job.instances !== undefined) spec.instances = job.instances;
  if (job.ready !== undefined) spec.ready = job.ready;
  const readyTimeoutMs = pickDuration(raw, "readyTimeout", "readyTimeoutMs", "", 0, fail);
  if (readyTimeoutMs !== undefined) spec.readyTimeoutMs = readyTimeoutMs;
  const watchdogMs = pickDuration(raw, "watchdog", "watchdogMs", "", 1, fail);
  if (watchdogMs !== undefined) spec.watchdogMs = watchdogMs;
  if (job.maxMemory !== undefined) spec.maxMemory = job.maxMemory;
  if (job.cron !== undefined) spec.cron = job.cron;
  const watch = watchSpec(job.watch, fail);
  if (watch !== undefined) spec.watch = watch;
  return spec;
}

function watchSpec(value: unknown, fail: Fail): WireJobSpec["watch"] {
  if (value === undefined) return undefined;
  if (!isRecord(value))
    return fail("watch", `expected an object {paths, ignore, debounce}, got ${describeValue(value)}`);
  unknownKeys(value, WATCH_KEYS, "watch", fail);
  if (!isStringArray(value["paths"]) || value["paths"].length === 0) {
    fail("watch.paths", `expected a non-empty array of paths, got ${describeValue(value["paths"])}`);
  }
  expectType(value["ignore"], isStringArray(value["ignore"]), "watch.ignore", "an array of patterns", fail);
  const out: NonNullable<WireJobSpec["watch"]> = { paths: [...(value["paths"] as string[])] };
  if (value["ignore"] !== undefined) out.ignore = [...(value["ignore"] as string[])];
  const debounceMs = pickDuration(value, "debounce", "debounceMs", "watch", 0, fail);
  if (debounceMs !== undefined) out.debounceMs = debounceMs;
  return out;
}

/** The complete JobSpec that init() sends: exec must be set and a check must say who runs it. */
export function toJobSpec(job: Job): WireJobSpec {
  const fail = failFor(job.name);
  const { exec, ...rest } = buildSpec(job);
  if (exec === undefined) {
    return fail("exec", "required: the argv to run, such as [process.execPath, 'server.js']");
  }
  const check = job.check;
  if (isRecord(check) && check["run"] === undefined && check["probe"] === undefined) {
    fail("check", "needs run (a function the loader runs) or probe (a check god runs, such as http(url))");
  }
  const { name, ...others } = rest;
  return { name, exec, ...others };
}
