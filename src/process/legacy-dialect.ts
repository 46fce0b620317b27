// The legacy dialect of the original Go watchgod (SPEC 3.2): every message is a JSON array of strings and one
// request is outstanding at a time. This file owns that queue, the questions asked at load (auto, exec, env)
// that become a hello validated like a native one, exec and env asked again before every start, and the
// mapping of checks and events. Transport-free: the connection feeds it lines and gives it a write function.

import { basename } from "node:path";
import type { CheckResult } from "../protocol/check-result.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import { type HelloResult, type JobError, parseHello } from "../protocol/hello.js";
import { type JobConfig, MAX_JOBS_PER_LOADER } from "../protocol/jobspec.js";
import type { JobStateName } from "../protocol/states.js";
import type { JobEventParams } from "./loader-connection.js";

/** Every request's bound; a request unanswered this long makes the stream unusable (the check timeout). */
export const LEGACY_TIMEOUT_MS = 2000;
/** The next check when an answer gives no MS, as in the original. */
export const LEGACY_NEXT_MS = 1000;
/** The first check of an instance comes this long after its spawn. */
export const LEGACY_FIRST_CHECK_MS = 200;
/** An empty answer to `check` means "no check": the instance is ready and not asked again (about a day). */
export const LEGACY_NO_CHECK_NEXT_MS = 86_400_000;
/** The states whose events a legacy loader gets, as onStart, onRun, onDegrade and onExit. */
export const LEGACY_EVENTS: readonly JobStateName[] = [
  "starting",
  "running",
  "degraded",
  "exited",
  "backoff",
  "failed",
  "stopped",
];

const MAX_WORDS = 10_000;

export type Words = string[];
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** A line from the loader: an array of strings, or null (the Go library's empty slice). Numbers are read as text. */
export function parseWords(text: string): Parsed<Words> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: "not JSON; the legacy dialect sends one JSON array of strings a line" };
  }
  if (value === null) return { ok: true, value: [] };
  if (!Array.isArray(value)) return { ok: false, message: "expected a JSON array of strings" };
  if (value.length > MAX_WORDS) return { ok: false, message: `more than ${MAX_WORDS} strings in one line` };
  const words: string[] = [];
  for (const [i, word] of value.entries()) {
    if (typeof word === "string") words.push(word);
    else if (typeof word === "number" && Number.isFinite(word)) words.push(String(word));
    else
      return { ok: false, message: `[${i}]: expected a string, got ${JSON.stringify(word)?.slice(0, 40)}` };
  }
  return { ok: true, value: words };
}

/** The first line, `["godv1", JOB...]`: the job names. */
export function parseGreeting(text: string): Parsed<string[]> {
  const words = parseWords(text);
  if (!words.ok) return { ok: false, message: `its first line is not a legacy greeting (${words.message})` };
  const [protocol, ...names] = words.value;
  if (protocol !== "godv1") {
    return {
      ok: false,
      message: `its first line must start with "godv1" (["godv1", JOB...]), got ${JSON.stringify(protocol ?? null)}`,
    };
  }
  if (names.length > MAX_JOBS_PER_LOADER) {
    return {
      ok: false,
      message: `it declares ${names.length} jobs; a loader may declare at most ${MAX_JOBS_PER_LOADER}`,
    };
  }
  return { ok: true, value: names };
}

/**
 * The answer to `[job, "auto"]`: ["true"] starts with god; another list names the jobs to start after (the
 * legacy `after`); empty or null is manual. ["false"], which the original Go library sends for `Auto = false`,
 * is manual too: the original would have waited forever for a job named "false".
 */
export function legacyAuto(words: Words): { auto: boolean; after: string[] } {
  if (words.length === 0) return { auto: false, after: [] };
  if (words.length === 1 && words[0] === "true") return { auto: true, after: [] };
  if (words.length === 1 && words[0] === "false") return { auto: false, after: [] };
  return { auto: true, after: words };
}

/** The answer to `[job, "env"]`: "KEY=VALUE" strings merged over god's environment; empty means no overrides. */
export function legacyEnv(words: Words): { env: Record<string, string>; errors: string[] } {
  const env: Record<string, string> = {};
  const errors: string[] = [];
  words.forEach((word, i) => {
    const eq = word.indexOf("=");
    if (eq <= 0) errors.push(`[${i}]: expected "KEY=VALUE", got ${JSON.stringify(word.slice(0, 100))}`);
    else env[word.slice(0, eq)] = word.slice(eq + 1);
  });
  return { env, errors };
}

