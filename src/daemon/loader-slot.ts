// One loader file as god tracks it: its current process (if resident), a replacement being tried during a
// reload, its state for `god loaders`, its last error, and the restart backoff (100 ms doubling to 30 s).
// What a hello means for the jobs is decided by the supervisor; this file only manages the loader's life.

import { type AcceptedHello, LoaderConnection } from "../process/loader-connection.js";
import type { LoaderJson } from "../protocol/control.js";
import type { LoaderStateName } from "../protocol/states.js";

const BACKOFF_INITIAL_MS = 100;
const BACKOFF_MAX_MS = 30_000;

export interface LoaderSlotHooks {
  /** Applies an accepted hello; returns whether the loader must stay resident. */
  hello(slot: LoaderSlot, hello: AcceptedHello): boolean;
  request(slot: LoaderSlot, method: string, params: unknown): unknown;
  log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>): void;
  /** The slot's state changed (the loader came up, went idle, down or failed). */
  changed(slot: LoaderSlot): void;
}

export class LoaderSlot {
  readonly path: string;
  state: LoaderStateName = "down";
  error: string | null = null;
  jobs: string[] = [];
  dialect: "native" | "legacy" | null = null;
  /** The resident process, when state is "up". */
  current: LoaderConnection | null = null;
  private trial: { connection: LoaderConnection; done: (error: string | null) => void } | null = null;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private removed = false;
  private readonly hooks: LoaderSlotHooks;

  constructor(path: string, hooks: LoaderSlotHooks) {
    this.path = path;
    this.hooks = hooks;
  }

  toJson(): LoaderJson {
    return {
      path: this.path,
      pid: this.state === "up" ? (this.current?.pid ?? null) : null,
      state: this.state,
      dialect: this.dialect,
      jobs: [...this.jobs],
      error: this.error,
    };
  }

  /**
   * Starts a new loader process and applies its hello. While an older one is resident it keeps serving until
   * the new hello is accepted; if the new one fails, the old one stays. Resolves with the error, or null.
   */
  load(): Promise<string | null> {
    if (this.removed) return Promise.resolve("the loader was removed");
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.trial) void this.trial.connection.stop();
    return new Promise((done) => {
      const connection: LoaderConnection = new LoaderConnection(this.path, {
        onHello: (hello) => this.accepted(connection, hello),
        onEnd: (reason) => this.ended(connection, reason),
        onRequest: (method, params) => this.hooks.request(this, method, params),
        onLog: (level, message) =>
          this.hooks.log(level === "error" || level === "warn" ? level : "info", message, {
            loader: this.path,
          }),
        onStderr: (line) => this.hooks.log("info", line, { loader: this.path, stream: "stderr" }),
        onMalformed: (problem, excerpt) =>
          this.hooks.log("warn", `loader ${this.path} sent a malformed line: ${problem}`, {
            loader: this.path,
            line: excerpt,
          }),
      });
      this.trial = { connection, done };
      connection.start();
    });
  }

  /** Stops the loader for good (its file was removed, or god shuts down). */
  async remove(): Promise<void> {
    this.removed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const stops = [this.current?.stop(), this.trial?.connection.stop()];
    await Promise.all(stops);
  }

  private accepted(connection: LoaderConnection, hello: AcceptedHello): void {
    const trial = this.trial;
    if (!trial || trial.connection !== connection) {
      void connection.stop();
      return;
    }
    this.trial = null;
    this.dialect = connection.dialect;
    const previous = this.current;
    const resident = this.hooks.hello(this, hello);
    this.attempt = 0;
    if (previous && previous !== connection) void previous.stop();
    if (resident) {
      this.current = connection;
      this.setState("up");
    } else {
      this.current = null;
      void connection.release();
      this.setState("idle");
    }
    trial.done(null);
  }

  private ended(connection: LoaderConnection, reason: string | null): void {
    const trial = this.trial;
    if (trial && trial.connection === connection) {
      // A start or reload that failed before its hello was accepted: the old process (if any) stays.
      this.trial = null;
      this.dialect = connection.dialect ?? this.dialect;
      const error = reason ?? "exited before its hello";
      this.error = error;
      this.hooks.log("error", `loader ${this.path} failed: ${error}`, { loader: this.path });
      if (!this.current) {
        this.setState(this.state === "idle" ? "idle" : "failed");
        this.retry();
      } else {
        this.hooks.changed(this);
      }
      trial.done(error);
      return;
    }
    if (connection !== this.current) return;
    this.current = null;
    if (reason === null || this.removed) {
      this.setState("down");
      return;
    }
    this.error = reason;
    this.hooks.log("error", `loader ${this.path} ${reason}; its jobs keep running and it will be restarted`, {
      loader: this.path,
    });
    this.setState("down");
    this.retry();
  }

  private retry(): void {
    if (this.removed || this.state === "idle") return;
    const delayMs = Math.min(BACKOFF_MAX_MS, BACKOFF_INITIAL_MS * 2 ** this.attempt);
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.load();
    }, delayMs);
  }

  private setState(state: LoaderStateName): void {
    this.state = state;
    this.hooks.changed(this);
  }
}
