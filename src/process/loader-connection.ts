// One running loader process (`PATH godv1`): spawn, the first line within 5 s, which picks the dialect (an
// object: native JSON-RPC; an array: the original's legacy dialect), the hello, the bound on malformed lines
// (shared by every process of the same loader), the bound on what god has written and the loader not yet
// read, and stopping it. It reports exactly one end. What is asked of the loader goes through `dialect`.

import { type ChildProcess, spawn } from "node:child_process";
import { type HelloResult, parseHello } from "../protocol/hello.js";
import { parseRpcLine } from "../protocol/jsonrpc.js";
import { LineDecoder } from "../protocol/ndjson.js";
import { RpcPeer } from "../protocol/rpc-peer.js";
import { LegacyDialect, parseGreeting, type Words } from "./legacy-dialect.js";
import type { LoaderDialect } from "./loader-dialect.js";
import { NativeDialect } from "./native-dialect.js";
import { signalGroup, stopGroup } from "./signal-group.js";

export const FIRST_LINE_TIMEOUT_MS = 5000;
export const STOP_TIMEOUT_MS = 2000;
export const MALFORMED_PER_MINUTE = 10;
/** Bytes god may have written to a loader's stdin that it has not read; past this it is unresponsive. */
export const MAX_UNREAD_BYTES = 1024 * 1024;

export const FIRST_LINE_RULE =
  'its first line must be a JSON-RPC hello object (native) or ["godv1", JOB...] (legacy)';

export type AcceptedHello = Extract<HelloResult, { ok: true }>;

export interface LoaderCallbacks {
  onHello(hello: AcceptedHello): void;
  /** The process is gone. `reason` says why when god did not ask for it. */
  onEnd(reason: string | null): void;
  /** A native loader's request (start, stop, restart, reload of one of its jobs). */
  onRequest(method: string, params: unknown): unknown;
  onLog(level: "info" | "warn" | "error", message: string): void;
  onStderr(line: string): void;
  /** A malformed line, already answered where possible; logged with its first 200 bytes. */
  onMalformed(problem: string, excerpt: string): void;
  /** Legacy: a check answered `["@OTHER", ARGS...]`. */
  onForward(job: string, words: Words): void;
  /** Legacy: a check answered `["@newLoaders"]`. */
  onNewLoaders(): void;
}

/** Malformed lines of one loader within the last minute, across its restarts (SPEC 3.1). */
export class MalformedBudget {
  private times: number[] = [];
  /** Counts one; false once more than MALFORMED_PER_MINUTE came within a minute. */
  spend(nowMs: number): boolean {
    this.times = this.times.filter((t) => nowMs - t < 60_000);
    this.times.push(nowMs);
    return this.times.length <= MALFORMED_PER_MINUTE;
  }
}

const LOG_LEVELS = new Set(["debug", "info", "warn", "error"]);

export class LoaderConnection {
  readonly path: string;
  private readonly argv: readonly string[];
  /** Added to god's environment for the loader (GOD_ENV_NAME for a configuration file's built-in loader). */
  private readonly env: Readonly<Record<string, string>>;
  private readonly callbacks: LoaderCallbacks;
  private readonly budget: MalformedBudget;
  private child: ChildProcess | null = null;
  private peer: RpcPeer | null = null;
  private firstLineTimer: NodeJS.Timeout | null = null;
  private helloSeen = false;
  private failure: string | null = null;
  private expectedEnd = false;
  private ended = false;
  private lastStderr: string | null = null;
  private resolveExit: () => void = () => {};
  readonly exited: Promise<void>;
  /** What god asks the loader through, once its first line chose the dialect. */
  dialect: LoaderDialect | null = null;

