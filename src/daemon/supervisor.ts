// The supervisor: every job and every loader of one god. It turns hellos into jobs (unique names across
// loaders, `after` checked, specs replaced only as the harmless-reload rule says), answers the control actions
// with the outcome core/outcome.ts decides, keeps `after` order at start and its reverse at shutdown, and
// streams every change. Each job's life is its JobRunner's table; this file decides nothing about it.

import { dependencyErrors, stopOrder, waitingFor } from "../core/dependencies.js";
import type { Deps } from "../core/instance-events.js";
import { liveProc } from "../core/instance-state.js";
import type { Command } from "../core/job-model.js";
import { compareNames } from "../core/name-order.js";
import { commandOutcome, type Failure, type PendingCommand } from "../core/outcome.js";
import { replaceReason } from "../core/redeploy.js";
import type { GodLog } from "../logs/god-log.js";
import type { JobLog } from "../logs/job-log.js";
import type { ExitWatch } from "../process/exit-watch.js";
import { LegacyDialect, type Words } from "../process/legacy-dialect.js";
import type { AcceptedHello } from "../process/loader-connection.js";
import type {
  CheckJson,
  JobJson,
  LoaderJson,
  LoadersJson,
  StatusJson,
  SupervisorChange,
} from "../protocol/control.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import type { JobEventParams } from "../protocol/job-event.js";
import type { JobConfig } from "../protocol/jobspec.js";
import { JobSockets } from "../sockets/job-sockets.js";
import { notifyAvailable } from "../sockets/notify-socket.js";
import type { Adoption } from "./adoption.js";
import {
  type InstanceRecorder,
  JobRunner,
  type PipeSource,
  type RunnerChange,
  type UsageOf,
} from "./job-runner.js";
import { LoaderSlot } from "./loader-slot.js";
import type { InstanceRecord } from "./state-file.js";
import type { WarmStarts } from "./warm-start.js";

export type { SupervisorChange } from "../protocol/control.js";

export interface SupervisorOptions {
  log: GodLog;
  jobLog: (job: string, config: JobConfig) => JobLog;
  dropJobLog: (job: string) => void;
  recorder: InstanceRecorder;
  pipes: PipeSource;
  /** The budget of warm starts; without it, none (warm-start.ts). */
  warmStarts?: WarmStarts;
  /** `@newLoaders` from a legacy check: rescan and reload every loader. */
  reloadLoaders: () => void;
  /** Usage of a process group from the daemon's sampler (SPEC 15). */
  usage: UsageOf;
  /** GOD_HOME/notify: the instances' notify sockets (SPEC 11). */
  notifyDir: string;
  /** Notices the end of adopted processes. */
  exitWatch: ExitWatch;
  /** What the previous god left running, to adopt as loaders declare its jobs (null with --no-adopt). */
  adoption: Adoption | null;
  /** Stops survivors nobody adopts (their loader said hello without them, or is gone). */
  stopUnwanted: (records: InstanceRecord[], why: string) => void;
}

/** How long a command waits for its outcome, past the job's own stop timeout and check grace. */
const WAIT_CAP_MS = 60_000;
/** At shutdown, how long past its stop timeout a job may take to settle (a start being prepared, say). */
const SETTLE_MARGIN_MS = 10_000;
const LOADER_METHODS = new Set(["start", "stop", "restart", "reload"]);

export class Supervisor {
  readonly jobs = new Map<string, JobRunner>();
  readonly loaders = new Map<string, LoaderSlot>();
  private readonly options: SupervisorOptions;
  private shuttingDown = false;
  private readonly listeners = new Set<(change: SupervisorChange) => void>();
  private readonly configListeners = new Set<(name: string, config: JobConfig | null) => void>();

  constructor(options: SupervisorOptions) {
    this.options = options;
  }

  get log(): GodLog {
    return this.options.log;
  }

