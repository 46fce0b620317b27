// cron (SPEC 15): one timer per job with a schedule, set to the next fire time after now (never at god's start,
// never to catch up), re-armed after each fire and whenever the job's spec changes. The wait is made of steps of
// at most a minute, each ending with a look at the wall clock: setTimeout holds no more than 2^31-1 ms (about
// 24.8 days), and it counts monotonic time, which stands still while the machine is suspended and ignores a
// clock set forward, so one long timer would fire late. What a fire does depends on the job at that moment:
// cronAction decides it.

import { nextFire, parseCron } from "../protocol/cron.js";
import type { JobStateName } from "../protocol/states.js";

/** The longest delay setTimeout keeps; a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** The longest step of a wait: how late a fire can be after a suspend or a clock set forward. */
export const DEFAULT_STEP_MS = 60_000;

export interface CronSpec {
  schedule: string;
  timeZone: string | null;
}

/** What a fire does to a job in this state: restart it, start it, or nothing (and why). */
export type CronAction = { type: "restart" } | { type: "start" } | { type: "skip"; why: string };

/**
 * A running job restarts; one that is not running starts (a batch job that is not auto). A run still starting is
 * not started over, and an auto job that an operator stopped stays stopped.
 */
export function cronAction(job: { state: JobStateName; want: "up" | "down"; auto: boolean }): CronAction {
  switch (job.state) {
    case "starting":
      return { type: "skip", why: "its last run is still starting" };
    case "running":
    case "degraded":
      return { type: "restart" };
    case "stopped":
    case "exited":
    case "failed":
    case "waiting":
    case "backoff":
    case "stopping":
      if (job.auto && job.want === "down")
        return { type: "skip", why: "it was stopped (`god start` it to resume)" };
      return { type: "start" };
  }
}

interface Armed {
  key: string;
  timer: NodeJS.Timeout | null;
}

export interface CronTimersOptions {
  /** The time has come for `job`; `schedule` is the expression, for the reason. */
  fire: (job: string, schedule: string) => void;
  /** A schedule that cannot be armed (checked at load, so only a zone Intl lost since). */
  problem: (job: string, message: string) => void;
  now?: () => number;
  /** The longest step of a wait (at most MAX_TIMER_MS). */
  stepMs?: number;
}

export class CronTimers {
  private readonly armed = new Map<string, Armed>();
  private readonly options: CronTimersOptions;
  private readonly now: () => number;
  private readonly stepMs: number;

  constructor(options: CronTimersOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.stepMs = Math.min(options.stepMs ?? DEFAULT_STEP_MS, MAX_TIMER_MS);
  }

  /** The job's schedule now (null: none, or the job is gone); an unchanged schedule keeps its timer. */
  set(job: string, cron: CronSpec | null): void {
    const key = cron === null ? null : `${cron.timeZone ?? ""} ${cron.schedule}`;
    const current = this.armed.get(job);
    if (current && current.key === key) return;
    if (current) this.clear(job);
    if (cron === null || key === null) return;
    const armed: Armed = { key, timer: null };
    this.armed.set(job, armed);
    this.arm(job, armed, cron, this.now());
  }

  close(): void {
    for (const job of [...this.armed.keys()]) this.clear(job);
  }

  private clear(job: string): void {
    const armed = this.armed.get(job);
    if (armed?.timer) clearTimeout(armed.timer);
    this.armed.delete(job);
  }

  private arm(job: string, armed: Armed, cron: CronSpec, afterMs: number): void {
    const parsed = parseCron(cron.schedule);
    if (!parsed.ok) {
      this.options.problem(job, parsed.message);
      return;
    }
    let at: number | null;
    try {
      at = nextFire(parsed.cron, afterMs, cron.timeZone);
    } catch (error) {
      this.options.problem(job, (error as Error).message);
      return;
    }
    if (at === null) {
      this.options.problem(job, `cron ${JSON.stringify(cron.schedule)} never fires again`);
      return;
    }
    this.wait(job, armed, cron, at);
  }

  /** Sleeps until `at` by the wall clock, in steps, then fires and arms the next time. */
  private wait(job: string, armed: Armed, cron: CronSpec, at: number): void {
    const delayMs = at - this.now();
    armed.timer = setTimeout(
      () => {
        if (this.armed.get(job) !== armed) return;
        // A step of a long wait, or a clock set back meanwhile: wait for the rest.
        if (this.now() < at) {
          this.wait(job, armed, cron, at);
          return;
        }
        this.options.fire(job, cron.schedule);
        // From the fire time, or from now when god was held up (a suspended machine): never a burst to catch up.
        this.arm(job, armed, cron, Math.max(at, this.now()));
      },
      Math.max(0, Math.min(delayMs, this.stepMs)),
    );
    armed.timer.unref();
  }
}