function nextMs(word: string | undefined): number {
  if (word === undefined || !/^\d{1,9}$/.test(word.trim())) return LEGACY_NEXT_MS;
  return Math.min(Number(word), LEGACY_NO_CHECK_NEXT_MS);
}

/** The answer to `[job, "check"]`: ok / degrade with the next check's delay, fail / stop, or [] for no check. */
export function legacyCheckResult(words: Words): CheckResult {
  const [word, ms] = words;
  switch (word) {
    case undefined:
      return {
        status: "ok",
        message: "no check: the loader answered [], so the job is ready while it runs",
        nextMs: LEGACY_NO_CHECK_NEXT_MS,
      };
    case "ok":
      return { status: "ok", message: null, nextMs: nextMs(ms) };
    case "degrade":
      return { status: "degraded", message: `the loader answered ${clip(words)}`, nextMs: nextMs(ms) };
    case "fail":
    case "stop":
      return { status: "fail", message: `the loader answered ${clip(words)}`, nextMs: null };
    default:
      return {
        status: "fail",
        message: `the loader answered ${clip(words)}; expected "ok", "degrade", "fail", "stop" or []`,
        nextMs: null,
      };
  }
}

function clip(words: Words): string {
  const text = JSON.stringify(words);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** A synthesized JobSpec for parseHello, so a legacy job is validated (and its errors read) like a native one. */
export function legacySpec(name: string, answers: { auto: Words; exec: Words; env: Words }): unknown {
  const { auto, after } = legacyAuto(answers.auto);
  return {
    name,
    exec: answers.exec,
    env: legacyEnv(answers.env).env,
    auto,
    after,
    check: { intervalMs: LEGACY_FIRST_CHECK_MS, timeoutMs: LEGACY_TIMEOUT_MS },
    events: [...LEGACY_EVENTS],
  };
}

export interface LegacyOptions {
  path: string;
  write(line: string): void;
  /** The stream is unusable (a request went unanswered); the connection fails and the loader is restarted. */
  broken(reason: string): void;
  /** A line that was not a valid answer, or came when nothing was asked; counted like native malformed lines. */
  malformed(problem: string, text: string): void;
}

type Ask = {
  words: Words;
  timeoutMs: number;
  resolve: (words: Words) => void;
  reject: (error: GodError) => void;
};

/** One legacy loader's side of the conversation: the request queue and what each question means. */
export class LegacyDialect {
  private readonly options: LegacyOptions;
  private readonly queue: Ask[] = [];
  private current: { ask: Ask; timer: NodeJS.Timeout } | null = null;
  private closed: GodError | null = null;
  /** The instance of each job that got onStart and not yet onExit. */
  private readonly started = new Map<string, number>();

  constructor(options: LegacyOptions) {
    this.options = options;
  }

  /** Asks one question; answers come in order, one outstanding at a time. */
  ask(words: Words, timeoutMs = LEGACY_TIMEOUT_MS): Promise<Words> {
    if (this.closed) return Promise.reject(this.closed);
    return new Promise((resolve, reject) => {
      this.queue.push({ words, timeoutMs, resolve, reject });
      this.pump();
    });
  }

  handleLine(text: string): void {
    if (text.trim() === "") return;
    const head = this.current;
    if (!head) {
      this.options.malformed("a line came when god had asked nothing", text);
      return;
    }
    clearTimeout(head.timer);
    this.current = null;
    const words = parseWords(text);
    if (words.ok) head.ask.resolve(words.value);
    else {
      const message = `invalid answer to ${JSON.stringify(head.ask.words)}: ${words.message}`;
      head.ask.reject(new GodError(ErrorCode.InvalidRequest, message));
      this.options.malformed(message, text);
    }
    this.pump();
  }

  /** Fails the question in flight and every queued one; later questions fail at once. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = new GodError(ErrorCode.Closed, reason);
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.ask.reject(this.closed);
      this.current = null;
    }
    for (const ask of this.queue.splice(0)) ask.reject(this.closed);
  }

  /** Asks auto, exec and env of every job and validates the result as a native hello would be. */
  async load(names: string[]): Promise<HelloResult> {
    const specs: unknown[] = [];
    const envErrors = new Map<number, string[]>();
    for (const [i, name] of names.entries()) {
      const auto = await this.ask([name, "auto"]);
      const exec = await this.ask([name, "exec"]);
      const env = await this.ask([name, "env"]);
      specs.push(legacySpec(name, { auto, exec, env }));
      const errors = legacyEnv(env).errors;
      if (errors.length > 0) envErrors.set(i, errors);
    }
    const loader = { name: basename(this.options.path) };
    const hello = parseHello({ protocol: "godv1", loader, jobs: specs });
    if (!hello.ok || envErrors.size === 0) return hello;
    const jobErrors: JobError[] = [...hello.jobErrors];
    const rejected = new Set<string>();
    for (const [i, errors] of envErrors) {
      const name = names[i]!;
      rejected.add(name);
      jobErrors.push({ name, message: errors.map((e) => `jobs[${i}].env${e}`).join("; ") });
    }
    return { ...hello, jobs: hello.jobs.filter((j) => !rejected.has(j.name)), jobErrors };
  }

  /**
   * `[job, "check"]`. A timeout is a "fail" (the stream is broken and the loader restarted, but a job whose
   * check hangs must not pass); a question cut off because the loader failed meanwhile is null: skipped.
   */
  async check(job: string, timeoutMs: number): Promise<CheckResult | null> {
    try {
      return legacyCheckResult(await this.ask([job, "check"], timeoutMs));
    } catch (error) {
      const e = error as GodError;
      if (e.code === ErrorCode.Timeout) {
        return {
          status: "fail",
          message: `check timed out after ${timeoutMs} ms; the legacy loader is restarted`,
          nextMs: null,
        };
      }
      if (e.code === ErrorCode.Closed) return null;
      return { status: "fail", message: `check failed: ${e.message}`, nextMs: null };
    }
  }

  /** Asks exec and env again before a start. If the loader cannot answer, the last known spec is used. */
  async prepareSpawn(
    config: JobConfig,
  ): Promise<{ ok: true; config: JobConfig } | { ok: false; message: string }> {
    let exec: Words;
    let env: Words;
    try {
      exec = await this.ask([config.name, "exec"]);
      env = await this.ask([config.name, "env"]);
    } catch {
      return { ok: true, config };
    }
    if (exec.length === 0 || exec[0] === "") {
      return {
        ok: false,
        message: `the legacy loader answered ${clip(exec)} to ${JSON.stringify([config.name, "exec"])}; it must name the program to run`,
      };
    }
    const parsed = legacyEnv(env);
    if (parsed.errors.length > 0) {
      return {
        ok: false,
        message: `the legacy loader's answer to ${JSON.stringify([config.name, "env"])} is invalid: ${parsed.errors.join("; ")}`,
      };
    }
    return { ok: true, config: { ...config, exec, env: parsed.env } };
  }

  /** Turns a native state event into onStart, onRun, onDegrade or onExit; answers are ignored. */
  sendEvent(params: JobEventParams): void {
    const words = this.eventWords(params);
    if (words) this.ask(words).catch(() => {});
  }

  private eventWords(params: JobEventParams): Words | null {
    const { job, instance } = params;
    switch (params.state) {
      case "starting":
        this.started.set(job, instance);
        return [job, "onStart"];
      case "running":
        return [job, "onRun"];
      case "degraded":
        return [job, "onDegrade"];
      case "exited":
      case "backoff":
      case "failed":
      case "stopped": {
        // Only after an exit of an instance that was reported started: a stop while waiting has no exit.
        if (this.started.get(job) !== instance) return null;
        this.started.delete(job);
        const code = typeof params.exitCode === "number" ? params.exitCode : -1;
        return [job, "onExit", String(code)];
      }
      default:
        return null;
    }
  }

  private pump(): void {
    if (this.current || this.closed) return;
    const ask = this.queue.shift();
    if (!ask) return;
    const timer = setTimeout(() => {
      if (this.current?.ask !== ask) return;
      this.current = null;
      const reason = `did not answer ${JSON.stringify(ask.words)} within ${ask.timeoutMs} ms`;
      ask.reject(new GodError(ErrorCode.Timeout, reason));
      this.options.broken(reason);
    }, ask.timeoutMs);
    this.current = { ask, timer };
    this.options.write(`${JSON.stringify(ask.words)}\n`);
  }
}