  /** Every job state change and loader change, as it happens (event streams). */
  subscribe(fn: (change: SupervisorChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(change: SupervisorChange): void {
    for (const fn of [...this.listeners]) fn(change);
  }

  /**
   * Every job's spec as it is declared or replaced, and null when the job is removed: the rules of SPEC 15
   * (cron, watch) arm and re-arm from it.
   */
  onJobConfig(fn: (name: string, config: JobConfig | null) => void): () => void {
    this.configListeners.add(fn);
    return () => this.configListeners.delete(fn);
  }

  private emitConfig(name: string, config: JobConfig | null): void {
    for (const fn of [...this.configListeners]) fn(name, config);
  }

  // ---- loaders ------------------------------------------------------------------------------------------

  /**
   * `argv` runs the loader when it is not `PATH godv1` (a built-in loader of a configuration file), with `env`
   * added to god's environment.
   */
  addLoader(path: string, argv?: string[], env?: Record<string, string>): LoaderSlot {
    const existing = this.loaders.get(path);
    if (existing) return existing;
    const slot = new LoaderSlot(
      path,
      {
        hello: (s, hello) => this.applyHello(s, hello),
        request: (s, method, params) => this.loaderRequest(s, method, params),
        forward: (s, job, words) => this.forward(s, job, words),
        newLoaders: () => this.options.reloadLoaders(),
        log: (level, msg, fields) => this.log.write(level, msg, fields),
        changed: (s) => {
          this.log.info(`loader ${s.path} is ${s.state}`, { loader: s.path, state: s.state });
          this.emit({ type: "loader", loader: this.loaderJson(s) });
        },
      },
      argv,
      env,
    );
    this.loaders.set(path, slot);
    return slot;
  }

  async removeLoader(path: string): Promise<void> {
    const slot = this.loaders.get(path);
    if (!slot) return;
    this.loaders.delete(path);
    await slot.remove();
    await Promise.all(this.jobsOf(slot).map((r) => this.removeJob(r.name, `its loader ${path} was removed`)));
  }

  /** The jobs a loader owns: recorded once, on each job. */
  private jobsOf(slot: LoaderSlot): JobRunner[] {
    return [...this.jobs.values()].filter((r) => r.loader === slot);
  }

  loaderJson(slot: LoaderSlot): LoaderJson {
    return {
      path: slot.path,
      pid: slot.state === "up" ? (slot.current?.pid ?? null) : null,
      state: slot.state,
      dialect: slot.dialectName,
      jobs: this.jobsOf(slot)
        .map((r) => r.name)
        .sort(),
      error: slot.error,
      restarts: slot.restarts,
      lastError: slot.lastError,
    };
  }

  loadersJson(): LoadersJson {
    return { loaders: [...this.loaders.values()].map((s) => this.loaderJson(s)) };
  }

  /** Turns an accepted hello into jobs; returns whether the loader must stay resident. */
  private applyHello(slot: LoaderSlot, hello: AcceptedHello): boolean {
    const errors: string[] = [];
    const accepted = new Map<string, JobConfig>();
    for (const config of hello.jobs) {
      const owner = this.jobs.get(config.name)?.loader;
      if (owner !== undefined && owner !== slot) {
        errors.push(
          `job "${config.name}" is already declared by loader ${owner.path}; rename it in one of the two loaders`,
        );
        continue;
      }
      accepted.set(config.name, config);
    }
    // `ready: "notify"` needs the optional native package; without it, refuse at once with what to install.
    for (const config of [...accepted.values()]) {
      const missing = config.ready === "notify" ? notifyAvailable() : null;
      if (missing === null) continue;
      accepted.delete(config.name);
      errors.push(`job "${config.name}": ${missing}`);
    }
    const elsewhere = new Set([...this.jobs.values()].filter((r) => r.loader !== slot).map((r) => r.name));
    const graph = new Map([...accepted.values()].map((c) => [c.name, c.after]));
    for (const [name, message] of dependencyErrors(graph, elsewhere)) {
      accepted.delete(name);
      errors.push(message);
    }
    // A job whose new spec is invalid keeps its old one: a typo in a deploy must not stop a running job.
    const kept = new Set<string>();
    for (const jobError of hello.jobErrors) {
      errors.push(jobError.message);
      if (jobError.name !== null && this.jobs.get(jobError.name)?.loader === slot) kept.add(jobError.name);
    }
    for (const runner of this.jobsOf(slot)) {
      if (!accepted.has(runner.name) && !kept.has(runner.name)) {
        void this.removeJob(runner.name, `loader ${slot.path} no longer declares it`);
      }
    }
    // Dependencies first, so a job that starts at once never finds what it waits for undeclared.
    for (const name of stopOrder(graph).reverse().flat()) {
      const config = accepted.get(name);
      if (config) this.upsertJob(slot, config);
    }
    // The previous god's processes of this loader whose job it no longer declares are not adopted.
    const unwanted = this.options.adoption?.unclaimedOf(slot.path) ?? [];
    if (unwanted.length > 0)
      this.options.stopUnwanted(unwanted, `loader ${slot.path} no longer declares their job`);
    slot.error = errors.length > 0 ? errors.join("; ") : null;
    for (const error of errors) this.log.error(`loader ${slot.path}: ${error}`, { loader: slot.path });
    const names = [...accepted.keys(), ...kept].sort();
    this.log.info(`loader ${slot.path} declared ${names.length} job(s)`, {
      loader: slot.path,
      name: hello.loader.name,
      version: hello.loader.version,
      jobs: names,
    });
    return [...accepted.values()].some(
      (c) => (c.check !== null && c.check.probe === null) || c.events.length > 0,
    );
  }

  private upsertJob(slot: LoaderSlot, config: JobConfig): void {
    const existing = this.jobs.get(config.name);
    if (!existing) {
      const runner = new JobRunner(config, {
        loader: slot,
        sockets: new JobSockets(config.name, this.log),
        pipes: this.options.pipes,
        ...(this.options.warmStarts === undefined ? {} : { warmStarts: this.options.warmStarts }),
        log: this.options.jobLog(config.name, config),
        recorder: this.options.recorder,
        godLog: this.log,
        usage: this.options.usage,
        notifyDir: this.options.notifyDir,
        exitWatch: this.options.exitWatch,
        changed: (r, change) => this.jobChanged(r, change),
      });
      this.jobs.set(config.name, runner);
      this.log.info(`job ${config.name} declared`, { job: config.name, loader: slot.path });
      this.adoptInto(runner);
      this.emit({ type: "job", job: runner.toJson() });
      this.emitConfig(config.name, config);
      if (config.auto && !this.shuttingDown) this.command(runner, "start", null, "auto");
      return;
    }
    const before = existing.config;
    const why = replaceReason(before, config, existing.deployedFile(config));
    existing.update(config, this.deps(existing, config.after));
    this.emitConfig(config.name, config);
    const live = ["starting", "running", "degraded"].includes(existing.state);
    if (why !== null && live && !this.shuttingDown) {
      this.log.info(`job ${config.name}: ${why}; replacing it (${config.reload})`, { job: config.name });
      this.command(existing, "reload", null, why);
    }
  }

  /**
   * A new job whose processes the previous god left running (SPEC 13): they become its instances, its sockets
   * are taken back from them, and if the loaders changed its spec meanwhile it is reloaded by its policy.
   */
  private adoptInto(runner: JobRunner): void {
    const survivors = this.options.adoption?.claim(runner.name) ?? [];
    if (survivors.length === 0) return;
    const config = runner.config;
    for (const record of survivors) runner.adopt(record);
    const pids = survivors.map((r) => r.pid);
    this.log.info(
      `job ${runner.name}: adopted ${pids.length} process(es) of the previous god (pid ${pids.join(", ")})`,
      {
        job: runner.name,
        pids,
      },
    );
    const extra = survivors.some((r) => r.adopt.index >= runner.model.desired);
    if (extra) runner.dispatch({ type: "scale", count: runner.model.desired, deps: this.deps(runner) });
    const before = { ...config, ...survivors[0]!.adopt.spec };
    const why = replaceReason(before, config, runner.deployedFile(config));
    void runner.sockets.recover(survivors[0]!.pid, survivors[0]!.adopt.spec.listen).then((lost) => {
      if (lost !== null) {
        this.log.warn(
          `job ${runner.name}: its listening sockets could not be taken back from pid ${survivors[0]!.pid} (${lost}); its next reload stops the old process before the new one starts`,
          { job: runner.name },
        );
        runner.refreshPolicy();
      }
      if (why !== null && !this.shuttingDown && this.jobs.get(runner.name) === runner) {
        this.log.info(`job ${runner.name}: ${why}; replacing its adopted processes (${config.reload})`, {
          job: runner.name,
        });
        this.command(runner, "reload", null, why);
      }
    });
  }

  private async removeJob(name: string, why: string): Promise<void> {
    const runner = this.jobs.get(name);
    if (!runner) return;
    this.jobs.delete(name);
    this.log.info(`job ${name} removed: ${why}`, { job: name });
    this.emit({ type: "removed", name });
    this.emitConfig(name, null);
    this.command(runner, "stop", null, why);
    await runner.allExited();
    runner.clearTimers();
    runner.sockets.close();
    this.options.dropJobLog(name);
  }

  private async loaderRequest(slot: LoaderSlot, method: string, params: unknown): Promise<unknown> {
    if (!LOADER_METHODS.has(method)) {
      throw new GodError(
        ErrorCode.MethodNotFound,
        `unknown method "${method}"; a loader may ask start, stop, restart or reload`,
      );
    }
    const job = typeof params === "object" && params !== null ? (params as { job?: unknown }).job : undefined;
    if (typeof job !== "string") throw new GodError(ErrorCode.InvalidParams, "params.job: expected a string");
    const runner = this.jobs.get(job);
    if (!runner || runner.loader !== slot) {
      throw new GodError(
        ErrorCode.NotPermitted,
        `loader ${slot.path} may control only its own jobs, not "${job}"`,
      );
    }
    const reason = (params as { reason?: unknown }).reason;
    this.log.info(`loader asked to ${method} job ${job}${typeof reason === "string" ? `: ${reason}` : ""}`, {
      job,
      loader: slot.path,
    });
    await this.act(method, job, false);
    return {};
  }

  /** Legacy `["@OTHER", ARGS...]`: `[OTHER, ARGS...]` to OTHER's loader, its answer discarded (SPEC 3.2). */
  private forward(from: LoaderSlot, job: string, words: Words): void {
    const target = this.jobs.get(job)?.loader;
    const dialect = target?.dialect;
    if (dialect instanceof LegacyDialect) {
      dialect.ask(words).catch(() => {});
      return;
    }
    this.log.warn(
      `loader ${from.path} forwarded ${JSON.stringify(words).slice(0, 200)} to job "${job}", which has no resident legacy loader; ignored`,
      { loader: from.path, job },
    );
  }

  // ---- jobs ---------------------------------------------------------------------------------------------

  private deps(runner: JobRunner, after = runner.config.after): Deps {
    const reason = waitingFor(after, (name) => {
      const dep = this.jobs.get(name);
      return dep ? { state: dep.state, exitCode: dep.toJson().lastExit?.code ?? null } : undefined;
    });
    return { ready: reason === null, reason };
  }

  /**
   * A rule's action (SPEC 15: the memory limit, cron, watch) on a job or one instance, logged with its reason.
   * It goes through the same table as any command; nothing waits for it.
   */
  rule(name: string, action: Command, index: number | null, why: string): void {
    const runner = this.jobs.get(name);
    if (!runner || this.shuttingDown) return;
    const label = index === null ? name : `${name}:${index}`;
    this.log.info(
      `job ${label}: ${why}; ${action === "reload" ? `replacing it (${runner.config.reload})` : `${action}ing it`}`,
      {
        job: name,
        rule: action,
      },
    );
    this.command(runner, action, index, why);
  }

  /** Gives a job a command; returns what an outcome needs to know of it. */
  private command(runner: JobRunner, action: Command, target: number | null, why: string): PendingCommand {
    const runsBefore = new Map(runner.model.instances.map((i) => [i.index, i.run]));
    runner.dispatch({ type: action, target, deps: this.deps(runner), why });
    const m = runner.model;
    const all = m.instances.map((i) => i.index).filter((i) => i < m.desired || action === "stop");
    return { action, cmd: m.cmd, targets: target === null ? all : [target], runsBefore };
  }

  private jobChanged(runner: JobRunner, change: RunnerChange): void {
    const json = runner.toJson();
    const many = runner.model.desired > 1 || runner.model.instances.length > 1;
    for (const { index, before, pidBefore } of change.instances) {
      const inst = json.instances[index];
      if (!inst || (inst.state === before && inst.pid === pidBefore)) continue;
      const label = many ? `${runner.name}:${index}` : runner.name;
      const msg =
        inst.state === before
          ? `job ${label} ${inst.state}: pid ${inst.pid}`
          : `job ${label} ${before} -> ${inst.state}`;
      this.log.info(msg, {
        job: runner.name,
        ...(many ? { instance: index } : {}),
        state: inst.state,
        jobPid: inst.pid,
        ...(inst.reason ? { reason: inst.reason } : {}),
      });
      if (inst.state !== before) this.sendEvent(runner, index);
    }
    // A job removed (its loader no longer declares it) still stops, but it is no longer shown.
    if (this.jobs.get(runner.name) === runner) this.emit({ type: "job", job: json });
    if (this.shuttingDown || change.before === json.state) return;
    for (const other of this.jobs.values()) {
      if (other === runner || !other.config.after.includes(runner.name)) continue;
      if (!other.model.instances.some((i) => i.state.type === "waiting" && i.want === "up")) continue;
      const deps = this.deps(other);
      other.dispatch(
        deps.ready ? { type: "depsReady" } : { type: "start", target: null, deps, why: "waiting" },
      );
    }
  }

  private sendEvent(runner: JobRunner, index: number): void {
    const inst = runner.model.instances[index];
    if (!inst || !runner.config.events.includes(inst.state.type)) return;
    const params: JobEventParams = {
      job: runner.name,
      instance: inst.run,
      index,
      state: inst.state.type,
      at: new Date().toISOString(),
    };
    const pid = liveProc(inst.state)?.pid;
    if (pid) params.pid = pid;
    if (["exited", "backoff", "stopped", "failed"].includes(inst.state.type) && inst.lastExit) {
      params.exitCode = inst.lastExit.code;
      params.signal = inst.lastExit.signal;
    }
    runner.loader.dialect?.stateChanged(params);
  }

  /** `JOB` or `JOB:K`: the job and the instance index (null: every instance). */
  private target(text: string): { runner: JobRunner; index: number | null } {
    const colon = text.lastIndexOf(":");
    const name = colon === -1 ? text : text.slice(0, colon);
    const runner = this.runner(name);
    if (colon === -1) return { runner, index: null };
    const index = Number(text.slice(colon + 1));
    if (
      !/^\d{1,4}$/.test(text.slice(colon + 1)) ||
      index >= Math.max(runner.model.desired, runner.model.instances.length)
    ) {
      throw new GodError(
        ErrorCode.UnknownJob,
        `job "${name}" has no instance ${text.slice(colon + 1)}; its instances are 0 to ${runner.model.desired - 1}`,
      );
    }
    return { runner, index };
  }

  private runner(name: string): JobRunner {
    const runner = this.jobs.get(name);
    if (!runner) {
      throw new GodError(
        ErrorCode.UnknownJob,
        `unknown job "${name}": no loader declares it; run \`god status\` to list the jobs.`,
      );
    }
    return runner;
  }

  status(names: string[]): StatusJson {
    const runners = names.length === 0 ? [...this.jobs.values()] : names.map((n) => this.runner(n));
    return { jobs: runners.map((r) => r.toJson()).sort((a, b) => compareNames(a.name, b.name)) };
  }

  /** start, stop, restart, reload of `JOB` or `JOB:K`: act, and with `wait` answer once the outcome is known. */
  async act(action: string, name: string, wait: boolean): Promise<JobJson> {
    if (action !== "start" && action !== "stop" && action !== "restart" && action !== "reload") {
      throw new GodError(ErrorCode.MethodNotFound, `unknown action "${action}"`);
    }
    const { runner, index } = this.target(name);
    if (this.shuttingDown && action !== "stop") {
      throw new GodError(
        ErrorCode.InvalidState,
        `god is shutting down; job "${runner.name}" cannot ${action} now`,
      );
    }
    const pending = this.command(runner, action, index, `god ${action}`);
    return this.outcome(runner, pending, wait);
  }

  /** `god scale JOB N|+N|-N`: answers once the new instances are ready and the removed ones stopped. */
  async scale(name: string, count: string, wait: boolean): Promise<JobJson> {
    const runner = this.runner(name);
    const match = /^([+-]?)(\d{1,4})$/.exec(count);
    if (!match) throw new GodError(ErrorCode.InvalidParams, `params.count: "${count}" is not N, +N or -N`);
    const current = runner.model.desired;
    const n = Number(match[2]);
    const desired = match[1] === "+" ? current + n : match[1] === "-" ? current - n : n;
    if (desired < 1 || desired > 1024) {
      throw new GodError(
        ErrorCode.InvalidParams,
        `job "${name}" cannot have ${desired} instances; scale to 1 to 1024 (stop it to run none)`,
      );
    }
    if (this.shuttingDown)
      throw new GodError(ErrorCode.InvalidState, `god is shutting down; job "${name}" cannot scale now`);
    const runsBefore = new Map(runner.model.instances.map((i) => [i.index, i.run]));
    const before = runner.model.instances.length;
    runner.dispatch({ type: "scale", count: desired, deps: this.deps(runner) });
    const targets: number[] = [];
    for (let i = Math.min(current, desired); i < Math.max(current, desired, before); i++) targets.push(i);
    this.log.info(`job ${name} scaled from ${current} to ${desired} instance(s)`, { job: name });
    return this.outcome(runner, { action: "scale", cmd: runner.model.cmd, targets, runsBefore }, wait);
  }

  private async outcome(runner: JobRunner, pending: PendingCommand, wait: boolean): Promise<JobJson> {
    if (!wait) return runner.toJson();
    const capMs = WAIT_CAP_MS + (runner.config.check?.graceMs ?? 0) + runner.config.stop.timeoutMs;
    const verdict = await runner.waitFor((r) => commandOutcome(pending, r.model), capMs);
    if (verdict === null) {
      const json = runner.toJson();
      throw new GodError(
        ErrorCode.ActionFailed,
        `job "${runner.name}" is still ${json.state}${json.reason ? ` (${json.reason})` : ""} after ${Math.round(capMs / 1000)} s; see \`god status ${runner.name}\``,
      );
    }
    if (!verdict.ok)
      throw new GodError(ErrorCode.ActionFailed, this.explain(runner, pending, verdict.failure));
    return runner.toJson();
  }

  private explain(runner: JobRunner, pending: PendingCommand, failure: Failure): string {
    const many = runner.model.desired > 1 || runner.model.instances.length > 1;
    const name = many ? `${runner.name}:${failure.index}` : runner.name;
    const inst = runner.toJson().instances[failure.index];
    const state = inst?.state ?? "gone";
    switch (failure.kind) {
      case "state":
        return `job "${name}" is ${state}${inst?.reason ? `: ${inst.reason}` : ""}; see \`god logs ${runner.name}\``;
      case "stopped":
        return `job "${name}" was stopped before it became ready`;
      case "superseded":
        return `job "${name}" got another command before this ${pending.action} finished; it is now ${state}; see \`god status ${runner.name}\``;
      case "reload":
        return `job "${name}" was not reloaded: ${failure.why}; the old instance keeps serving`;
      case "gone":
        return `job "${name}" was removed (scaled down) before it was ready`;
    }
  }

  async check(name: string): Promise<CheckJson> {
    const { runner, index } = this.target(name);
    const result = await runner.checkNow(index ?? 0);
    return { status: result.status, message: result.message, at: new Date().toISOString() };
  }

  /** Stops every job, dependants before what they depend on, then every loader. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const graph = new Map([...this.jobs.values()].map((r) => [r.name, r.config.after]));
    for (const group of stopOrder(graph)) {
      const runners = group.map((n) => this.jobs.get(n)).filter((r): r is JobRunner => r !== undefined);
      for (const r of runners) this.command(r, "stop", null, "god is shutting down");
      await Promise.all(runners.map((r) => r.waitFor(settled, r.config.stop.timeoutMs + SETTLE_MARGIN_MS)));
      for (const r of runners) r.clearTimers();
    }
    await Promise.all([...this.loaders.values()].map((s) => s.remove()));
    // A start that outlasted that bound ends once its loader is gone; then nothing may outlive god.
    const all = [...this.jobs.values()];
    await Promise.all(all.map((r) => r.waitFor(settled, SETTLE_MARGIN_MS)));
    for (const r of all) r.killNow();
    await Promise.all(all.map((r) => r.allExited()));
  }

  /**
   * god leaves, its jobs stay (`god shutdown --leave-jobs`, an upgrade): no new process is started from now on,
   * the loaders are stopped, and every job keeps running, recorded in state.json for the next god to adopt.
   */
  async leave(): Promise<void> {
    this.shuttingDown = true;
    for (const r of this.jobs.values()) r.clearTimers();
    await Promise.all([...this.loaders.values()].map((s) => s.remove()));
  }

  /** SIGKILL to every loader now; jobs are left alone (god's own crash, SPEC 9). */
  killLoaders(): void {
    this.shuttingDown = true;
    for (const r of this.jobs.values()) r.clearTimers();
    for (const s of this.loaders.values()) {
      s.kill();
      void s.remove();
    }
  }

  /** Second signal: SIGKILL every group and every loader now. */
  killAll(): void {
    this.shuttingDown = true;
    for (const r of this.jobs.values()) r.killNow();
    for (const s of this.loaders.values()) {
      // god exits right after this, so a loader that ignores SIGTERM and EOF would outlive it: kill it too.
      s.kill();
      void s.remove();
    }
  }
}

/** At shutdown, after a stop: every instance stopped, and no process (a candidate, a retiring one) alive. */
function settled(r: JobRunner): true | null {
  return r.model.instances.every((i) => i.state.type === "stopped") && r.instances().length === 0
    ? true
    : null;
}
