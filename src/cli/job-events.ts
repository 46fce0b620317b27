// A command's view of a running god through its `events` stream: every job and loader at subscription, then
// each change as it comes. `god add` and `god remove` wait on it for a job to appear, run or go, instead of
// polling `status`.

import type { JobJson, LoaderJson, SupervisorChange } from "../protocol/control.js";
import type { ControlClient } from "./client.js";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A wait that ended without its outcome: god exited, or the bound passed. One sentence, exit 1. */
export class WaitError extends Error {
  override readonly name = "WaitError";
  readonly exitCode = 1;
}

export class JobEvents {
  readonly jobs = new Map<string, JobJson>();
  readonly loaders = new Map<string, LoaderJson>();
  private readonly home: string;
  private readonly wakers = new Set<() => void>();
  private closed = false;

  private constructor(home: string) {
    this.home = home;
  }

  /** Subscribes on `client` (which then carries nothing else); resolves once the snapshot is in. */
  static async open(client: ControlClient, home: string): Promise<JobEvents> {
    const events = new JobEvents(home);
    client.onNotification((method, params) => {
      if (method === "change" && isRecord(params)) events.apply(params as unknown as SupervisorChange);
      else if (method === "events-closed") events.close();
    });
    client.onClose(() => events.close());
    const snapshot = await client.request("events", {});
    if (isRecord(snapshot)) {
      const jobs = Array.isArray(snapshot["jobs"]) ? (snapshot["jobs"] as JobJson[]) : [];
      const loaders = Array.isArray(snapshot["loaders"]) ? (snapshot["loaders"] as LoaderJson[]) : [];
      for (const job of jobs) events.jobs.set(job.name, job);
      for (const loader of loaders) events.loaders.set(loader.path, loader);
    }
    return events;
  }

  private apply(change: SupervisorChange): void {
    if (change.type === "job") this.jobs.set(change.job.name, change.job);
    else if (change.type === "removed") this.jobs.delete(change.name);
    else if (change.type === "loader") this.loaders.set(change.loader.path, change.loader);
    this.wake();
  }

  private close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    for (const fn of [...this.wakers]) fn();
  }

  /**
   * Resolves with the first value of `probe` that is not null, evaluated now and after every change. Rejects
   * with a WaitError saying what was awaited when god goes away or `timeoutMs` passes.
   */
  until<T>(what: string, probe: () => T | null, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== null) {
          done();
          resolve(value);
        } else if (this.closed) {
          done();
          reject(new WaitError(`the god at ${this.home} went away while waiting for ${what}.`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new WaitError(
            `waited ${Math.round(timeoutMs / 1000)} s for ${what} in vain; see ${this.home}/logs/god.log.`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.wakers.delete(check);
      };
      this.wakers.add(check);
      check();
    });
  }
}
