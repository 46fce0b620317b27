// The legacy dialect of the original Go watchgod (SPEC 3.2): every message is a JSON array of strings and one
// request is outstanding at a time. This file owns that queue, the questions asked at load (auto, exec, env)
// that become a hello validated like a native one, exec, env and onStart asked (and awaited) before every
// spawn, onExit after every exit, the stop question after a failed check, check answers forwarded to another
// job (`@OTHER`) or reloading every loader (`@newLoaders`), and onRun and onDegrade. Transport-free: the
// connection feeds it lines and gives it a write function.

import { basename } from "node:path";
import type { CheckResult } from "../protocol/check-result.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import { type HelloResult, type JobError, parseHello } from "../protocol/hello.js";
import type { CheckTarget, JobEventParams } from "../protocol/job-event.js";
import { type JobConfig, MAX_JOBS_PER_LOADER } from "../protocol/jobspec.js";
import {
  LEGACY_FIRST_CHECK_MS,
  LEGACY_NEXT_MS,
  LEGACY_NO_CHECK_NEXT_MS,
  LEGACY_TIMEOUT_MS,
} from "../protocol/legacy-cadence.js";
import type { JobStateName } from "../protocol/states.js";
import type { CheckVerdict, LoaderDialect, Prepared, StopPlan } from "./loader-dialect.js";

export { LEGACY_FIRST_CHECK_MS, LEGACY_NEXT_MS, LEGACY_NO_CHECK_NEXT_MS, LEGACY_TIMEOUT_MS };

/** The states whose events a legacy loader gets, as onRun and onDegrade (onStart and onExit come with the
 * spawn and the exit of each process). */
export const LEGACY_EVENTS: readonly JobStateName[] = ["running", "degraded"];
/** The stop question's answer `[MS]` that is not a number means this long, as in the original. */
export const LEGACY_STOP_KILL_MS = 5000;

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

/**
 * The answer to `[job, "check"]`: ok / degrade with the next check's delay, fail / stop, [] for no check, or
 * an order for another job (`["@OTHER", ARGS...]`) or for god (`["@newLoaders"]`), which is no verdict on
 * this job.
 */
export type LegacyAnswer =
  | { type: "result"; result: CheckResult; noCheck: boolean }
  | { type: "forward"; job: string; words: Words }
  | { type: "newLoaders" };

export function legacyCheckAnswer(words: Words): LegacyAnswer {
  const [word, ms] = words;
  const result = (
    status: CheckResult["status"],
    message: string | null,
    nextMs: number | null,
    noCheck = false,
  ) => ({ type: "result", result: { status, message, nextMs }, noCheck }) as const;
  if (word?.startsWith("@") && word.length > 1) {
    const target = word.slice(1);
    if (target === "newLoaders") return { type: "newLoaders" };
    return { type: "forward", job: target, words: [target, ...words.slice(1)] };
  }
  switch (word) {
    case undefined:
      return result(
        "ok",
        "no check: the loader answered [], so the job is ready while it runs",
        LEGACY_NO_CHECK_NEXT_MS,
        true,
      );
    case "ok":
      return result("ok", null, nextMs(ms));
    case "degrade":
      return result("degraded", `the loader answered ${clip(words)}`, nextMs(ms));
    case "fail":
    case "stop":
      return result("fail", `the loader answered ${clip(words)}`, null);
    default:
      return result(
        "fail",
        `the loader answered ${clip(words)}; expected "ok", "degrade", "fail", "stop", [] or "@JOB"`,
        null,
      );
  }
}

/** The answer to `[job, "stop", PID]`: [] lets god stop the instance; [MS] means the loader stops it itself. */
export function legacyStopPlan(words: Words): StopPlan {
  if (words.length === 0) return { by: "god" };
  const ms = /^\d{1,9}$/.test(words[0]!.trim()) ? Number(words[0]) : LEGACY_STOP_KILL_MS;
  return { by: "loader", killAfterMs: ms };
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
  /** A check answered `["@OTHER", ARGS...]`: `[OTHER, ARGS...]` goes to OTHER's loader (answer discarded). */
  forward(job: string, words: Words): void;
  /** A check answered `["@newLoaders"]`: every loader is reloaded. */
  newLoaders(): void;
}

type Ask = {
  words: Words;
  timeoutMs: number;
  resolve: (words: Words) => void;
  reject: (error: GodError) => void;
};

/** One legacy loader's side of the conversation: the request queue and what each question means. */
export class LegacyDialect implements LoaderDialect {
  readonly name = "legacy";
  private readonly options: LegacyOptions;
  private readonly queue: Ask[] = [];
  private current: { ask: Ask; timer: NodeJS.Timeout } | null = null;
  private closed: GodError | null = null;
  /** Jobs whose process got onStart and not yet onExit. */
  private readonly started = new Set<string>();

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
   * check hangs must not pass); a question cut off because the loader failed meanwhile gives no verdict.
   */
  async check(job: string, _target: CheckTarget, timeoutMs: number): Promise<CheckVerdict> {
    let words: Words;
    try {
      words = await this.ask([job, "check"], timeoutMs);
    } catch (error) {
      const e = error as GodError;
      const fail = (message: string): CheckVerdict => ({
        type: "result",
        result: { status: "fail", message, nextMs: null },
        noCheck: false,
      });
      if (e.code === ErrorCode.Timeout)
        return fail(`check timed out after ${timeoutMs} ms; the legacy loader is restarted`);
      if (e.code === ErrorCode.Closed) return { type: "skip", nextMs: null };
      return fail(`check failed: ${e.message}`);
    }
    const answer = legacyCheckAnswer(words);
    switch (answer.type) {
      case "result":
        return answer;
      case "forward":
        this.options.forward(answer.job, answer.words);
        return { type: "skip", nextMs: LEGACY_NEXT_MS };
      case "newLoaders":
        this.options.newLoaders();
        return { type: "skip", nextMs: LEGACY_NEXT_MS };
    }
  }

  /**
   * Before a spawn, as the original does: exec and env asked again, then onStart, its answer awaited. If the
   * loader cannot answer (it is being restarted), the last known spec is used.
   */
  async prepareSpawn(config: JobConfig): Promise<Prepared> {
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
    this.started.add(config.name);
    await this.ask([config.name, "onStart"]).catch(() => {});
    return { ok: true, config: { ...config, exec, env: parsed.env } };
  }

  /** onExit of a process that got onStart; queued, so it comes before the next start's exec question. */
  exited(job: string, code: number | null): void {
    if (!this.started.delete(job)) return;
    this.ask([job, "onExit", String(code ?? -1)]).catch(() => {});
  }

  /** onRun and onDegrade; answers are ignored. */
  stateChanged(params: JobEventParams): void {
    const words =
      params.state === "running"
        ? [params.job, "onRun"]
        : params.state === "degraded"
          ? [params.job, "onDegrade"]
          : null;
    if (words) this.ask(words).catch(() => {});
  }

  /** `[job, "stop", PID]`, asked after a failed check; a loader that cannot answer leaves the stop to god. */
  async stopPlan(job: string, pid: number): Promise<StopPlan> {
    try {
      return legacyStopPlan(await this.ask([job, "stop", String(pid)]));
    } catch {
      return { by: "god" };
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
