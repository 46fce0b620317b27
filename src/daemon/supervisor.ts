// The supervisor: every job and every loader of one god. It turns hellos into jobs (unique names across
// loaders, `after` checked, specs replaced on reload), answers the control actions, keeps `after` order at
// start and its reverse at shutdown, and routes checks to probes or loaders.

import { dependencyErrors, stopOrder, waitingFor } from "../core/dependencies.js";
import type { JobModel } from "../core/job-state.js";
import type { GodLog } from "../logs/god-log.js";
import type { JobLog } from "../logs/job-log.js";
import type { OutputPipe } from "../logs/output-pipe.js";
import type { AcceptedHello, JobEventParams } from "../process/loader-connection.js";
import { runProbe } from "../process/probe.js";
import { signalGroup } from "../process/signal-group.js";
import type { SpawnOptions } from "../process/spawn-instance.js";
import type { CheckResult } from "../protocol/check-result.js";
import type { CheckJson, JobJson, LoaderJson, LoadersJson, StatusJson } from "../protocol/control.js";
import { ErrorCode, GodError } from "../protocol/errors.js";
import type { JobConfig } from "../protocol/jobspec.js";
import type { JobStateName } from "../protocol/states.js";
import { type HeldSocket, holdSocket } from "../sockets/held-socket.js";
import { JobRunner } from "./job-runner.js";
import { LoaderSlot } from "./loader-slot.js";

export interface SupervisorOptions {
  log: GodLog;
  jobLog: (job: string, config: JobConfig) => JobLog;
  dropJobLog: (job: string) => void;
  instancesChanged: () => void;
  pipes: (count: number) => Promise<OutputPipe[]>;
}

const WAIT_CAP_MS = 60_000;
/** At shutdown, how long past its stop timeout a job may take to settle (a start being prepared, say). */
const SETTLE_MARGIN_MS = 10_000;

export type SupervisorChange =
  | { type: "job"; job: JobJson }
  | { type: "removed"; name: string }
  | { type: "loader"; loader: LoaderJson };

export class Supervisor {
  readonly jobs = new Map<string, JobRunner>();
  readonly loaders = new Map<string, LoaderSlot>();
  private readonly options: SupervisorOptions;
  private shuttingDown = false;
  private readonly sockets = new Map<string, { key: string; held: HeldSocket[] }>();
  private readonly socketQueue = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(change: SupervisorChange) => void>();
  /** How long each job's last check took, for /metrics. */
  readonly checkLatencyMs = new Map<string, number>();

  constructor(options: SupervisorOptions) {
    this.options = options;
  }

  get log(): GodLog {
    return this.options.log;
  }