  /** `argv` runs the loader (default `[path, "godv1"]`; a built-in loader for a config file differs). */
  constructor(
    path: string,
    callbacks: LoaderCallbacks,
    budget = new MalformedBudget(),
    argv?: string[],
    env: Record<string, string> = {},
  ) {
    this.path = path;
    this.argv = argv ?? [path, "godv1"];
    this.env = env;
    this.callbacks = callbacks;
    this.budget = budget;
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
    const [file, ...args] = this.argv as [string, ...string[]];
    const env = Object.keys(this.env).length === 0 ? process.env : { ...process.env, ...this.env };
    let child: ChildProcess;
    try {
      child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"], detached: true, env });
    } catch (error) {
      // Some failures throw instead of emitting "error": ETXTBSY when the file is being written (a deploy that
      // writes in place). The loader failed to start, with its reason, and is retried by its backoff; ended on
      // the next turn, as an "error" event would be, once the caller has its listeners in place.
      setImmediate(() => this.end(startMessage(this.path, error as NodeJS.ErrnoException)));
      return;
    }
    this.child = child;
    child.once("error", (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) this.end(startMessage(this.path, error));
    });
    if (child.pid === undefined) return;
    child.stdin!.on("error", () => {});
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
      for (const event of errDecoder.push(chunk)) if (event.type === "line") this.stderr(event.text);
    });
    child.once("exit", (code, signal) => {
      const last = errDecoder.end();
      if (last?.type === "line") this.stderr(last.text);
      const how = signal ? `killed by ${signal}` : `code ${code}`;
      if (!this.helloSeen && this.failure === null && !this.expectedEnd) {
        const when =
          this.dialect?.name === "legacy"
            ? "while god was asking about its jobs"
            : "before sending its hello";
        const said = this.lastStderr ? `; its last words: ${excerpt(this.lastStderr)}` : "";
        this.failure = `exited (${how}) ${when}${said}`;
      }
      this.end(this.failure ?? (this.expectedEnd ? null : `exited (${how})`));
    });
    this.firstLineTimer = setTimeout(() => {
      this.fail(
        `sent no hello within ${FIRST_LINE_TIMEOUT_MS / 1000} s; a loader must print its hello line at once`,
      );
    }, FIRST_LINE_TIMEOUT_MS);
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

  /** SIGKILL to the loader's group now (god is about to exit). */
  kill(): void {
    const pid = this.child?.pid;
    if (pid !== undefined && !this.ended) signalGroup(pid, "SIGKILL");
  }

  /** Writes to the loader; one that has left more than MAX_UNREAD_BYTES unread is cut off. */
  private write(line: string): void {
    const stdin = this.child?.stdin;
    if (!stdin || this.ended || this.failure !== null) return;
    if (stdin.writableLength > MAX_UNREAD_BYTES) {
      this.fail(
        `does not read its stdin: more than ${MAX_UNREAD_BYTES / (1024 * 1024)} MiB of god's messages are unread; a loader must read every line god sends`,
      );
      return;
    }
    stdin.write(line);
  }

  private stderr(line: string): void {
    this.lastStderr = line;
    this.callbacks.onStderr(line);
  }

  private line(text: string): void {
    if (this.dialect instanceof LegacyDialect) {
      this.dialect.handleLine(text);
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
      const greeting = parseGreeting(text);
      if (!greeting.ok) {
        this.fail(`${FIRST_LINE_RULE}, got: ${excerpt(text)} (${greeting.message})`);
        return;
      }
      this.firstLegacy(greeting.value);
      return;
    }
    if (!trimmed.startsWith("{")) {
      this.fail(`${FIRST_LINE_RULE}, got: ${excerpt(text)}`);
      return;
    }
    const message = parseRpcLine(text);
    if (message.type === "invalid") {
      this.fail(`${FIRST_LINE_RULE}; it is not a JSON-RPC message (${message.message}): ${excerpt(text)}`);
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
    const peer = new RpcPeer({
      write: (line) => this.write(line),
      onRequest: (method, params) => this.callbacks.onRequest(method, params),
      onNotification: (method, params) => this.notification(method, params),
      onInvalid: (failure, line) => this.malformed(failure.message, line),
      defaultTimeoutMs: 2000,
    });
    this.peer = peer;
    this.dialect = new NativeDialect(peer);
    this.helloSeen = true;
    this.callbacks.onHello(hello);
  }

  /** `["godv1", JOB...]`: ask auto, exec and env of each job, then hand on the hello like a native one. */
  private firstLegacy(names: string[]): void {
    const legacy = new LegacyDialect({
      path: this.path,
      write: (line) => this.write(line),
      broken: (reason) => this.fail(`${reason}; its stream is unusable`),
      malformed: (problem, line) => this.malformed(problem, line),
      forward: (job, words) => this.callbacks.onForward(job, words),
      newLoaders: () => this.callbacks.onNewLoaders(),
    });
    this.dialect = legacy;
    legacy.load(names).then(
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
    if (method === "log") {
      const p = typeof params === "object" && params !== null ? (params as Record<string, unknown>) : null;
      const level = p?.["level"];
      const message = p?.["message"];
      if (typeof level !== "string" || !LOG_LEVELS.has(level) || typeof message !== "string") {
        this.malformed(
          'a "log" notification needs params {level: "debug"|"info"|"warn"|"error", message: string}',
          "",
        );
        return;
      }
      this.callbacks.onLog(
        level === "debug" ? "info" : (level as "info" | "warn" | "error"),
        message.slice(0, 4096),
      );
      return;
    }
    if (method === "hello") {
      this.malformed("a second hello was ignored; restart the loader to change its jobs", "");
      return;
    }
    this.malformed(`unknown notification "${method}"`, "");
  }

  /** Logged and counted per loader: past 10 a minute the loader is restarted (with its backoff). */
  private malformed(problem: string, text: string): void {
    if (!this.budget.spend(Date.now())) {
      this.fail(`sent more than ${MALFORMED_PER_MINUTE} malformed lines within a minute (last: ${problem})`);
      return;
    }
    this.callbacks.onMalformed(problem, excerpt(text));
  }

  private fail(reason: string): void {
    if (this.failure !== null || this.ended) return;
    this.failure = reason;
    const pid = this.child?.pid;
    this.dialect?.close(`loader ${this.path} failed: ${reason}`);
    if (pid !== undefined) {
      this.child?.stdin?.end();
      stopGroup(pid, "SIGTERM", STOP_TIMEOUT_MS, this.exited);
    }
  }

  private end(reason: string | null): void {
    if (this.ended) return;
    this.ended = true;
    if (this.firstLineTimer) clearTimeout(this.firstLineTimer);
    this.dialect?.close(`loader ${this.path} exited`);
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
    case "ETXTBSY":
      return `could not start: ${path} is being written (ETXTBSY); it is tried again once its backoff has passed`;
    default:
      return `could not start: ${error.message}`;
  }
}
