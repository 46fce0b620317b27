// One running loader process (`PATH godv1`): spawn, the first line within 5 s, which picks the dialect (an
// object: native JSON-RPC; an array: the original's legacy dialect, see legacy-dialect.ts), the hello, requests
// both ways, the bound on malformed lines, and stopping it. It reports exactly one end.

import { type ChildProcess, spawn } from "node:child_process";
import { type CheckResult, parseCheckResult } from "../protocol/check-result.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import { type HelloResult, parseHello } from "../protocol/hello.js";
import type { JobConfig } from "../protocol/jobspec.js";
import { parseRpcLine } from "../protocol/jsonrpc.js";
import { LineDecoder } from "../protocol/ndjson.js";
import { RpcPeer } from "../protocol/rpc-peer.js";
import { LegacyDialect, parseGreeting } from "./legacy-dialect.js";
import { signalGroup, stopGroup } from "./signal-group.js";

export const FIRST_LINE_TIMEOUT_MS = 5000;
export const STOP_TIMEOUT_MS = 2000;
const MALFORMED_PER_MINUTE = 10;

export type AcceptedHello = Extract<HelloResult, { ok: true }>;

/** The `event` notification's params (SPEC 3.1). */
export interface JobEventParams {
  job: string;
  instance: number;
  pid?: number;
  state: string;
  exitCode?: number | null;
  signal?: string | null;
  at: string;
}

export interface LoaderCallbacks {
  onHello(hello: AcceptedHello): void;
  /** The process is gone. `reason` says why when god did not ask for it. */
  onEnd(reason: string | null): void;
  onRequest(method: string, params: unknown): unknown;
  onLog(level: string, message: string): void;
  onStderr(line: string): void;
  /** A malformed line, already answered where possible; logged with its first 200 bytes. */
  onMalformed(problem: string, excerpt: string): void;
}

export class LoaderConnection {
  readonly path: string;
  private readonly callbacks: LoaderCallbacks;
  private child: ChildProcess | null = null;
  private peer: RpcPeer | null = null;
  private legacy: LegacyDialect | null = null;
  private firstLineTimer: NodeJS.Timeout | null = null;
  private helloSeen = false;
  private failure: string | null = null;
  private expectedEnd = false;
  private malformedTimes: number[] = [];
  private ended = false;
  private resolveExit: () => void = () => {};
  readonly exited: Promise<void>;
  dialect: "native" | "legacy" | null = null;