  /** Every job state change and loader change, as it happens (for the HTTP event stream). */
  subscribe(fn: (change: SupervisorChange) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private emit(change: SupervisorChange): void {
    for (const fn of [...this.listeners]) fn(change);
  }

  // ---- loaders ------------------------------------------------------------------------------------------

  addLoader(path: string): LoaderSlot {
    const existing = this.loaders.get(path);
    if (existing) return existing;
    const slot = new LoaderSlot(path, {
      hello: (s, hello) => this.applyHello(s, hello),
      request: (s, method, params) => this.loaderRequest(s, method, params),
      log: (level, msg, fields) => this.log.write(level, msg, fields),
      changed: (s) => {
        this.log.info(`loader ${s.path} is ${s.state}`, { loader: s.path, state: s.state });
        this.emit({ type: "loader", loader: s.toJson() });
      },
    });
    this.loaders.set(path, slot);
    return slot;
  }

  async removeLoader(path: string): Promise<void> {
    const slot = this.loaders.get(path);
    if (!slot) return;
    this.loaders.delete(path);
    await slot.remove();
    await Promise.all(slot.jobs.map((name) => this.removeJob(name, `its loader ${path} was removed`)));
  }

  loadersJson(): LoadersJson {
    return { loaders: [...this.loaders.values()].map((s) => s.toJson()) };
  }

  /** Turns an accepted hello into jobs; returns whether the loader must stay resident. */
  private applyHello(slot: LoaderSlot, hello: AcceptedHello): boolean {
    const errors: string[] = [];
    const accepted = new Map<string, JobConfig>();
    for (const config of hello.jobs) {
      const owner = this.jobs.get(config.name)?.loader;
      if (owner !== undefined && owner !== slot.path) {
        errors.push(
          `job "${config.name}" is already declared by loader ${owner}; rename it in one of the two loaders`,
        );
        continue;
      }
      accepted.set(config.name, config);
    }
    const elsewhere = new Set(
      [...this.jobs.values()].filter((r) => r.loader !== slot.path).map((r) => r.name),
    );
    const graph = new Map([...accepted.values()].map((c) => [c.name, c.after]));
    for (const [name, message] of dependencyErrors(graph, elsewhere)) {
      accepted.delete(name);
      errors.push(message);
    }
    // A job whose new spec is invalid keeps its old one: a typo in a deploy must not stop a running job.
    const kept = new Set<string>();
    for (const jobError of hello.jobErrors) {
      errors.push(jobError.message);
      if (jobError.name !== null && this.jobs.get(jobError.name)?.loader === slot.path)
        kept.add(jobError.name);
    }
    for (const name of slot.jobs) {
      if (!accepted.has(name) && !kept.has(name) && this.jobs.get(name)?.loader === slot.path) {
        void this.removeJob(name, `loader ${slot.path} no longer declares it`);
      }
    }
    // Dependencies first, so a job that starts at once never finds what it waits for undeclared.
    const declareOrder = stopOrder(graph).reverse().flat();
    for (const name of declareOrder) if (accepted.has(name)) this.upsertJob(slot.path, accepted.get(name)!);
    slot.jobs = [...accepted.keys(), ...kept].sort();
    slot.error = errors.length > 0 ? errors.join("; ") : null;
    for (const error of errors) this.log.error(`loader ${slot.path}: ${error}`, { loader: slot.path });
    this.log.info(`loader ${slot.path} declared ${slot.jobs.length} job(s)`, {
      loader: slot.path,
      name: hello.loader.name,
      version: hello.loader.version,
      jobs: slot.jobs,
    });
    return [...accepted.values()].some(
      (c) => (c.check !== null && c.check.probe === null) || c.events.length > 0,
    );
  }

  private upsertJob(loader: string, config: JobConfig): void {
    const existing = this.jobs.get(config.name);
    if (!existing) {
      const runner = new JobRunner(config, loader, {
        prepare: (r) => this.prepare(r),
        pipes: (count) => this.options.pipes(count),
        check: (r, pid, instance, timeoutMs) => {
          const startedMs = performance.now();
          return this.runCheck(r, pid, instance, timeoutMs).then((result) => {
            if (result !== null) this.checkLatencyMs.set(r.name, performance.now() - startedMs);
            return result;
          });
        },
        changed: (r, previous) => this.jobChanged(r, previous),
        log: (level, msg, fields) => this.log.write(level, msg, fields),
        jobLog: (r) => this.options.jobLog(r.name, r.config),
        instancesChanged: () => this.options.instancesChanged(),
      });
      this.jobs.set(config.name, runner);
      this.log.info(`job ${config.name} declared`, { job: config.name, loader });
      if (config.auto && !this.shuttingDown) this.startJob(runner);
      return;
    }
    const before = existing.config;
    existing.config = config;
    existing.loader = loader;
    this.options.jobLog(config.name, config);
    const changed = (["exec", "env", "cwd", "listen"] as const).some(
      (key) => JSON.stringify(before[key]) !== JSON.stringify(config[key]),
    );
    // A deploy that replaces the loader file also replaces a job whose program is that very file.
    const deployed = config.exec.some((arg) => arg === loader);
    const live = ["starting", "running", "degraded"].includes(existing.state);
    if ((changed || deployed) && live && !this.shuttingDown) {
      const why = changed ? "its spec changed" : `its program ${loader} was replaced`;
      this.log.info(`job ${config.name}: ${why}; reloading it (${config.reload})`, { job: config.name });
      void this.act("reload", config.name, true).catch((error: Error) =>
        this.log.error(error.message, { job: config.name }),
      );
    }
  }

  /** What an instance is spawned with: the loader's last word on exec and env, and the held sockets. */
  private async prepare(
    r: JobRunner,
  ): Promise<{ ok: true; config: JobConfig; options: SpawnOptions } | { ok: false; message: string }> {
    const connection = this.loaders.get(r.loader)?.current;
    const prepared = connection
      ? await connection.prepareSpawn(r.config)
      : { ok: true as const, config: r.config };
    if (!prepared.ok) return prepared;
    const held = await this.holdSockets(r.name, prepared.config.listen);
    if ("error" in held) return { ok: false, message: held.error };
    if (held.length === 0) return { ...prepared, options: {} };
    return {
      ...prepared,
      options: {
        extraFds: held.map((h) => h.fd),
        extraEnv: { LISTEN_FDS: String(held.length), LISTEN_FDNAMES: held.map((h) => h.name).join(":") },
      },
    };
  }

  /** The job's listening sockets, bound once and kept across restarts and reloads; rebound only on change. */
  private holdSockets(
    job: string,
    listen: Record<string, string>,
  ): Promise<HeldSocket[] | { error: string }> {
    const previous = this.socketQueue.get(job) ?? Promise.resolve();
    const next = previous.then(async () => {
      const key = JSON.stringify(Object.entries(listen));
      const existing = this.sockets.get(job);
      if (existing && existing.key === key) return existing.held;
      const held: HeldSocket[] = [];
      for (const [name, address] of Object.entries(listen)) {
        const reuse = existing?.held.find((h) => h.address === address);
        if (reuse) {
          held.push({ ...reuse, name });
          continue;
        }
        const socket = await holdSocket(job, name, address);
        if ("error" in socket) {
          for (const h of held) if (!existing?.held.some((e) => e.fd === h.fd)) h.close();
          this.log.error(socket.error, { job, address });
          return socket;
        }
        this.log.info(`job ${job} holds ${address} (fd ${socket.fd})`, { job, address });
        held.push(socket);
      }
      for (const old of existing?.held ?? []) if (!held.some((h) => h.fd === old.fd)) old.close();
      this.sockets.set(job, { key, held });
      return held;
    });
    this.socketQueue.set(
      job,
      next.then(() => undefined),
    );
    return next;
  }

  private releaseSockets(job: string): void {
    for (const h of this.sockets.get(job)?.held ?? []) h.close();
    this.sockets.delete(job);
    this.socketQueue.delete(job);
  }

  private async removeJob(name: string, why: string): Promise<void> {
    const runner = this.jobs.get(name);
    if (!runner) return;
    this.jobs.delete(name);
    this.log.info(`job ${name} removed: ${why}`, { job: name });
    this.emit({ type: "removed", name });
    runner.dispatch({ type: "stop" });
    await runner.allExited();
    runner.clearTimers();
    this.releaseSockets(name);
    this.options.dropJobLog(name);
    this.checkLatencyMs.delete(name);
  }

  private async loaderRequest(slot: LoaderSlot, method: string, params: unknown): Promise<unknown> {
    const job = typeof params === "object" && params !== null ? (params as { job?: unknown }).job : undefined;
    if (typeof job !== "string") throw new GodError(ErrorCode.InvalidParams, "params.job: expected a string");
    if (method !== "start" && method !== "stop" && method !== "restart" && method !== "reload") {
      throw new GodError(ErrorCode.MethodNotFound, `unknown method "${method}"`);
    }
    const runner = this.jobs.get(job);
    if (!runner || runner.loader !== slot.path) {
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

  // ---- jobs ---------------------------------------------------------------------------------------------

  private deps(runner: JobRunner): { depsReady: boolean; depsReason: string | null } {
    const reason = waitingFor(runner.config.after, (name) => {
      const dep = this.jobs.get(name);
      return dep ? { state: dep.state, exitCode: dep.model.lastExit?.code ?? null } : undefined;
    });
    return { depsReady: reason === null, depsReason: reason };
  }

  private startJob(runner: JobRunner): void {
    runner.dispatch({ type: "start", ...this.deps(runner) });
  }

  private jobChanged(runner: JobRunner, previous: JobStateName): void {
    const json = runner.toJson();
    this.log.info(`job ${runner.name} ${previous} -> ${json.state}`, {
      job: runner.name,
      state: json.state,
      jobPid: json.pid,
      ...(json.reason ? { reason: json.reason } : {}),
    });
    this.sendEvent(runner);
    this.emit({ type: "job", job: json });
    if (this.shuttingDown) return;
    for (const other of this.jobs.values()) {
      if (other === runner || other.state !== "waiting" || other.model.want !== "up") continue;
      if (!other.config.after.includes(runner.name)) continue;
      const deps = this.deps(other);
      other.dispatch(deps.depsReady ? { type: "depsReady" } : { type: "start", ...deps });
    }
  }

  private sendEvent(runner: JobRunner): void {
    const m: JobModel = runner.model;
    if (!runner.config.events.includes(m.state.type)) return;
    const slot = this.loaders.get(runner.loader);
    const json = runner.toJson();
    const params: Record<string, unknown> = {
      job: runner.name,
      instance: runner.model.instance,
      state: m.state.type,
      at: new Date().toISOString(),
    };
    if (json.pid !== null) params["pid"] = json.pid;
    if (["exited", "backoff", "stopped", "failed"].includes(m.state.type)) {
      if (m.lastExit) {
        params["exitCode"] = m.lastExit.code;
        params["signal"] = m.lastExit.signal;
      }
    }
    slot?.current?.sendEvent(params as unknown as JobEventParams);
  }

  private async runCheck(
    runner: JobRunner,
    pid: number,
    instance: number,
    timeoutMs: number,
  ): Promise<CheckResult | null> {
    const probe = runner.config.check?.probe ?? null;
    if (probe !== null) {
      const result = await runProbe(probe, timeoutMs);
      return { status: result.status, message: result.message, nextMs: null };
    }
    const slot = this.loaders.get(runner.loader);
    const connection = slot?.current;
    if (!connection?.alive) return null;
    return connection.check(runner.name, pid, instance, timeoutMs);
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
    return { jobs: runners.map((r) => r.toJson()).sort((a, b) => a.name.localeCompare(b.name)) };
  }

  /** start, stop, restart, reload: act, and with `wait` answer once the outcome is known. */
  async act(action: string, name: string, wait: boolean): Promise<JobJson> {
    const runner = this.runner(name);
    if (this.shuttingDown && action !== "stop") {
      throw new GodError(ErrorCode.InvalidState, `god is shutting down; job "${name}" cannot ${action} now`);
    }
    const before = runner.model.instance;
    switch (action) {
      case "start":
        this.startJob(runner);
        break;
      case "stop":
        runner.dispatch({ type: "stop" });
        break;
      case "restart":
        runner.dispatch({ type: "restart", ...this.deps(runner) });
        break;
      case "reload": {
        if (runner.config.reload === "restart") {
          runner.dispatch({ type: "restart", ...this.deps(runner) });
          break;
        }
        const done = runner.reloadReplace();
        if (!wait) return runner.toJson();
        const reason = await done;
        if (reason !== null) {
          throw new GodError(
            ErrorCode.ActionFailed,
            `job "${name}" was not reloaded: ${reason}; the old instance keeps serving`,
          );
        }
        return runner.toJson();
      }
      default:
        throw new GodError(ErrorCode.MethodNotFound, `unknown action "${action}"`);
    }
    if (!wait) return runner.toJson();
    const capMs = WAIT_CAP_MS + (runner.config.check?.graceMs ?? 0) + runner.config.stop.timeoutMs;
    const outcome = await runner.waitFor((r) => outcomeOf(action, r, before), capMs);
    if (outcome === null) {
      const json = runner.toJson();
      throw new GodError(
        ErrorCode.ActionFailed,
        `job "${name}" is still ${json.state}${json.reason ? ` (${json.reason})` : ""} after ${Math.round(capMs / 1000)} s; see \`god status ${name}\``,
      );
    }
    if (outcome !== "ok") throw new GodError(ErrorCode.ActionFailed, outcome);
    return runner.toJson();
  }

  async check(name: string): Promise<CheckJson> {
    const result = await this.runner(name).checkNow();
    return { status: result.status, message: result.message, at: new Date().toISOString() };
  }

  /** Stops every job, dependants before what they depend on, then every loader. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    const graph = new Map([...this.jobs.values()].map((r) => [r.name, r.config.after]));
    for (const group of stopOrder(graph)) {
      const runners = group.map((n) => this.jobs.get(n)).filter((r): r is JobRunner => r !== undefined);
      for (const r of runners) r.dispatch({ type: "stop" });
      // Not only the instances alive now: a start being prepared (a legacy loader is asked first) spawns later.
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

  /** Second signal or fatal error: SIGKILL every group now. */
  killAll(): void {
    this.shuttingDown = true;
    for (const r of this.jobs.values()) r.killNow();
    for (const s of this.loaders.values()) {
      // god exits right after this, so a loader that ignores SIGTERM and EOF would outlive it: kill it too.
      const pid = s.current?.pid;
      if (pid) signalGroup(pid, "SIGKILL");
      void s.remove();
    }
  }
}

/**
 * At shutdown, after a stop: every state ends in `stopped` once the stop is applied, which waits while a spawn
 * is being prepared (the job shows `waiting` or `backoff` then); and no instance (a reload's candidate) lives.
 */
function settled(r: JobRunner): true | null {
  return r.state === "stopped" && r.instances().length === 0 ? true : null;
}

/** null while undecided; "ok"; or the sentence saying why the action failed. */
function outcomeOf(action: string, r: JobRunner, instanceBefore: number): string | null {
  const json = () => r.toJson();
  const s = r.model.state;
  const why = () => {
    const j = json();
    return `job "${r.name}" is ${j.state}${j.reason ? `: ${j.reason}` : ""}; see \`god logs ${r.name}\``;
  };
  if (action === "stop") {
    if (s.type === "stopped" || s.type === "exited" || s.type === "failed") return "ok";
    if (s.type === "waiting" && r.model.want === "down") return "ok";
    return null;
  }
  const fresh = action === "start" || r.model.instance > instanceBefore;
  switch (s.type) {
    case "running":
    case "degraded":
      return fresh ? "ok" : null;
    case "backoff":
    case "failed":
      return r.model.instance > instanceBefore ? why() : s.type === "failed" ? why() : null;
    case "exited":
      return r.model.instance > instanceBefore ? (s.code === 0 ? "ok" : why()) : null;
    case "stopped":
      return r.model.want === "down" ? `job "${r.name}" was stopped before it became ready` : null;
    case "waiting":
    case "starting":
    case "stopping":
      return null;
  }
}
