// The shell around one job's pure state machine: it feeds events into core/transitions, carries out the
// effects (spawn, stop the group, backoff timers), runs the checks of the live instance, and tells the
// supervisor about every change. All I/O of a job goes through here.

import type { ChildProcess } from "node:child_process";
import { initialModel, type JobModel, liveInstance } from "../core/job-state.js";
import { type Effect, type JobEvent, transition } from "../core/transitions.js";
import type { JobLog } from "../logs/job-log.js";
import type { OutputPipe } from "../logs/output-pipe.js";
import { processStartTime } from "../process/proc-stat.js";
import { signalGroup, stopGroup } from "../process/signal-group.js";
import { type SpawnOptions, spawnInstance } from "../process/spawn-instance.js";
import type { CheckResult } from "../protocol/check-result.js";
import type { JobJson } from "../protocol/control.js";
import type { JobConfig } from "../protocol/jobspec.js";
import type { JobStateName } from "../protocol/states.js";

export interface JobRunnerHooks {
  /** The spec to spawn with (a legacy loader is asked for exec and env before every start). */
  prepare(
    runner: JobRunner,
  ): Promise<{ ok: true; config: JobConfig; options: SpawnOptions } | { ok: false; message: string }>;
  /** Output pipes for an instance: one for logs.merge (stdout and stderr together), else two. */
  pipes(count: number): Promise<OutputPipe[]>;
  /** Runs one check of the live instance (a probe, or a request to the loader); null: skip, loader is down. */
  check(runner: JobRunner, pid: number, instance: number, timeoutMs: number): Promise<CheckResult | null>;
  /** Called after every transition that changed the state name or the pid. */
  changed(runner: JobRunner, previous: JobStateName): void;
  log(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>): void;
  jobLog(runner: JobRunner): JobLog;
  /** The instance was spawned or has exited (for state.json). */
  instancesChanged(): void;
}

interface Live {
  instance: number;
  pid: number;
  child: ChildProcess;
  exited: Promise<void>;
  startTimeTicks: number | null;
}

export class JobRunner {
  config: JobConfig;
  loader: string;
  model: JobModel = initialModel();
  private readonly hooks: JobRunnerHooks;
  private backoffTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private checkInFlight = false;
  private checkInstance = 0;
  private spawning = false;
  private readonly queued: JobEvent[] = [];
  private readonly lives = new Map<number, Live>();
  private readonly watchers = new Set<() => void>();
  private reloading: Promise<string | null> | null = null;
  private candidateDone: (reason: string | null) => void = () => {};

  constructor(config: JobConfig, loader: string, hooks: JobRunnerHooks) {
    this.config = config;
    this.loader = loader;
    this.hooks = hooks;
  }

  get name(): string {
    return this.config.name;
  }

  get state(): JobStateName {
    return this.model.state.type;
  }

  /** Running instances with their process groups, for state.json. */
  instances(): Array<{ pid: number; pgid: number; instance: number; startTime: number | null }> {
    return [...this.lives.values()].map((l) => ({
      pid: l.pid,
      pgid: l.pid,
      instance: l.instance,
      startTime: l.startTimeTicks,
    }));
  }

  dispatch(event: JobEvent): void {
    if (this.spawning) {
      this.queued.push(event);
      return;
    }
    const before = this.model;
    const outcome = transition(before, event, this.config, Date.now());
    this.model = outcome.model;
    for (const effect of outcome.effects) this.apply(effect);
    this.afterChange(before);
  }