  constructor(path: string, callbacks: LoaderCallbacks) {
    this.path = path;
    this.callbacks = callbacks;
    this.exited = new Promise((resolve) => {
      this.resolveExit = resolve;
    });
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get alive(): boolean {
    return this.child !== null && !this.ended;
  }

  start(): void {
    const child = spawn(this.path, ["godv1"], { stdio: ["pipe", "pipe", "pipe"], detached: true });
    this.child = child;
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) this.end(startMessage(this.path, error));
    });
    if (child.pid === undefined) return;
    child.stdin!.on("error", () => {});
    const peer = new RpcPeer({
      write: (line) => {
        child.stdin!.write(line);
      },
      onRequest: (method, params) => this.callbacks.onRequest(method, params),
      onNotification: (method, params) => this.notification(method, params),
      onInvalid: (failure, text) => this.malformed(failure.message, text),
      defaultTimeoutMs: 2000,
    });
    this.peer = peer;
    const decoder = new LineDecoder();
    child.stdout!.on("data", (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.type === "overflow")
          this.malformed(`a line of ${event.bytes} bytes is over the 1 MiB limit`, "");
        else this.line(event.text);
        if (this.failure) return;
      }
    });
    const errDecoder = new LineDecoder(64 * 1024);
    child.stderr!.on("data", (chunk: Buffer) => {
      for (const event of errDecoder.push(chunk))
        if (event.type === "line") this.callbacks.onStderr(event.text);
    });
    child.once("exit", (code, signal) => {
      const last = errDecoder.end();
      if (last?.type === "line") this.callbacks.onStderr(last.text);
      if (!this.helloSeen && this.failure === null && !this.expectedEnd) {
        const when = this.legacy ? "while god was asking about its jobs" : "before sending its hello";
        this.failure = `exited (${signal ? `killed by ${signal}` : `code ${code}`}) ${when}`;
      }
      this.end(
        this.failure ??
          (this.expectedEnd ? null : `exited (${signal ? `killed by ${signal}` : `code ${code}`})`),
      );
    });
    this.firstLineTimer = setTimeout(() => {
      this.fail(
        `sent no hello within ${FIRST_LINE_TIMEOUT_MS / 1000} s; a loader must print its hello line at once`,
      );
    }, FIRST_LINE_TIMEOUT_MS);
  }

  /**
   * Asks the loader to check a job. Every problem becomes a "fail" result with its reason, except a legacy
   * question cut off because its loader failed meanwhile: null, the check is skipped like a down loader's.
   */
  async check(job: string, pid: number, instance: number, timeoutMs: number): Promise<CheckResult | null> {
    if (!this.peer || !this.alive)
      return { status: "fail", message: "the loader is not running", nextMs: null };
    if (this.legacy) return this.legacy.check(job, timeoutMs);
    try {
      return parseCheckResult(await this.peer.request("check", { job, pid, instance }, timeoutMs));
    } catch (error) {
      const message =
        error instanceof GodError && error.code === ErrorCode.Timeout
          ? `check timed out after ${timeoutMs} ms`
          : `check failed: ${(error as Error).message}`;
      return { status: "fail", message, nextMs: null };
    }
  }

  /** Tells the loader about a state its job subscribed to. */
  sendEvent(params: JobEventParams): void {
    if (!this.alive) return;
    if (this.legacy) this.legacy.sendEvent(params);
    else this.peer?.notify("event", params);
  }

  /** The spec to spawn an instance with: a native hello declared it whole; a legacy loader is asked again. */
  prepareSpawn(config: JobConfig): Promise<{ ok: true; config: JobConfig } | { ok: false; message: string }> {
    if (this.legacy && this.alive) return this.legacy.prepareSpawn(config);
    return Promise.resolve({ ok: true, config });
  }

  /** Closes stdin and lets the loader exit on its own (release to idle); stop() if it lingers. */
  release(): Promise<void> {
    this.expectedEnd = true;
    this.child?.stdin?.end();
    const timer = setTimeout(() => void this.stop(), STOP_TIMEOUT_MS);
    return this.exited.then(() => clearTimeout(timer));
  }

  /** Closes stdin, SIGTERM to its group, SIGKILL after 2 s; resolves once it has exited. */
  stop(): Promise<void> {
    this.expectedEnd = true;
    const child = this.child;
    if (!child || child.pid === undefined || this.ended) return this.exited;
    child.stdin?.end();
    stopGroup(child.pid, "SIGTERM", STOP_TIMEOUT_MS, this.exited);
    return this.exited;
  }

  private line(text: string): void {
    if (this.legacy) {
      this.legacy.handleLine(text);
      return;
    }
    if (!this.helloSeen) {
      this.first(text);
      return;
    }
    this.peer?.handleLine(text);
  }

  private first(text: string): void {
    if (this.firstLineTimer) clearTimeout(this.firstLineTimer);
    this.firstLineTimer = null;
    const trimmed = text.trimStart();
    if (trimmed.startsWith("[")) {
      this.dialect = "legacy";
      this.firstLegacy(text);
      return;
    }
    this.dialect = "native";
    const message = parseRpcLine(text);
    if (message.type === "invalid") {
      this.fail(`its first line is not a JSON-RPC message (${message.message}): ${excerpt(text)}`);
      return;
    }
    if (message.type !== "notification" || message.method !== "hello") {
      this.fail(`its first line must be the "hello" notification, got: ${excerpt(text)}`);
      return;
    }
    const hello = parseHello(message.params);
    if (!hello.ok) {
      this.fail(`sent an invalid hello: ${hello.errors.join("; ")}`);
      return;
    }
    this.helloSeen = true;
    this.callbacks.onHello(hello);
  }

  /** `["godv1", JOB...]`: ask auto, exec and env of each job, then hand on the hello like a native one. */
  private firstLegacy(text: string): void {
    const greeting = parseGreeting(text);
    if (!greeting.ok) {
      this.fail(`${greeting.message}: ${excerpt(text)}`);
      return;
    }
    const child = this.child!;
    const legacy = new LegacyDialect({
      path: this.path,
      write: (line) => {
        child.stdin!.write(line);
      },
      broken: (reason) => this.fail(`${reason}; its stream is unusable`),
      malformed: (problem, line) => this.malformed(problem, line),
    });
    this.legacy = legacy;
    legacy.load(greeting.value).then(
      (hello) => {
        if (this.failure !== null || this.ended) return;
        if (!hello.ok) {
          this.fail(`sent an invalid hello: ${hello.errors.join("; ")}`);
          return;
        }
        this.helloSeen = true;
        this.callbacks.onHello(hello);
      },
      (error: unknown) => this.fail(`failed while god asked about its jobs: ${(error as Error).message}`),
    );
  }

  private notification(method: string, params: unknown): void {
    if (method === "log" && typeof params === "object" && params !== null) {
      const p = params as { level?: unknown; message?: unknown };
      this.callbacks.onLog(typeof p.level === "string" ? p.level : "info", String(p.message ?? ""));
      return;
    }
    if (method === "hello") {
      this.malformed("a second hello was ignored; restart the loader to change its jobs", "");
      return;
    }
    this.malformed(`unknown notification "${method}"`, "");
  }

  private malformed(problem: string, text: string): void {
    const now = Date.now();
    this.malformedTimes = this.malformedTimes.filter((t) => now - t < 60_000);
    this.malformedTimes.push(now);
    if (this.malformedTimes.length > MALFORMED_PER_MINUTE) {
      this.fail(`sent more than ${MALFORMED_PER_MINUTE} malformed lines within a minute (last: ${problem})`);
      return;
    }
    this.callbacks.onMalformed(problem, excerpt(text));
  }

  private fail(reason: string): void {
    if (this.failure !== null || this.ended) return;
    this.failure = reason;
    const pid = this.child?.pid;
    this.peer?.close(`loader ${this.path} failed: ${reason}`);
    this.legacy?.close(`loader ${this.path} failed: ${reason}`);
    if (pid !== undefined) {
      this.child?.stdin?.end();
      stopGroup(pid, "SIGTERM", STOP_TIMEOUT_MS, this.exited);
    }
  }

  private end(reason: string | null): void {
    if (this.ended) return;
    this.ended = true;
    if (this.firstLineTimer) clearTimeout(this.firstLineTimer);
    this.peer?.close(`loader ${this.path} exited`);
    this.legacy?.close(`loader ${this.path} exited`);
    const pid = this.child?.pid;
    if (pid !== undefined) signalGroup(pid, "SIGKILL");
    this.resolveExit();
    this.callbacks.onEnd(reason);
  }
}

function excerpt(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

function startMessage(path: string, error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ENOENT":
      return `could not start: ${path} does not exist`;
    case "EACCES":
      return `could not start: ${path} is not executable (chmod +x it)`;
    case "ENOEXEC":
      return `could not start: ${path} is not a program (add a #! line)`;
    default:
      return `could not start: ${error.message}`;
  }
}
