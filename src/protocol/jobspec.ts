// The JobSpec: its type (from the TypeBox definition in schema-definitions.ts), the checks a schema cannot
// make, and normalizeJobSpec, which fills the defaults (SPEC 3.1).

import { constants } from "node:os";
import type { Static } from "@sinclair/typebox";
import { checkCron } from "./cron.js";
import { parseListenAddress } from "./listen-address.js";
import type { JobSpecSchema, ProbeSchema } from "./schema-definitions.js";

export { JOB_NAME_PATTERN, MAX_JOBS_PER_LOADER } from "./job-limits.js";

export type JobSpec = Static<typeof JobSpecSchema>;
export type Probe = Static<typeof ProbeSchema>;

export type RestartPolicy = "always" | "on-failure" | "never";

/** A JobSpec with every default filled in: what the supervisor works with. */
export interface JobConfig {
  name: string;
  exec: string[];
  env: Record<string, string | null>;
  cwd: string | null;
  auto: boolean;
  after: string[];
  restart: RestartPolicy;
  backoff: { initialMs: number; maxMs: number; factor: number; resetAfterMs: number };
  maxRestarts: { count: number; windowMs: number } | null;
  check: {
    intervalMs: number;
    timeoutMs: number;
    failures: number;
    graceMs: number;
    probe: Probe | null;
  } | null;
  stop: { signal: NodeJS.Signals; timeoutMs: number };
  listen: Record<string, string>;
  reload: "replace" | "restart";
  logs: {
    timestamps: boolean;
    format: "text" | "json";
    redact: string[];
    maxLineBytes: number;
    merge: boolean;
  };
  events: string[];
  /** Instances to run (SPEC 12); "max" is one per CPU, resolved by the daemon. */
  instances: number | "max";
  /** Where readiness comes from (SPEC 11): null is the first ok check (or the spawn without a check). */
  ready: "notify" | { fd: number } | null;
  /** null: the default for the readiness source (see core/policy.ts). */
  readyTimeoutMs: number | null;
  /** With ready "notify": a WATCHDOG=1 missing this long counts as a failed check. */
  watchdogMs: number | null;
  /** Bytes of RSS of an instance's whole process group above which it is replaced (SPEC 15). */
  maxMemory: number | null;
  cron: { schedule: string; timeZone: string | null } | null;
  watch: { paths: string[]; ignore: string[]; debounceMs: number } | null;
}