  /** Resolves when `done` returns a value for the current model, or after timeoutMs with null. */
  waitFor<T>(done: (runner: JobRunner) => T | null, timeoutMs: number): Promise<T | null> {
    const now = done(this);
    if (now !== null) return Promise.resolve(now);
    return new Promise((resolve) => {
      const watcher = () => {
        const value = done(this);
        if (value === null) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(null);
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      this.watchers.add(watcher);
    });
  }

  /** Resolves once no instance of this job is alive. */
  async allExited(): Promise<void> {
    await Promise.all([...this.lives.values()].map((l) => l.exited));
  }

  /** Kills every live instance's group at once (second SIGTERM, fatal error). */
  killNow(): void {
    for (const live of this.lives.values()) stopGroup(live.pid, "SIGKILL", 0, live.exited);
    this.clearTimers();
  }

  clearTimers(): void {
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.backoffTimer = null;
    this.checkTimer = null;
  }

  /** Runs the check now, outside the schedule (`god check`); the result also counts for the state. */
  async checkNow(): Promise<CheckResult> {
    const run = liveInstance(this.model.state);
    if (!run)
      return {
        status: "fail",
        message: `job "${this.name}" has no running instance (${this.state})`,
        nextMs: null,
      };
    if (!this.config.check)
      return { status: "ok", message: "the job has no check; its process is running", nextMs: null };
    const result = await this.hooks.check(this, run.pid, run.instance, this.config.check.timeoutMs);
    if (result === null)
      return { status: "fail", message: "the loader is down; its checks are paused", nextMs: null };
    this.dispatch({ type: "check", instance: run.instance, status: result.status, message: result.message });
    return result;
  }

  toJson(): JobJson {
    const m = this.model;
    const run = liveInstance(m.state);
    const now = Date.now();
    return {
      name: this.name,
      state: m.state.type,
      want: m.want,
      pid: run?.pid ?? null,
      instance: run?.instance ?? null,
      restarts: m.restarts,
      uptimeMs: run ? now - run.spawnedAtMs : null,
      loader: this.loader,
      check: m.lastCheck
        ? {
            status: m.lastCheck.status,
            message: m.lastCheck.message,
            at: new Date(m.lastCheck.atMs).toISOString(),
          }
        : null,
      lastExit: m.lastExit
        ? { code: m.lastExit.code, signal: m.lastExit.signal, at: new Date(m.lastExit.atMs).toISOString() }
        : null,
      reason: this.reason(),
    };
  }

  private reason(): string | null {
    const s = this.model.state;
    switch (s.type) {
      case "waiting":
        return s.reason;
      case "backoff":
        return `${s.reason}; next start in ${Math.max(0, s.untilMs - Date.now())} ms`;
      case "failed":
        return s.reason;
      case "starting":
      case "running":
      case "degraded":
      case "stopping":
      case "stopped":
      case "exited":
        return this.model.note;
    }
  }

  private apply(effect: Effect): void {
    switch (effect.type) {
      case "spawn":
        this.spawn(effect.instance);
        return;
      case "kill": {
        const live = this.lives.get(effect.instance);
        if (live) stopGroup(live.pid, effect.signal, effect.timeoutMs, live.exited);
        return;
      }
      case "schedule":
        if (this.backoffTimer) clearTimeout(this.backoffTimer);
        this.backoffTimer = setTimeout(() => {
          this.backoffTimer = null;
          this.dispatch({ type: "backoffElapsed" });
        }, effect.delayMs);
        return;
      case "spawnCandidate":
        void this.runCandidate(effect.instance);
        return;
      case "cancelSchedule":
        if (this.backoffTimer) clearTimeout(this.backoffTimer);
        this.backoffTimer = null;
        return;
    }
  }

  private spawn(instance: number): void {
    this.spawning = true;
    void this.launch(instance).then((result) => {
      this.spawning = false;
      if (!result.ok) {
        this.hooks.log("error", `job ${this.name} could not start: ${result.message}`, { job: this.name });
        this.dispatch({ type: "spawnFailed", message: result.message });
      } else {
        this.dispatch({ type: "spawned", pid: result.pid });
      }
      this.drain();
    });
  }

  /** Prepares and spawns one instance, attaches its output and reports its exit as an event. */
  private async launch(
    instance: number,
  ): Promise<{ ok: true; pid: number } | { ok: false; message: string }> {
    const prepared = await this.hooks.prepare(this);
    if (!prepared.ok) return prepared;
    const merge = prepared.config.logs.merge;
    const pipes = await this.hooks.pipes(merge ? 1 : 2).catch(() => null);
    const [out, err] = pipes ?? [];
    const outFds: [number, number] | undefined = out ? [out.writeFd, (err ?? out).writeFd] : undefined;
    const result = await spawnInstance(
      prepared.config,
      outFds ? { ...prepared.options, outFds } : prepared.options,
    );
    for (const pipe of pipes ?? []) pipe.closeWriteEnd();
    if (!result.ok) {
      for (const pipe of pipes ?? []) pipe.readable.destroy();
      return result;
    }
    const { child, pid } = result;
    const exited = new Promise<void>((resolve) => {
      child.once("exit", (code, signal) => {
        // The group lives as long as its leader: whatever the instance left behind goes with it.
        signalGroup(pid, "SIGKILL");
        this.lives.delete(instance);
        this.hooks.instancesChanged();
        resolve();
        this.dispatch({ type: "exit", instance, code, signal });
      });
    });
    // Read once here, not at every write of state.json: it names this process for a later god.
    this.lives.set(instance, { instance, pid, child, exited, startTimeTicks: processStartTime(pid) });
    const streams = out
      ? { out: out.readable, err: merge ? null : (err?.readable ?? null) }
      : { out: child.stdout!, err: child.stderr };
    void this.hooks.jobLog(this).attach(pid, streams);
    this.hooks.instancesChanged();
    return { ok: true, pid };
  }

  /**
   * Reload by "replace": the candidate runs beside the live instance on the same sockets; once its check says
   * ready (at once without a check) it becomes the live instance and the old one is stopped. A candidate that
   * exits or is not ready in time is stopped and the old instance keeps serving. Resolves with the reason of
   * a failure, or null.
   */
  reloadReplace(): Promise<string | null> {
    if (this.reloading) return this.reloading;
    const s = this.model.state;
    if (s.type !== "running" && s.type !== "degraded") {
      this.dispatch({ type: "restart", depsReady: true, depsReason: null });
      return Promise.resolve(null);
    }
    this.reloading = new Promise<string | null>((resolve) => {
      this.candidateDone = resolve;
    }).finally(() => {
      this.reloading = null;
    });
    this.dispatch({ type: "reload" });
    return this.reloading;
  }

  private async runCandidate(instance: number): Promise<void> {
    const done = this.candidateDone;
    const finish = (reason: string | null) => {
      if (reason !== null)
        this.hooks.log("error", `job ${this.name}: reload failed: ${reason}`, { job: this.name });
      else
        this.hooks.log("info", `job ${this.name} reloaded: instance ${instance} replaced the old one`, {
          job: this.name,
        });
      done(reason);
    };
    const launched = await this.launch(instance);
    if (!launched.ok) return finish(`the new instance could not start: ${launched.message}`);
    const live = this.lives.get(instance);
    const check = this.config.check;
    const deadline = Date.now() + (check ? check.graceMs + check.timeoutMs : 0);
    let why: string | null = null;
    for (let i = 0; check !== null && i < 1_000_000; i++) {
      if (!this.lives.has(instance)) {
        why = "the new instance exited before it was ready";
        break;
      }
      if (this.model.want === "down" || this.state === "stopping" || this.state === "stopped") {
        why = "the job was stopped during the reload";
        break;
      }
      const result = await this.hooks.check(this, launched.pid, instance, check.timeoutMs);
      if (result && (result.status === "ok" || result.status === "degraded")) break;
      if (Date.now() >= deadline) {
        why = `the new instance was not ready within ${check.graceMs + check.timeoutMs} ms (last check: ${result?.message ?? result?.status ?? "loader down"})`;
        break;
      }
      await new Promise((r) => setTimeout(r, Math.min(check.intervalMs, 250)));
    }
    if (why === null && !this.lives.has(instance)) why = "the new instance exited before it was ready";
    if (why === null) {
      this.dispatch({ type: "replaced", pid: launched.pid, instance });
      const adopted = liveInstance(this.model.state)?.instance === instance;
      if (adopted) return finish(null);
      why = `the job became ${this.state} during the reload`;
    }
    if (live && this.lives.has(instance))
      stopGroup(live.pid, this.config.stop.signal, this.config.stop.timeoutMs, live.exited);
    finish(why);
  }

  private drain(): void {
    while (!this.spawning && this.queued.length > 0) this.dispatch(this.queued.shift()!);
  }

  private afterChange(before: JobModel): void {
    const prevRun = liveInstance(before.state);
    const run = liveInstance(this.model.state);
    if (before.state.type !== this.model.state.type || prevRun?.pid !== run?.pid) {
      this.hooks.changed(this, before.state.type);
    }
    this.scheduleChecks();
    for (const watcher of [...this.watchers]) watcher();
  }

  /** One check loop per live instance, at most one check in flight. */
  private scheduleChecks(): void {
    const s = this.model.state;
    const check = this.config.check;
    const active = check && (s.type === "starting" || s.type === "running" || s.type === "degraded");
    if (!active) {
      if (this.checkTimer) clearTimeout(this.checkTimer);
      this.checkTimer = null;
      this.checkInstance = 0;
      return;
    }
    if (this.checkInstance === s.instance) return;
    this.checkInstance = s.instance;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.armCheck(Math.min(check.intervalMs, 1000));
  }

  private armCheck(delayMs: number): void {
    const instance = this.checkInstance;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = null;
      void this.runScheduledCheck(instance);
    }, delayMs);
  }

  private async runScheduledCheck(instance: number): Promise<void> {
    const check = this.config.check;
    const s = this.model.state;
    if (!check || this.checkInstance !== instance || this.checkInFlight) return;
    if (s.type !== "starting" && s.type !== "running" && s.type !== "degraded") return;
    this.checkInFlight = true;
    let result: CheckResult | null;
    try {
      result = await this.hooks.check(this, s.pid, instance, check.timeoutMs);
    } finally {
      this.checkInFlight = false;
    }
    if (this.checkInstance !== instance) return;
    if (result !== null)
      this.dispatch({ type: "check", instance, status: result.status, message: result.message });
    if (this.checkInstance !== instance || this.checkTimer) return;
    const ready = this.model.state.type === "running" || this.model.state.type === "degraded";
    const interval = ready ? check.intervalMs : Math.min(check.intervalMs, 1000);
    this.armCheck(result?.nextMs ?? interval);
  }
}
