// What a configuration-file converter produces: the JobSpecs of a hello (SPEC 3.1 plus the fields of SPEC 11,
// 12 and 15), and the sentences that go with them. Types only.

import type { WireJobSpec } from "../lib/wire.js";

/** A JobSpec as a configuration file's loader sends it in its hello. */
export type ConfigJobSpec = WireJobSpec & {
  instances?: number | "max";
  ready?: "notify" | { fd: number };
  readyTimeoutMs?: number;
  maxMemory?: number | string;
  cron?: string | { schedule: string; timeZone: string };
  watch?: { paths: string[]; ignore?: string[]; debounceMs?: number };
};

/**
 * The outcome of one conversion. Any error refuses the whole file (the loader exits before its hello), so a typo
 * in one entry never stops the jobs that the file's previous version started.
 */
export interface Conversion {
  jobs: ConfigJobSpec[];
  /** Sentences naming the file and the line or field: something was accepted but is not honoured as such. */
  warnings: string[];
  /** Sentences naming the file, the line or field path, and the fix. */
  errors: string[];
}

export type ConfigKind = "json" | "procfile" | "ecosystem";