const SIZE = /^([0-9]+(?:\.[0-9]+)?)([KMG]?)B?$/i;
const UNIT_BYTES: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** maxMemory in bytes: a number is bytes, "300M" / "1.5G" / "512K" are 1024-based (PM2's units). */
export function memoryBytes(value: number | string): number {
  if (typeof value === "number") return value;
  const match = SIZE.exec(value.trim())!;
  return Math.round(Number(match[1]) * UNIT_BYTES[match[2]!.toUpperCase()]!);
}

/** Checks what the schema cannot: signal names, regexes, addresses. Returns [path suffix, message] pairs. */
export function semanticErrors(spec: JobSpec): Array<[string, string]> {
  const errors: Array<[string, string]> = [];
  const signal = spec.stop?.signal;
  if (signal !== undefined && !Object.hasOwn(constants.signals, signal)) {
    errors.push([".stop.signal", `unknown signal "${signal}"`]);
  }
  spec.logs?.redact?.forEach((pattern, i) => {
    try {
      new RegExp(pattern, "g");
    } catch (error) {
      errors.push([`.logs.redact[${i}]`, `invalid regular expression: ${(error as Error).message}`]);
    }
  });
  for (const [name, address] of Object.entries(spec.listen ?? {})) {
    const problem = addressProblem(address);
    if (problem) errors.push([`.listen.${name}`, problem]);
  }
  const listeners = Object.keys(spec.listen ?? {}).length;
  if (typeof spec.ready === "object" && spec.ready.fd < 3 + listeners) {
    errors.push([
      ".ready.fd",
      `fd ${spec.ready.fd} is taken by a listening socket (fds 3 to ${2 + listeners}); use ${3 + listeners} or higher`,
    ]);
  }
  if (spec.watchdogMs !== undefined && spec.ready !== "notify") {
    errors.push([".watchdogMs", 'a watchdog needs ready: "notify" (WATCHDOG=1 comes on the notify socket)']);
  }
  if (spec.maxMemory !== undefined && memoryBytes(spec.maxMemory) < 1) {
    errors.push([".maxMemory", "the limit must be at least 1 byte"]);
  }
  if (spec.cron !== undefined) {
    const cron = typeof spec.cron === "string" ? { schedule: spec.cron } : spec.cron;
    const checked = checkCron(cron.schedule, cron.timeZone ?? null, Date.now());
    if (!checked.ok)
      errors.push([typeof spec.cron === "string" ? ".cron" : ".cron.schedule", checked.message]);
  }
  return errors;
}

/** null when the listen address is well formed, else what is wrong with it. */
export function addressProblem(address: string): string | null {
  const parsed = parseListenAddress(address);
  return "error" in parsed ? parsed.error : null;
}

export function normalizeJobSpec(spec: JobSpec): JobConfig {
  const check = spec.check ?? null;
  const listen = spec.listen ?? {};
  return {
    name: spec.name,
    exec: [...spec.exec],
    env: { ...(spec.env ?? {}) },
    cwd: spec.cwd ?? null,
    auto: spec.auto ?? false,
    after: [...(spec.after ?? [])],
    restart: spec.restart ?? "always",
    backoff: {
      initialMs: spec.backoff?.initialMs ?? 100,
      maxMs: spec.backoff?.maxMs ?? 30_000,
      factor: spec.backoff?.factor ?? 2,
      resetAfterMs: spec.backoff?.resetAfterMs ?? 10_000,
    },
    maxRestarts: spec.maxRestarts ?? null,
    check:
      check === null
        ? null
        : {
            intervalMs: check.intervalMs ?? 5000,
            timeoutMs: check.timeoutMs ?? 2000,
            failures: check.failures ?? 3,
            graceMs: check.graceMs ?? 30_000,
            probe: check.probe ?? null,
          },
    stop: {
      signal: (spec.stop?.signal ?? "SIGTERM") as NodeJS.Signals,
      timeoutMs: spec.stop?.timeoutMs ?? 10_000,
    },
    listen: { ...listen },
    reload: spec.reload ?? (Object.keys(listen).length > 0 ? "replace" : "restart"),
    logs: {
      timestamps: spec.logs?.timestamps ?? true,
      format: spec.logs?.format ?? "text",
      redact: [...(spec.logs?.redact ?? [])],
      maxLineBytes: spec.logs?.maxLineBytes ?? 65_536,
      merge: spec.logs?.merge ?? false,
    },
    events: [...(spec.events ?? [])],
    instances: spec.instances ?? 1,
    ready: spec.ready === undefined ? null : spec.ready === "notify" ? "notify" : { fd: spec.ready.fd },
    readyTimeoutMs: spec.readyTimeoutMs ?? null,
    watchdogMs: spec.watchdogMs ?? null,
    maxMemory: spec.maxMemory === undefined ? null : memoryBytes(spec.maxMemory),
    cron:
      spec.cron === undefined
        ? null
        : typeof spec.cron === "string"
          ? { schedule: spec.cron, timeZone: null }
          : { schedule: spec.cron.schedule, timeZone: spec.cron.timeZone ?? null },
    watch:
      spec.watch === undefined
        ? null
        : {
            paths: [...spec.watch.paths],
            ignore: [...(spec.watch.ignore ?? [])],
            debounceMs: spec.watch.debounceMs ?? 500,
          },
  };
}
