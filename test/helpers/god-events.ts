// A test's view of a running god through its own event stream (the `events` control method): the state of
// every job and loader at subscription, then every change as it happens. Waits resolve on the change that
// satisfies them, never on a poll of `god status`.

import { createConnection, type Socket } from "node:net";
import { join } from "node:path";
import type { JobJson, LoaderJson, SupervisorChange } from "../../src/protocol/control.js";
import { LineDecoder } from "../../src/protocol/ndjson.js";

type Waiter = { check: () => boolean };

export class GodEvents {
  readonly jobs = new Map<string, JobJson>();
  readonly loaders = new Map<string, LoaderJson>();
  /** Every change received, in order (for tests that look at the sequence of states). */
  readonly changes: SupervisorChange[] = [];
  private readonly socket: Socket;
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
  }

  /** Subscribes to god's events at `home`; resolves once the snapshot is in. */
  static open(home: string): Promise<GodEvents> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(join(home, "god.sock"));
      const events = new GodEvents(socket);
      const decoder = new LineDecoder(64 * 1024 * 1024);
      let snapshot = false;
      socket.once("error", reject);
      socket.on("connect", () =>
        socket.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method: "events" })}\n`),
      );
      socket.on("data", (chunk: Buffer) => {
        for (const line of decoder.push(chunk)) {
          if (line.type !== "line") continue;
          const message = JSON.parse(line.text) as {
            id?: number;
            result?: { jobs: JobJson[]; loaders: LoaderJson[] };
            error?: { message: string };
            method?: string;
            params?: SupervisorChange;
          };
          if (message.id === 1) {
            if (message.error) return reject(new Error(`events: ${message.error.message}`));
            for (const job of message.result!.jobs) events.jobs.set(job.name, job);
            for (const loader of message.result!.loaders) events.loaders.set(loader.path, loader);
            snapshot = true;
            socket.off("error", reject);
            socket.on("error", () => {});
            resolve(events);
          } else if (message.method === "change" && message.params) events.apply(message.params);
        }
      });
      socket.on("close", () => {
        events.closed = true;
        if (!snapshot) reject(new Error("god closed the events connection before its snapshot"));
        events.wake();
      });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private apply(change: SupervisorChange): void {
    this.changes.push(change);
    if (change.type === "job") this.jobs.set(change.job.name, change.job);
    else if (change.type === "removed") this.jobs.delete(change.name);
    else this.loaders.set(change.loader.path, change.loader);
    this.wake();
  }

  /** Re-evaluates every wait (after a change, or when something outside god changed). */
  wake(): void {
    for (const waiter of [...this.waiters]) waiter.check();
    for (const fn of [...this.listeners]) fn();
  }

  /** Calls `fn` after every change (and when the stream closes) until the returned function is called. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Resolves with the first value of `probe` that is not undefined/false, evaluated now and after every change
   * (and every `pollMs` when given, for conditions outside god such as a file's contents).
   */
  until<T>(
    what: string,
    probe: () => T | undefined | false,
    timeoutMs: number,
    context: () => string = () => "",
    pollMs: number | null = null,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      let last: unknown;
      const waiter: Waiter = {
        check: () => {
          try {
            const value = probe();
            if (value !== undefined && value !== false) {
              done();
              resolve(value);
              return true;
            }
            last = value;
          } catch (error) {
            last = error;
          }
          if (this.closed) {
            done();
            reject(
              new Error(
                `god's event stream closed while waiting for ${what} (last: ${String(last)})${context()}`,
              ),
            );
            return true;
          }
          return false;
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})${context()}`,
          ),
        );
      }, timeoutMs);
      const poll = pollMs === null ? null : setInterval(() => waiter.check(), pollMs);
      const done = () => {
        clearTimeout(timer);
        if (poll) clearInterval(poll);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
      waiter.check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
