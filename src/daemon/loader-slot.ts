// One loader file as god tracks it: its current process (if resident), a replacement being tried during a
// reload, its state for `god loaders`, its errors, and the restart backoff (100 ms doubling to 30 s, reset only
// after the loader has stayed up or idle for 10 s since a good hello, SPEC 2). What a hello means for the jobs
// is decided by the supervisor; this file only manages the loader's life.

import type { Words } from "../process/legacy-dialect.js";
import { type AcceptedHello, LoaderConnection, MalformedBudget } from "../process/loader-connection.js";
import type { DialectName, LoaderDialect } from "../process/loader-dialect.js";
import type { LoaderStateName } from "../protocol/states.js";

export const BACKOFF_INITIAL_MS = 100;
export const BACKOFF_MAX_MS = 30_000;
/** A loader up (or idle after a good hello) this long has its backoff reset. */
export const STABLE_AFTER_MS = 10_000;

export interface LoaderSlotHooks {
  /** Applies an accepted hello; returns whether the loader must stay resident. */
  hello(slot: LoaderSlot, hello: AcceptedHello): boolean;
  request(slot: LoaderSlot, method: string, params: unknown): unknown;
  forward(slot: LoaderSlot, job: string, words: Words): void;
  newLoaders(): void;
  log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>): void;
  /** The slot's state changed (the loader came up, went idle, down or failed). */
  changed(slot: LoaderSlot): void;
}

type Trial = { connection: LoaderConnection; waiters: Array<(error: string | null) => void> };

export class LoaderSlot {
  readonly path: string;
  /** How the loader runs: `[path, "godv1"]`, or a built-in loader's argv for a configuration file. */
  private readonly argv: string[] | undefined;
  /** Added to god's environment for it (GOD_ENV_NAME for a configuration file). */
  private readonly env: Record<string, string>;
  state: LoaderStateName = "down";
  /** The hello's job errors or the last failure; cleared by the next good hello. */
  error: string | null = null;
  /** The last failure, kept after a good hello. */
  lastError: string | null = null;
  /** Restarts after a failure (not reloads). */
  restarts = 0;
  /** The resident process, when state is "up". */
  current: LoaderConnection | null = null;
  private lastDialect: DialectName | null = null;
  private trial: Trial | null = null;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private stableTimer: NodeJS.Timeout | null = null;
  private removed = false;
  private readonly budget = new MalformedBudget();
  private readonly hooks: LoaderSlotHooks;

  constructor(path: string, hooks: LoaderSlotHooks, argv?: string[], env: Record<string, string> = {}) {
    this.path = path;
    this.hooks = hooks;
    this.argv = argv;
    this.env = env;
  }

  /** The dialect of the last process that said hello (an idle loader keeps it). */
  get dialectName(): DialectName | null {
    return this.current?.dialect?.name ?? this.lastDialect;
  }

  /** What god asks this loader's jobs through, while a process of it is resident and alive. */
  get dialect(): LoaderDialect | null {
    const c = this.current;
    return c?.alive ? c.dialect : null;
  }

  /**
   * Starts a new loader process and applies its hello. While an older one is resident it keeps serving until
   * the new hello is accepted; if the new one fails, the old one stays. A load during another load replaces
   * that trial, and both callers get the outcome of the last one. Resolves with the error, or null.
   */
  load(): Promise<string | null> {
    if (this.removed) return Promise.resolve("the loader was removed");
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    return new Promise((done) => {
      const previous = this.trial;
      const connection: LoaderConnection = new LoaderConnection(
        this.path,
        {
          onHello: (hello) => this.accepted(connection, hello),
          onEnd: (reason) => this.ended(connection, reason),
          onRequest: (method, params) => this.hooks.request(this, method, params),
          onForward: (job, words) => this.hooks.forward(this, job, words),
          onNewLoaders: () => this.hooks.newLoaders(),
          onLog: (level, message) => this.hooks.log(level, message, { loader: this.path }),
          onStderr: (line) => this.hooks.log("info", line, { loader: this.path, stream: "stderr" }),
          onMalformed: (problem, excerpt) =>
            this.hooks.log("warn", `loader ${this.path} sent a malformed line: ${problem}`, {
              loader: this.path,
              line: excerpt,
            }),
        },
        this.budget,
        this.argv,
        this.env,
      );
      this.trial = { connection, waiters: [...(previous?.waiters ?? []), done] };
      if (previous) void previous.connection.stop();
      connection.start();
    });
  }

