// The shell around one job's table (core/job-model.ts): it feeds events in and carries out the effects, and
// decides nothing itself. It is handed its whole launch plan up front (the loader to ask, the job's sockets, the
// output pipes, the log, the state recorder), so spawning an instance never calls back into the supervisor;
// the one call-back is `changed`, after a transition that changed something.

import type { ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { availableParallelism } from "node:os";
import { isDeepStrictEqual } from "node:util";
import type { Deps, Effect, InstanceEvent } from "../core/instance-events.js";
import { awaitsSpawn, type InstanceModel, liveProc, procsOf } from "../core/instance-state.js";
import { initialJob, type JobEvent, type JobModel, jobState, jobTransition } from "../core/job-model.js";
import { type InstancePolicy, policyOf } from "../core/policy.js";
import type { JobLog } from "../logs/job-log.js";
import { type OutputPipe, reopenPipe } from "../logs/output-pipe.js";
import type { ExitWatch } from "../process/exit-watch.js";
import type { CheckVerdict, DialectName, LoaderDialect } from "../process/loader-dialect.js";
import { runProbe } from "../process/probe.js";
import { processStartTime } from "../process/proc-stat.js";
import { identitiesOf, programFiles } from "../process/program-files.js";
import { signalGroup, stopGroup } from "../process/signal-group.js";
import { jobCwd, spawnInstance } from "../process/spawn-instance.js";
import type { CheckResult } from "../protocol/check-result.js";
import type { InstanceJson, JobJson } from "../protocol/control.js";
import type { JobConfig } from "../protocol/jobspec.js";
import type { JobStateName } from "../protocol/states.js";
import type { HeldSocket } from "../sockets/held-socket.js";
import type { JobSockets } from "../sockets/job-sockets.js";
import {
  NO_READINESS,
  openReadiness,
  type Readiness,
  type ReadinessMessage,
  reopenReadiness,
} from "./instance-readiness.js";
import { noteCheck } from "./optimizer.js";
import type { AdoptRecord, InstanceRecord } from "./state-file.js";
import { closePipes, WARM_DELAY_MS, WarmStart, type WarmStarts } from "./warm-start.js";

/** The loader a job belongs to, as the runner sees it (a LoaderSlot). */
export interface LoaderLink {
  readonly path: string;
  readonly dialect: LoaderDialect | null;
  readonly dialectName: DialectName | null;
}

/** state.json (SPEC 9): an instance that cannot be recorded is not started. */
export interface InstanceRecorder {
  /** Writes every live instance now; the sentence saying why it could not, or null. */
  saveNow(): string | null;
  /** Before a spawn: whether a write can be made now; the sentence saying why not, or null. */
  canRecord(): string | null;
  /** Writes soon, batched (after exits). */
  saveSoon(): void;
}

export interface RunnerLog {
  write(level: "info" | "warn" | "error", msg: string, fields: Record<string, unknown>): void;
}

/** What changed in one transition: the job's state before, and each changed instance's state before. */
export interface RunnerChange {
  before: JobStateName;
  instances: Array<{ index: number; before: JobStateName; pidBefore: number | null }>;
}

/** CPU and memory of a process group, from the daemon's one reader of /proc (null: not sampled yet). */
export type UsageOf = (pgid: number) => { cpuPercent: number; rssBytes: number } | null;

/** Where instances' output pipes come from (a PipePool). */
export interface PipeSource {
  take(count: number): Promise<OutputPipe[]>;
  /** The pipes at once when the pool holds them, else null. */
  takeNow?(count: number): OutputPipe[] | null;
  readonly keptDir?: string | undefined;
}

export interface LaunchPlan {
  loader: LoaderLink;
  sockets: JobSockets;
  pipes: PipeSource;
  log: JobLog;
  recorder: InstanceRecorder;
  godLog: RunnerLog;
  /** Usage of the instances' process groups, for status (SPEC 15). */
  usage: UsageOf;
  /** Where instances with `ready: "notify"` get their sockets (GOD_HOME/notify, 0700). */
  notifyDir: string;
  /** Notices the end of adopted processes, which are not god's children. */
  exitWatch: ExitWatch;
  /** The budget of warm starts (warm-start.ts); without it, every process is forked when it is asked for. */
  warmStarts?: WarmStarts;
  changed(runner: JobRunner, change: RunnerChange): void;
}

interface Live {
  index: number;
  run: number;
  pid: number;
  exited: Promise<void>;
  startTime: number | null;
  spawnedAtMs: number;
  readiness: Readiness;
  /** The SIGKILL that ends a stop, once one was asked for. */
  killTimer: NodeJS.Timeout | null;
  /** Identities of the program's files when it was spawned: a later change of one is a deploy. */
  files: Map<string, string | null>;
  /** The spec it was started with (a later god compares it with its loaders'). */
  spec: AdoptRecord["spec"];
  /** Its output FIFOs on disk (empty for Node's own pipes), for a later god to read on. */
  pipes: string[];
}

/** How a process ended: its exit code or signal (both null when unknown, for an adopted one). */
type Ended = { code: number | null; signal: string | null };

const key = (index: number, run: number) => `${index}:${run}`;
const checkName = (index: number, run: number) => `c:${index}:${run}`;

export class JobRunner {
  config: JobConfig;
  model: JobModel;
  /** How long the last check took, for /metrics. */
  checkLatencyMs: number | null = null;
  private policy: InstancePolicy;
  private readonly plan: LaunchPlan;
  private readonly lives = new Map<string, Live>();
  /**
   * Pending timers by name: checks (`c:INDEX:RUN`) and the table's timers (`INDEX:TIMER:RUN`). Made on first use
   * and let go of once empty, as are the watchers: most jobs have neither most of the time (issue 17).
   */
  private timers: Map<string, NodeJS.Timeout> | null = null;
  private watchers: Set<() => void> | null = null;
  /** Warm starts by instance index, each for the next run of its instance (warm-start.ts). */
  private warm: Map<number, WarmStart> | null = null;
  /** Whether god said once that the budget of warm starts left this job without one. */
  private warmRefused = false;

  constructor(config: JobConfig, plan: LaunchPlan) {
    this.config = config;
    this.plan = plan;
    this.policy = policyOf(config, plan.loader.dialectName === "legacy", plan.sockets.lost !== null);
    this.model = initialJob(desiredOf(config));
  }

  get name(): string {
    return this.config.name;
  }

  get loader(): LoaderLink {
    return this.plan.loader;
  }

  get sockets(): JobSockets {
    return this.plan.sockets;
  }

  get state(): JobStateName {
    return jobState(this.model);
  }

  /** A new spec from the loader (same name). The instance count follows it unless `god scale` set one since. */
  update(config: JobConfig, deps: Deps): void {
    const before = desiredOf(this.config);
    const sameSpec = isDeepStrictEqual(this.config, config);
    this.config = config;
    // A warm start made with the old spec goes, and one with the new spec is made in its place; the same spec
    // again (a loader reloaded, SIGHUP) keeps it.
    const warmed = sameSpec ? [] : [...(this.warm?.keys() ?? [])];
    if (sameSpec) for (const warm of this.warm?.values() ?? []) warm.parts.config = config;
    else this.discardWarm();
    this.refreshPolicy();
    this.plan.log.setConfig(config.logs);
    const desired = desiredOf(config);
    if (desired !== before && desired !== this.model.desired)
      this.dispatch({ type: "scale", count: desired, deps });
    for (const index of warmed) this.warmLater(index);
  }

  /** The policy again from the spec, the loader's dialect and whether the job's sockets are held. */
  refreshPolicy(): void {
    this.policy = policyOf(
      this.config,
      this.plan.loader.dialectName === "legacy",
      this.plan.sockets.lost !== null,
    );
  }

  /** Every live process with its group, for metrics. */
  instances(): Array<{
    pid: number;
    pgid: number;
    instance: number;
    index: number;
    startTime: number | null;
  }> {
    return [...this.lives.values()].map((l) => ({
      pid: l.pid,
      pgid: l.pid,
      instance: l.run,
      index: l.index,
      startTime: l.startTime,
    }));
  }

  /** Every live process as state.json records it (SPEC 9, 13): enough to stop it, or to adopt it. */
  records(): InstanceRecord[] {
    return [...this.lives.values()].map((l) => {
      const inst = this.model.instances[l.index];
      const proc = inst ? liveProc(inst.state) : null;
      const ready =
        proc?.run === l.run && (inst?.state.type === "running" || inst?.state.type === "degraded");
      return {
        job: this.name,
        pid: l.pid,
        pgid: l.pid,
        startTime: l.startTime ?? 0,
        stopSignal: this.config.stop.signal,
        stopTimeoutMs: this.config.stop.timeoutMs,
        adopt: {
          loader: this.plan.loader.path,
          index: l.index,
          run: l.run,
          spawnedAtMs: l.spawnedAtMs,
          ready,
          pipes: l.pipes,
          readyPipe: ready ? null : l.readiness.readyPipe,
          notify: this.config.ready === "notify" ? l.readiness.path : null,
          spec: l.spec,
          files: [...l.files],
        },
      };
    });
  }

  /**
   * Takes over a process a previous god started and left running (SPEC 13): its end is watched through /proc,
   * its readiness channel opened again, and the table told it lives (ready or starting, as that god last knew).
   */
  adopt(record: InstanceRecord & { adopt: AdoptRecord }): void {
    const { index, run, pipes, spec, files } = record.adopt;
    // A notify socket is bound again at its path (the instance keeps sending there); a ready fd's FIFO, kept
    // while the instance had not said it was ready, is read again (the word may be waiting in it).
    const readyPipe = record.adopt.ready ? null : record.adopt.readyPipe;
    const readiness =
      this.config.ready === "notify"
        ? new LateReadiness()
        : readyPipe !== null
          ? (reopenReadiness(this.config, readyPipe, (message) =>
              this.readinessMessage(index, run, message),
            ) ?? NO_READINESS)
          : NO_READINESS;
    const onEnd = (handler: (ended: Ended) => void) =>
      void this.plan.exitWatch.watch(record.pid, record.startTime).then(handler);
    const knownFiles = new Map(files);
    this.track(
      index,
      run,
      record.pid,
      record.startTime,
      record.adopt.spawnedAtMs,
      onEnd,
      readiness,
      knownFiles,
      spec,
      pipes,
      null,
    );
    const event = {
      type: "adopt" as const,
      cmd: this.model.cmd,
      run,
      pid: record.pid,
      spawnedAtMs: record.adopt.spawnedAtMs,
      ready: record.adopt.ready,
    };
    this.dispatch({ type: "instance", index, event });
    this.readOn(index, record.pid, pipes);
    if (readiness instanceof LateReadiness) {
      void openReadiness(this.config, index, run, this.plan.notifyDir, (message) =>
        this.readinessMessage(index, run, message),
      ).then((opened) => {
        if ("error" in opened) {
          this.plan.godLog.write(
            "warn",
            `job ${this.label(index)}: ${opened.error}; its readiness is not heard`,
            {
              job: this.name,
            },
          );
        } else readiness.fill(opened);
      });
    }
  }

  /** An adopted process's output, read on from its FIFOs where the previous god stopped (nothing is lost). */
  private readOn(index: number, pid: number, paths: string[]): void {
    const [out, err] = paths.map((path) => reopenPipe(path));
    if (!out || (paths.length > 1 && !err)) {
      if (paths.length > 0)
        this.plan.godLog.write(
          "warn",
          `job ${this.label(index)}: the output of adopted pid ${pid} cannot be read again`,
          {
            job: this.name,
          },
        );
      return;
    }
    const label = this.model.desired > 1 || index > 0 ? index : null;
    void this.plan.log.attach(pid, { out, err: err ?? null }, label).then(() => removeFiles(paths));
  }

  /**
   * A live process, from its spawn or its adoption to its end (which becomes the table's exit event). `onEnd`
   * registers the handler of its end: called in the turn the end is known (for a child, in its "exit" event,
   * with no promise between), since a restart the table asks for is forked in that call. `afterExit` runs once
   * the exit was dispatched.
   */
  private track(
    index: number,
    run: number,
    pid: number,
    startTime: number | null,
    spawnedAtMs: number,
    onEnd: (handler: (ended: Ended) => void) => void,
    readiness: Readiness,
    files: Map<string, string | null>,
    spec: AdoptRecord["spec"],
    pipes: string[],
    afterExit: (() => void) | null,
  ): void {
    let settle!: () => void;
    const exited = new Promise<void>((resolve) => {
      settle = resolve;
    });
    onEnd(({ code, signal }) => {
      const live = this.lives.get(key(index, run));
      if (live?.killTimer) clearTimeout(live.killTimer);
      this.lives.delete(key(index, run));
      this.plan.loader.dialect?.exited(this.name, code);
      this.dispatch({ type: "instance", index, event: { type: "exit", run, code, signal } });
      // The group lives as long as its leader: whatever the instance left behind goes with it. Signalled after
      // the dispatch: for an empty group (the usual case) Node raises ESRCH as an exception, 0.08 ms before the
      // fork of a restart (issue 17). The leader's pid is not reused meanwhile (the kernel hands pids out in turn).
      signalGroup(pid, "SIGKILL");
      readiness.close();
      this.plan.recorder.saveSoon();
      afterExit?.();
      settle();
    });
    this.lives.set(key(index, run), {
      index,
      run,
      pid,
      exited,
      startTime,
      spawnedAtMs,
      readiness,
      killTimer: null,
      files,
      spec,
      pipes,
    });
  }

  dispatch(event: JobEvent): void {
    const before = this.model;
    const out = jobTransition(before, event, this.policy, Date.now());
    this.model = out.model;
    for (const { index, effect } of out.effects) this.apply(index, effect);
    if (this.warm !== null) this.dropStaleWarm();
    if (out.changed.length > 0) {
      // state.json says which processes are ready (a later god adopts them as such): kept current, at once when
      // one became ready by its own word (its ready fd's FIFO or notify message is then gone, and a god killed
      // now must not adopt it as starting). Readiness by checks is seen again by the next god's checks (and
      // with no check at all an adopted process is running at once), so that write waits as the others do:
      // it comes right after a spawn, while the new process starts (issue 17).
      const becameReady =
        this.policy.ready !== "check" &&
        out.changed.some(
          (i) => isReady(this.model.instances[i]?.state) && !isReady(before.instances[i]?.state),
        );
      if (becameReady) this.plan.recorder.saveNow();
      else this.plan.recorder.saveSoon();
      const change: RunnerChange = {
        before: jobState(before),
        instances: out.changed.map((index) => {
          const inst = before.instances[index];
          return {
            index,
            before: inst?.state.type ?? "stopped",
            pidBefore: (inst && liveProc(inst.state)?.pid) ?? null,
          };
        }),
      };
      this.plan.changed(this, change);
    }
    if (this.watchers !== null) for (const watcher of [...this.watchers]) watcher();
  }

  /** Calls `fn` after every dispatch until the returned function is called. */
  watch(fn: () => void): () => void {
    this.watchers ??= new Set();
    this.watchers.add(fn);
    return () => {
      if (this.watchers?.delete(fn) && this.watchers.size === 0) this.watchers = null;
    };
  }

  /** Resolves when `done` returns a value for the current model, or after timeoutMs with null. */
  waitFor<T>(done: (runner: JobRunner) => T | null, timeoutMs: number): Promise<T | null> {
    const now = done(this);
    if (now !== null) return Promise.resolve(now);
    return new Promise((resolve) => {
      const stop = this.watch(() => {
        const value = done(this);
        if (value === null) return;
        cleanup();
        resolve(value);
      });
      const timer = setTimeout(() => {
        cleanup();
        resolve(null);
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        stop();
      };
    });
  }

  /** Resolves once no process of this job is alive. */
  async allExited(): Promise<void> {
    await Promise.all([...this.lives.values()].map((l) => l.exited));
  }

  /** SIGKILL to every process group now (second SIGTERM, god exiting). */
  killNow(): void {
    for (const live of this.lives.values()) stopGroup(live.pid, "SIGKILL", 0, live.exited);
    this.clearTimers();
  }

  /** Cancels every pending timer and discards the warm starts: nothing more is started by this runner. */
  clearTimers(): void {
    for (const timer of this.timers?.values() ?? []) clearTimeout(timer);
    this.timers = null;
    this.discardWarm();
  }

  /**
   * The first program file whose identity changed since a live process of this job was spawned with it (a
   * deploy, SPEC 2), or null.
   */
  deployedFile(config: JobConfig): string | null {
    for (const inst of this.model.instances) {
      const proc = liveProc(inst.state);
      const live = proc?.pid ? this.lives.get(key(inst.index, proc.run)) : undefined;
      if (!live) continue;
      const now = identitiesOf(programFiles(config.exec, config.env, config.cwd));
      for (const [file, identity] of now) {
        if (live.files.has(file) && live.files.get(file) !== identity) return file;
      }
    }
    return null;
  }

  /** Runs the check of instance `index` now, outside the schedule (`god check`); the result counts too. */
  async checkNow(index = 0): Promise<CheckResult> {
    const inst = this.model.instances[index];
    const proc = inst ? liveProc(inst.state) : null;
    if (!inst || !proc || proc.pid === null || inst.state.type === "stopping") {
      return {
        status: "fail",
        message: `job "${this.name}" has no running instance (${inst?.state.type ?? "stopped"})`,
        nextMs: null,
      };
    }
    if (!this.config.check)
      return { status: "ok", message: "the job has no check; its process is running", nextMs: null };
    const verdict = await this.runCheck(index, proc.run, proc.pid);
    if (verdict.type === "skip") {
      return { status: "fail", message: "the loader is down; its checks are paused", nextMs: null };
    }
    const { result, noCheck } = verdict;
    this.dispatch({
      type: "instance",
      index,
      event: { type: "check", run: proc.run, ...result, nextMs: null, noCheck },
    });
    return result;
  }

  toJson(): JobJson {
    const m = this.model;
    const now = Date.now();
    const instances = m.instances.map((inst) => instanceJson(inst, now, this.plan.usage));
    const first = instances[0]!;
    const lastExit = m.instances
      .map((i) => i.lastExit)
      .filter((e) => e !== null)
      .sort((a, b) => b.atMs - a.atMs)[0];
    return {
      name: this.name,
      state: jobState(m),
      want: m.instances.some((i) => i.want === "up") ? "up" : "down",
      pid: first.pid,
      instance: first.instance,
      restarts: m.instances.reduce((sum, i) => sum + i.restarts, 0),
      uptimeMs: first.uptimeMs,
      loader: this.plan.loader.path,
      check: first.check,
      lastExit: lastExit ? exitJson(lastExit) : null,
      reason: first.reason,
      instances,
      usage: sumUsage(instances),
      maxMemory: this.config.maxMemory,
      statusText: first.statusText,
      adopted: first.adopted,
    };
  }

  // ---- effects -------------------------------------------------------------------------------------------

  private apply(index: number, effect: Effect): void {
    switch (effect.type) {
      case "spawn":
        // Whatever goes wrong on the way to a process is a failed spawn of that process, never god's crash.
        this.launch(index, effect.run).catch((error: unknown) => {
          const message = `could not be prepared: ${(error as Error).message}`;
          this.plan.godLog.write("error", `job ${this.label(index)} ${message}`, { job: this.name });
          this.dispatch({
            type: "instance",
            index,
            event: { type: "spawnFailed", run: effect.run, message },
          });
        });
        return;
      case "kill":
        void this.kill(index, effect);
        return;
      case "check":
        this.armCheck(index, effect.run, effect.delayMs);
        return;
      case "cancelCheck":
        this.clearTimer(checkName(index, effect.run));
        return;
      case "timer": {
        const name = `${index}:${effect.timer}:${effect.run}`;
        this.clearTimer(name);
        const timer = setTimeout(() => {
          this.forgetTimer(name);
          this.dispatch({
            type: "instance",
            index,
            event:
              effect.timer === "backoff"
                ? { type: "backoffElapsed" }
                : effect.timer === "ready"
                  ? { type: "readyTimeout", run: effect.run }
                  : { type: "watchdogTimeout", run: effect.run },
          });
        }, effect.delayMs);
        this.setTimer(name, timer);
        return;
      }
      case "cancelTimer":
        this.clearTimer(`${index}:${effect.timer}:${effect.run}`);
        return;
      case "extendKill": {
        const live = this.lives.get(key(index, effect.run));
        if (live?.killTimer) this.armKill(live, effect.ms);
        return;
      }
    }
  }

  private setTimer(name: string, timer: NodeJS.Timeout): void {
    this.timers ??= new Map();
    this.timers.set(name, timer);
  }

  private clearTimer(name: string): void {
    const timer = this.timers?.get(name);
    if (timer) clearTimeout(timer);
    this.forgetTimer(name);
  }

  private forgetTimer(name: string): void {
    if (this.timers?.delete(name) && this.timers.size === 0) this.timers = null;
  }

  /**
   * Prepares and spawns process `run` of instance `index`, attaches its output and reports the outcome. When
   * nothing needs waiting for (no loader question, the sockets held already or none, no readiness channel to
   * open, pipes in the pool), the spawn happens in the same turn as the event that asked for it: a crashed job
   * is forked again before god logs the exit (issue 17). Its outcome is always dispatched later, never from
   * inside the dispatch that applies the spawn.
   */
  private async launch(index: number, run: number): Promise<void> {
    const failed = async (message: string) => {
      await null;
      this.plan.godLog.write("error", `job ${this.label(index)} could not start: ${message}`, {
        job: this.name,
      });
      this.dispatch({ type: "instance", index, event: { type: "spawnFailed", run, message } });
    };
    const warm = this.takeWarm(index, run);
    if (warm !== null) {
      const unrecorded = this.plan.recorder.canRecord();
      if (unrecorded !== null) {
        warm.discard();
        return failed(unrecorded);
      }
      if (warm.fire()) {
        await null;
        const { config, child, pid, pipes, readiness } = warm.parts;
        return this.started(index, run, config, child, pid, pipes, readiness, failed);
      }
    }
    const dialect = this.plan.loader.dialect;
    const prepared = dialect
      ? await dialect.prepareSpawn(this.config)
      : { ok: true as const, config: this.config };
    if (!prepared.ok) return failed(prepared.message);
    // A stop that came while the loader was asked: nothing is spawned for a process nobody waits for.
    if (!this.awaits(index, run)) return failed("stopped before it was spawned");
    const config = prepared.config;
    const held = this.plan.sockets.heldNow(config.listen) ?? (await this.plan.sockets.hold(config.listen));
    if ("error" in held) return failed(held.error);
    const unrecorded = this.plan.recorder.canRecord();
    if (unrecorded !== null) return failed(unrecorded);
    const readiness =
      config.ready === null ? NO_READINESS : await this.openStartReadiness(config, index, run);
    if ("error" in readiness) return failed(readiness.error);
    const merge = config.logs.merge;
    const count = merge ? 1 : 2;
    const pipes = this.plan.pipes.takeNow?.(count) ?? (await this.plan.pipes.take(count).catch(() => null));
    const [out, err] = pipes ?? [];
    const { env, fds } = this.startEnvironment(index, held, readiness);
    const result = await spawnInstance(config, {
      extraEnv: env,
      extraFds: fds,
      ...(out ? { outFds: [out.writeFd, (err ?? out).writeFd] as [number, number] } : {}),
    });
    readiness.afterSpawn();
    if (!result.ok) {
      for (const pipe of pipes ?? []) {
        pipe.closeWriteEnd();
        pipe.readable.destroy();
      }
      readiness.close();
      return failed(result.message);
    }
    return this.started(index, run, config, result.child, result.pid, pipes, readiness, failed);
  }

  /** The readiness channel a start of process `run` of instance `index` gets (SPEC 11). */
  private openStartReadiness(
    config: JobConfig,
    index: number,
    run: number,
  ): Promise<Readiness | { error: string }> {
    return openReadiness(
      config,
      index,
      run,
      this.plan.notifyDir,
      (message) => this.readinessMessage(index, run, message),
      this.plan.pipes.keptDir,
    );
  }

  /** What god adds to an instance's start: its environment variables and its fds from 3 on. */
  private startEnvironment(
    index: number,
    held: HeldSocket[],
    readiness: Readiness,
  ): { env: Record<string, string>; fds: Array<number | null> } {
    const env: Record<string, string> = {
      GOD_INSTANCE: String(index),
      NODE_APP_INSTANCE: String(index),
      ...readiness.env,
    };
    if (held.length > 0) {
      env["LISTEN_FDS"] = String(held.length);
      env["LISTEN_FDNAMES"] = held.map((h) => h.name).join(":");
    }
    const fds: Array<number | null> = held.map((h) => h.fd);
    if (readiness.fd !== null) {
      while (fds.length < readiness.fd.index - 3) fds.push(null);
      fds[readiness.fd.index - 3] = readiness.fd.fd;
    }
    return { env, fds };
  }

  /** A process of the instance exists (spawned, or a warm start fired): tracked, read, recorded, told. */
  private started(
    index: number,
    run: number,
    config: JobConfig,
    child: ChildProcess,
    pid: number,
    pipes: OutputPipe[] | null,
    readiness: Readiness,
    failed: (message: string) => Promise<void>,
  ): Promise<void> | undefined {
    const merge = config.logs.merge;
    const [out, err] = pipes ?? [];
    // "exit" comes once; on() spares the wrapper once() makes, which each instance would keep (issue 17).
    const onEnd = (handler: (ended: Ended) => void) =>
      child.on("exit", (code, signal) => handler({ code, signal }));
    const files = identitiesOf(programFiles(config.exec, config.env, config.cwd));
    const spec = { exec: config.exec, env: config.env, cwd: config.cwd, listen: config.listen };
    // The paths outlive this call in the instance and in the log's closure below; the pipes themselves only in
    // closeWriteEnds, until the exit.
    const paths = pipePaths(pipes);
    // god keeps its own copies of the write ends until the exit was handled, so the pipes end after it. A dying
    // process closes its fds just before the kernel signals its exit; without god's copies the end of its output
    // would wake god first, and the log's finish (the last line, the FIFO's removal: 0.4 ms) would come between
    // the crash and the fork of its restart (issue 17). Nothing is lost: what the process wrote stays in the
    // pipe and is read, and the pipe ends once every other writer (a child it left) has closed it too.
    const closeWriteEnds = pipes === null ? null : () => closeAll(pipes);
    this.track(
      index,
      run,
      pid,
      processStartTime(pid),
      Date.now(),
      onEnd,
      readiness,
      files,
      spec,
      paths,
      closeWriteEnds,
    );
    const streams = out
      ? { out: out.readable, err: merge ? null : (err?.readable ?? null) }
      : { out: child.stdout!, err: child.stderr };
    // Lines name the instance when the job runs several (`backend.2[pid]`). Kept FIFOs go once read to the end.
    const label = this.model.desired > 1 || index > 0 ? index : null;
    void this.plan.log.attach(pid, streams, label).then(() => removeFiles(paths));
    const problem = this.plan.recorder.saveNow();
    if (problem !== null) {
      // Never run what the next god could not find: the process goes at once.
      signalGroup(pid, "SIGKILL");
      return failed(problem);
    }
    this.dispatch({ type: "instance", index, event: { type: "spawned", run, pid } });
    this.warmLater(index);
    return undefined;
  }

  // ---- warm starts (warm-start.ts) ---------------------------------------------------------------------

  /** The warm start made for this run of the instance, taken out; any other one there is discarded. */
  private takeWarm(index: number, run: number): WarmStart | null {
    const warm = this.warm?.get(index);
    if (warm === undefined) return null;
    this.forgetWarm(index);
    if (warm.parts.run === run && warm.parts.config === this.config) return warm;
    warm.discard();
    return null;
  }

  private forgetWarm(index: number): void {
    if (this.warm?.delete(index) && this.warm.size === 0) this.warm = null;
  }

  /**
   * Whether the next process of instance `index` is worth forking ahead: the instance has been restarted
   * (a job that crashed once is the one likely to crash again), it is up and its process runs, its policy
   * restarts it, and no loader dialect answers before each spawn.
   */
  private wantsWarm(index: number): boolean {
    const inst = this.model.instances[index];
    if (inst?.want !== "up" || inst.restarts === 0 || this.config.restart === "never") return false;
    const budget = this.plan.warmStarts;
    if (budget === undefined || budget.max === 0 || this.plan.loader.dialect !== null) return false;
    if (this.warm?.has(index)) return false;
    const proc = liveProc(inst.state);
    return proc !== null && proc.run === inst.run && proc.pid !== null;
  }

  /** After a restart: the warm start of the next one, a little later (the restart's own start goes first). */
  private warmLater(index: number): void {
    if (!this.wantsWarm(index)) return;
    const name = `w:${index}`;
    this.clearTimer(name);
    const timer = setTimeout(() => {
      this.forgetTimer(name);
      this.prepareWarm(index).catch((error: unknown) => {
        this.plan.godLog.write(
          "warn",
          `job ${this.label(index)}: its next start could not be prepared: ${(error as Error).message}`,
          { job: this.name },
        );
      });
    }, WARM_DELAY_MS);
    timer.unref();
    this.setTimer(name, timer);
  }

  /** Forks the warm start of the instance's next run, with what a start of that run gets. */
  private async prepareWarm(index: number): Promise<void> {
    const budget = this.plan.warmStarts;
    if (budget === undefined || !this.wantsWarm(index)) return;
    if (!budget.take()) {
      if (!this.warmRefused) {
        this.warmRefused = true;
        this.plan.godLog.write(
          "info",
          `job ${this.label(index)}: its next start is not prepared ahead: all ${budget.max} warm starts are in use (raise \`god run --warm-starts N\` for more)`,
          { job: this.name },
        );
      }
      return;
    }
    const config = this.config;
    const run = this.model.instances[index]!.run + 1;
    const valid = () => config === this.config && this.warm?.has(index) !== true && this.leadsTo(index, run);
    let readiness: Readiness = NO_READINESS;
    let pipes: OutputPipe[] | null = null;
    /** Once the WarmStart holds them, it frees them itself. */
    let handedOver = false;
    const giveBack = () => {
      if (handedOver) return;
      closePipes(pipes);
      readiness.close();
      budget.give();
    };
    try {
      const held = this.plan.sockets.heldNow(config.listen);
      if (held === null || "error" in held) return giveBack();
      if (config.ready !== null) {
        const opened = await this.openStartReadiness(config, index, run);
        if ("error" in opened) return giveBack();
        readiness = opened;
      }
      pipes = await this.plan.pipes.take(config.logs.merge ? 1 : 2);
      if (!valid()) return giveBack();
      const { env, fds } = this.startEnvironment(index, held, readiness);
      const [out, err] = pipes;
      const result = await spawnInstance(config, {
        extraEnv: env,
        extraFds: fds,
        outFds: [out!.writeFd, (err ?? out)!.writeFd],
        warm: true,
      });
      readiness.afterSpawn();
      if (!result.ok || result.program === null) return giveBack();
      const warm = new WarmStart(
        {
          run,
          config,
          child: result.child,
          pid: result.pid,
          program: result.program,
          cwd: jobCwd(config),
          pipes,
          readiness,
        },
        budget,
        () => {
          if (this.warm?.get(index) === warm) this.forgetWarm(index);
        },
      );
      handedOver = true;
      if (!valid()) {
        warm.discard();
        return;
      }
      this.warm ??= new Map();
      this.warm.set(index, warm);
      this.plan.godLog.write(
        "info",
        `job ${this.label(index)}: its next start is prepared (pid ${result.pid} waits to exec it)`,
        { job: this.name, pid: result.pid },
      );
    } catch (error) {
      giveBack();
      throw error;
    }
  }

  /**
   * Whether the instance's next spawn may be run `run`: it is up, its last run is the one before, and it is not
   * at rest (stopped, exited for good, failed: a start command would be needed first).
   */
  private leadsTo(index: number, run: number): boolean {
    const inst = this.model.instances[index];
    if (inst === undefined || inst.want !== "up" || inst.run !== run - 1) return false;
    const state = inst.state.type;
    return state !== "stopped" && state !== "exited" && state !== "failed";
  }

  /** After each transition: a warm start whose run the instance no longer leads to goes. */
  private dropStaleWarm(): void {
    for (const [index, warm] of [...(this.warm ?? [])]) {
      if (warm.parts.config === this.config && this.leadsTo(index, warm.parts.run)) continue;
      this.forgetWarm(index);
      warm.discard();
    }
  }

  private discardWarm(): void {
    const all = this.warm;
    this.warm = null;
    for (const warm of all?.values() ?? []) warm.discard();
  }

  private awaits(index: number, run: number): boolean {
    const inst = this.model.instances[index];
    return inst !== undefined && awaitsSpawn(inst, run);
  }

  private async kill(index: number, effect: Extract<Effect, { type: "kill" }>): Promise<void> {
    const live = this.lives.get(key(index, effect.run));
    if (!live) return;
    const dialect = effect.ask ? this.plan.loader.dialect : null;
    const plan = dialect ? await dialect.stopPlan(this.name, live.pid) : ({ by: "god" } as const);
    if (plan.by === "god") {
      signalGroup(live.pid, effect.signal);
      this.armKill(live, effect.timeoutMs);
      return;
    }
    this.plan.godLog.write("info", `job ${this.label(index)}: its loader stops pid ${live.pid} itself`, {
      job: this.name,
      killAfterMs: plan.killAfterMs,
    });
    this.armKill(live, plan.killAfterMs);
  }

  /** SIGKILL to the group after `ms` unless it has exited (a stop's timeout; EXTEND_TIMEOUT_USEC moves it). */
  private armKill(live: Live, ms: number): void {
    if (live.killTimer) clearTimeout(live.killTimer);
    live.killTimer = setTimeout(() => signalGroup(live.pid, "SIGKILL"), ms);
  }

  /** What an instance says on its readiness channel, as table events (and notes in god's log). */
  private readinessMessage(index: number, run: number, message: ReadinessMessage): void {
    const event = readinessEvent(run, message);
    if (event !== null) {
      this.dispatch({ type: "instance", index, event });
      return;
    }
    const note = readinessNote(message);
    if (note !== null)
      this.plan.godLog.write("info", `job ${this.label(index)}: ${note}`, { job: this.name });
  }

  private armCheck(index: number, run: number, delayMs: number): void {
    const name = checkName(index, run);
    this.clearTimer(name);
    const timer = setTimeout(() => {
      this.forgetTimer(name);
      const live = this.lives.get(key(index, run));
      if (!live) return;
      void this.runCheck(index, run, live.pid).then((verdict) => {
        const event =
          verdict.type === "skip"
            ? ({ type: "checkSkipped", run, nextMs: verdict.nextMs } as const)
            : ({ type: "check", run, ...verdict.result, noCheck: verdict.noCheck } as const);
        this.dispatch({ type: "instance", index, event });
      });
    }, delayMs);
    this.setTimer(name, timer);
  }

  /** One check: a probe god runs itself, or a question to the loader (no verdict while it is down). */
  private async runCheck(index: number, run: number, pid: number): Promise<CheckVerdict> {
    const check = this.config.check;
    if (!check) return { type: "skip", nextMs: null };
    const startedMs = performance.now();
    noteCheck();
    let verdict: CheckVerdict;
    if (check.probe !== null) {
      const result = await runProbe(check.probe, check.timeoutMs);
      verdict = { type: "result", result: { ...result, nextMs: null }, noCheck: false };
    } else {
      const dialect = this.plan.loader.dialect;
      verdict = dialect
        ? await dialect.check(this.name, { pid, instance: run, index }, check.timeoutMs)
        : { type: "skip", nextMs: null };
    }
    if (verdict.type === "result") this.checkLatencyMs = performance.now() - startedMs;
    return verdict;
  }

  private label(index: number): string {
    return this.model.desired > 1 || index > 0 ? `${this.name}:${index}` : this.name;
  }
}

/** An adopted instance's notify socket, opened after the adoption (binding it is asynchronous). */
class LateReadiness implements Readiness {
  env: Record<string, string> = {};
  fd = null;
  path: string | null = null;
  readyPipe = null;
  private channel: Readiness | null = null;
  private closed = false;
  fill(channel: Readiness): void {
    if (this.closed) channel.close();
    else {
      this.channel = channel;
      this.path = channel.path;
    }
  }
  afterSpawn(): void {}
  close(): void {
    this.closed = true;
    this.channel?.close();
  }
}

function isReady(state: InstanceModel["state"] | undefined): boolean {
  return state?.type === "running" || state?.type === "degraded";
}

function closeAll(pipes: OutputPipe[]): void {
  for (const pipe of pipes) pipe.closeWriteEnd();
}

function removeFiles(paths: string[]): void {
  for (const path of paths) rmSync(path, { force: true });
}

/** The FIFO files of an instance's output pipes (none for Node's own pipes). */
function pipePaths(pipes: OutputPipe[] | null): string[] {
  // map() makes an array of the exact size, which the instance keeps; filter() one of 17 slots.
  const paths = (pipes ?? []).map((p) => p.path);
  return paths.every((p) => typeof p === "string")
    ? (paths as string[])
    : paths.filter((p): p is string => typeof p === "string");
}

/** What an instance says on its readiness channel that moves its table, as the event. */
function readinessEvent(run: number, message: ReadinessMessage): InstanceEvent | null {
  switch (message.type) {
    case "ready":
      return { type: "ready", run };
    case "status":
      return { type: "statusText", run, text: message.text };
    case "watchdog":
      return { type: "watchdog", run };
    case "watchdog-trigger":
      return { type: "watchdogTimeout", run };
    case "extend-timeout":
      return { type: "extendTimeout", run, ms: message.timeoutMs };
    default:
      return null;
  }
}

/** What an instance says that is only worth a note in god's log. */
function readinessNote(message: ReadinessMessage): string | null {
  switch (message.type) {
    case "stopping":
      return "the instance says it is stopping (STOPPING=1)";
    case "reloading":
      return "the instance says it is reloading (RELOADING=1)";
    case "mainpid":
      return `MAINPID=${message.pid} is ignored: god watches the process it started`;
    case "closed":
      return "the instance closed its ready fd without writing a line; it is not ready";
    case "bad":
      return `${message.count} malformed line(s) on the notify socket were ignored`;
    default:
      return null;
  }
}

/** The instance count a spec asks for ("max": one per CPU). */
export function desiredOf(config: JobConfig): number {
  return config.instances === "max" ? availableParallelism() : config.instances;
}

function exitJson(e: { code: number | null; signal: string | null; atMs: number }) {
  return { code: e.code, signal: e.signal, at: new Date(e.atMs).toISOString() };
}

/** The job's usage: the sum over its instances (null when none was sampled). */
function sumUsage(instances: InstanceJson[]): InstanceJson["usage"] {
  const sampled = instances.map((i) => i.usage).filter((u) => u !== null);
  if (sampled.length === 0) return null;
  return {
    cpuPercent: sampled.reduce((sum, u) => sum + u.cpuPercent, 0),
    rssBytes: sampled.reduce((sum, u) => sum + u.rssBytes, 0),
  };
}

function instanceJson(inst: InstanceModel, nowMs: number, usageOf: UsageOf): InstanceJson {
  const proc = liveProc(inst.state);
  const pid = proc?.pid ?? null;
  return {
    index: inst.index,
    pid,
    instance: proc?.run ?? null,
    state: inst.state.type,
    want: inst.want,
    restarts: inst.restarts,
    uptimeMs: proc && pid !== null ? nowMs - proc.spawnedAtMs : null,
    check: inst.lastCheck
      ? {
          status: inst.lastCheck.status,
          message: inst.lastCheck.message,
          at: new Date(inst.lastCheck.atMs).toISOString(),
        }
      : null,
    lastExit: inst.lastExit ? exitJson(inst.lastExit) : null,
    reason: reasonOf(inst, nowMs),
    adopted: proc?.adopted ?? false,
    processes: procsOf(inst).length,
    usage: pid === null ? null : usageOf(pid),
    statusText: inst.statusText,
  };
}

function reasonOf(inst: InstanceModel, nowMs: number): string | null {
  const s = inst.state;
  switch (s.type) {
    case "waiting":
      return s.reason;
    case "backoff":
      return `${s.reason}; next start in ${Math.max(0, s.untilMs - nowMs)} ms`;
    case "failed":
      return s.reason;
    case "starting":
    case "running":
    case "degraded":
    case "stopping":
    case "stopped":
    case "exited":
      return inst.note;
  }
}