  /** Stops the loader for good (its file was removed, or god shuts down). */
  async remove(): Promise<void> {
    this.removed = true;
    this.clearTimers();
    const trial = this.trial;
    this.trial = null;
    for (const done of trial?.waiters ?? []) done("the loader was removed");
    await Promise.all([this.current?.stop(), trial?.connection.stop()]);
  }

  /** SIGKILL to its processes now (god is about to exit). */
  kill(): void {
    this.current?.kill();
    this.trial?.connection.kill();
  }

  private accepted(connection: LoaderConnection, hello: AcceptedHello): void {
    const trial = this.trial;
    if (!trial || trial.connection !== connection) {
      void connection.stop();
      return;
    }
    this.trial = null;
    this.lastDialect = connection.dialect?.name ?? null;
    const previous = this.current;
    this.current = connection;
    this.error = null;
    const resident = this.hooks.hello(this, hello);
    if (previous && previous !== connection) void previous.stop();
    if (!resident) {
      this.current = null;
      void connection.release();
    }
    this.setState(resident ? "up" : "idle");
    this.armStable(connection);
    for (const done of trial.waiters) done(null);
  }

  /** The backoff resets once this hello has held for STABLE_AFTER_MS: up the whole time, or released idle. */
  private armStable(connection: LoaderConnection): void {
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.stableTimer = null;
      if (this.current === connection || (this.current === null && this.state === "idle")) this.attempt = 0;
    }, STABLE_AFTER_MS);
    this.stableTimer.unref();
  }

  private ended(connection: LoaderConnection, reason: string | null): void {
    const trial = this.trial;
    if (trial && trial.connection === connection) {
      // A start or reload that failed before its hello was accepted: the old process (if any) stays.
      this.trial = null;
      const error = reason ?? "exited before its hello";
      this.error = error;
      this.lastError = error;
      if (!this.current) {
        this.state = this.state === "idle" ? "idle" : "failed";
        const delayMs = this.retry();
        const next = delayMs === null ? "" : `; it will be restarted in ${delayMs} ms`;
        this.hooks.log("error", `loader ${this.path} failed: ${error}${next}`, {
          loader: this.path,
          retryInMs: delayMs,
        });
      } else {
        this.hooks.log("error", `loader ${this.path} failed: ${error}; its previous process keeps serving`, {
          loader: this.path,
        });
      }
      this.hooks.changed(this);
      for (const done of trial.waiters) done(error);
      return;
    }
    if (connection !== this.current) return;
    this.current = null;
    if (reason === null || this.removed) {
      this.setState("down");
      return;
    }
    this.error = reason;
    this.lastError = reason;
    this.state = "down";
    const delayMs = this.retry();
    this.hooks.log("error", `loader ${this.path} ${reason}; its jobs keep running${again(delayMs)}`, {
      loader: this.path,
      retryInMs: delayMs,
    });
    this.hooks.changed(this);
  }

  /** Schedules the next start with backoff; returns the delay, or null when none is scheduled. */
  private retry(): number | null {
    if (this.removed || this.state === "idle") return null;
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.stableTimer = null;
    const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.attempt);
    this.attempt++;
    this.restarts++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.load();
    }, delayMs);
    return delayMs;
  }

  private clearTimers(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.stableTimer) clearTimeout(this.stableTimer);
    this.retryTimer = null;
    this.stableTimer = null;
  }

  private setState(state: LoaderStateName): void {
    this.state = state;
    this.hooks.changed(this);
  }
}

function again(delayMs: number | null): string {
  return delayMs === null ? "" : ` and it will be restarted in ${delayMs} ms`;
}
