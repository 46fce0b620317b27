// `god run`: the composition root. Takes the home's lock, stops what a crashed predecessor left behind, opens
// the control socket, starts the loaders, watches their directories, and turns signals into actions.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ConfigKind } from "../config/config-job.js";
import { configFileKind, configLoaderKind } from "../config/config-kind.js";
import { configLoaderCommand } from "../config/loader-command.js";
import { GodLog } from "../logs/god-log.js";
import { LogsService } from "../logs/logs-service.js";
import { ExitWatch } from "../process/exit-watch.js";
import { selfUsage } from "../process/group-usage.js";
import { readProcStat } from "../process/proc-stat.js";
import { settleEnvironment } from "../process/spawn-instance.js";
import type { UpgradeJson } from "../protocol/control.js";
import { ErrorCode, GodError, UPGRADE_EXIT_CODE } from "../protocol/errors.js";
import type { JobConfig } from "../protocol/jobspec.js";
import { Adoption } from "./adoption.js";
import { controlHandlers } from "./control-handlers.js";
import { listenControl, socketAnswers } from "./control-server.js";
import { ensureHome, homePaths, releaseLock, takeLock } from "./home.js";
import { loaderIdentity, scanDir, watchDir } from "./loader-dir.js";
import { noteOutput, onOptimizerEnabled, optimizerDeferred } from "./optimizer.js";
import { PipePool } from "./pipe-pool.js";
import { type Rules, startRules } from "./rules.js";
import { installSignals } from "./signals.js";
import { type InstanceRecord, readState, type Survivor, stopSurvivors, survivors } from "./state-file.js";
import { StateRecorder } from "./state-recorder.js";
import { Supervisor } from "./supervisor.js";
import { DEFAULT_WARM_STARTS, WarmStarts } from "./warm-start.js";

export interface RunOptions {
  /** Loader directories besides GOD_HOME/jobs, which god always watches. */
  dirs: string[];
  loaders: string[];
  /** PM2's `--env NAME`: every configuration file's loader picks env_NAME (GOD_ENV_NAME). */
  envName: string | null;
  home: string;
  http: string | null;
  httpToken: string | null;
  /** Called once the control socket (and HTTP) answer, before any loader starts (`god run -d` waits for it). */
  ready?: () => void;
  /** Adopt what a previous god left running (SPEC 13); false: stop it before starting anything. */
  adopt?: boolean;
  /** How many warm starts god keeps at most (warm-start.ts); 0: none. */
  warmStarts?: number;
}

/** Set by the unit `god startup` writes: god runs under systemd, which starts it again after an upgrade. */
export const UNIT_VARIABLE = "GOD_UNIT";

export async function runDaemon(options: RunOptions): Promise<number> {
  const paths = homePaths(resolve(options.home));
  // Read once and removed: jobs do not inherit it.
  const underSystemd = (process.env[UNIT_VARIABLE] ?? "") !== "";
  delete process.env[UNIT_VARIABLE];
  // Loaded only with --http, so a god without it pays nothing; a refused address stops god before it binds.
  const http = options.http === null ? null : await import("../http/server.js");
  const httpProblem = options.http === null ? null : http?.httpStartProblem(options.http, options.httpToken);
  if (httpProblem) {
    process.stderr.write(`god: ${httpProblem}\n`);
    return 2;
  }
  for (const dir of options.dirs) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      process.stderr.write(`god: --dir ${dir} is not a directory; create it or fix the path.\n`);
      return 1;
    }
  }
  ensureHome(paths);
  let lockNote: string | null;
  try {
    lockNote = takeLock(paths);
  } catch (error) {
    process.stderr.write(`god: ${(error as Error).message}\n`);
    return 1;
  }
  const log = new GodLog({ file: `${paths.logs}/god.log`, fd: 1 });
  if (lockNote) log.warn(lockNote, {});
  if (existsSync(paths.socket)) {
    if (await socketAnswers(paths.socket)) {
      releaseLock(paths);
      process.stderr.write(
        `god: something already answers on ${paths.socket} without holding the lock; stop it before starting god here.\n`,
      );
      return 1;
    }
    log.warn(`removed the stale socket ${paths.socket} left by a god that is gone`, {});
  }

  const state = readState(paths.state);
  if (!Array.isArray(state)) {
    releaseLock(paths);
    process.stderr.write(`god: ${state.error}.\n`);
    return 1;
  }
  const found = survivors(state);
  const adopting = options.adopt !== false;
  const adoption = adopting ? new Adoption(found, leaderAlive) : null;
  const stopNow = adoption ? adoption.rest : found;
  if (adoption && adoption.size > 0) {
    log.info(
      `found ${adoption.size} process(es) left running by the previous god; adopting them as their loaders declare them`,
      {
        survivors: found.map((s) => ({ job: s.record.job, pid: s.record.pid })),
      },
    );
  }
  if (stopNow.length > 0) {
    const why = adopting
      ? "they cannot be adopted (no adoption record, or their leader is gone)"
      : "--no-adopt";
    log.warn(
      `found ${stopNow.length} instance(s) left by a god that crashed; stopping them before starting anything`,
      {
        survivors: stopNow.map((s) => ({ job: s.record.job, pid: s.record.pid, processes: s.processes })),
        reason: why,
      },
    );
    await stopAndLog(stopNow, log);
  }
  const logs = new LogsService({
    dir: paths.logs,
    onError: (job, error) =>
      log.error(`the log of job ${job} could not be written: ${error.message}`, { job }),
    // A full disk (SPEC 7, docs/reliability.md): at most once a minute per job, with the count.
    onDropped: (job, lines) =>
      log.error(
        `${lines} line(s) of job ${job} were dropped: its log file could not be written (is the disk full?); they are counted in /metrics as god_log_lines_dropped_total, and writing resumes by itself`,
        { job, dropped: lines },
      ),
    onResumed: (job, lines) =>
      log.info(
        `the log of job ${job} is written again${lines > 0 ? ` (${lines} more line(s) were dropped)` : ""}`,
        {
          job,
          dropped: lines,
        },
      ),
    // TurboFan waits for load (optimizer.ts): the jobs' output is one of what repeats.
    ...(optimizerDeferred() ? { onRead: noteOutput } : {}),
  });
  onOptimizerEnabled((why) => log.info(why, {}));
  // Output FIFOs live in GOD_HOME/pipes while their instance runs, so the next god can read on (SPEC 13); the
  // ones no survivor uses (their god died and so did their instance) are removed.
  const pipesDir = join(paths.home, "pipes");
  mkdirSync(pipesDir, { recursive: true, mode: 0o700 });
  removeUnusedPipes(pipesDir, adoption?.pending() ?? []);
  const pipePool = new PipePool(undefined, pipesDir, true);
  // What runs, and what waits to be adopted: a god that dies before adopting must leave it recorded.
  const records = (): InstanceRecord[] => [
    ...[...supervisor.jobs.values()].flatMap((runner) => runner.records()),
    ...(adoption?.pending() ?? []),
  ];
  const recorder = new StateRecorder(paths.state, records, (message) => log.error(message, {}));
  const supervisor: Supervisor = new Supervisor({
    log,
    pipes: pipePool,
    warmStarts: new WarmStarts(options.warmStarts ?? DEFAULT_WARM_STARTS),
    recorder,
    jobLog: (job: string, config: JobConfig) => logs.jobLog(job, config.logs),
    dropJobLog: (job) => {
      void logs.remove(job);
    },
    reloadLoaders: () => void reloadAll(),
    usage: (pgid) => rules.usageOf(pgid),
    notifyDir: join(paths.home, "notify"),
    exitWatch: new ExitWatch(),
    adoption,
    stopUnwanted: (records, why) => {
      log.info(`stopping ${records.length} process(es) of the previous god: ${why}`, {
        pids: records.map((r) => r.pid),
      });
      void stopAndLog(survivors(records), log);
    },
  });

  // ---- the rules of SPEC 15: usage sampler, maxMemory, cron, watch (src/daemon/rules.ts) -----------------
  const rules: Rules = startRules({ supervisor, log, home: paths.home });
  // ---- end of the rules ----------------------------------------------------------------------------------

  const saveState = () => {
    const problem = recorder.saveNow();
    if (problem !== null) log.error(problem, {});
  };
  // The survivors waiting to be adopted stay recorded (and the stopped ones leave the file).
  saveState();

  let exitCode: number | null = null;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((done) => {
    finish = done;
  });
  const closers: Array<() => void> = [];
  let stopping: Promise<void> | null = null;
  const shutdown = (why: string): Promise<void> => {
    if (stopping) return stopping;
    log.info(`shutting down (${why}): stopping every job`, {});
    stopping = supervisor.shutdown().then(() => {
      log.info("every job is stopped; god exits", {});
      exit(0);
    });
    return stopping;
  };
  /** god goes, its jobs stay (an upgrade, SPEC 13): loaders stopped, state recorded, the next god adopts. */
  const leave = (why: string, code = 0): Promise<void> => {
    if (stopping) return stopping;
    log.info(`exiting (${why}): every job keeps running for the next god to adopt`, {});
    stopping = supervisor.leave().then(() => {
      log.info("god exits; its jobs keep running", {});
      exit(code);
    });
    return stopping;
  };
  // `god upgrade`: how this god was started (the new one is started the same way), then leave. Under systemd
  // the unit starts the new god when this one exits with UPGRADE_EXIT_CODE (RestartForceExitStatus).
  const upgrade = async (): Promise<UpgradeJson> => {
    if (!adopting) {
      throw new GodError(
        ErrorCode.InvalidState,
        "this god runs with --no-adopt, so the next one would stop every job; use `god shutdown`, then `god run` again",
      );
    }
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
    const answer: UpgradeJson = {
      pid: process.pid,
      version: godVersion(),
      argv: process.argv.slice(2),
      cwd: process.cwd(),
      env,
      service: underSystemd,
      instances: records().length,
    };
    await leave("god upgrade", underSystemd ? UPGRADE_EXIT_CODE : 0);
    return answer;
  };
  const exit = (code: number) => {
    if (exitCode !== null) return;
    exitCode = code;
    for (const close of closers) close();
    saveState();
    releaseLock(paths);
    log.close();
    finish(code);
  };

  // A bug in god is not an outage (SPEC 9): its stack is logged and god exits non-zero, leaving every job
  // running and recorded for the next god to adopt (a supervisor such as systemd starts it again).
  const fatal = (kind: string, error: unknown) => {
    const err = error instanceof Error ? error : new Error(String(error));
    log.fatal(`god's own ${kind}: ${err.message}; god exits and leaves every job running for the next god`, {
      err: { message: err.message, stack: err.stack },
    });
    // Loaders hold nothing of value and the next god starts its own: they go (one that ignores the end of its
    // stdin would linger).
    try {
      supervisor.killLoaders();
    } catch (killError) {
      log.fatal(`could not stop the loaders: ${(killError as Error).message}`, {});
    }
    exit(70);
  };
  process.on("uncaughtException", (error) => fatal("uncaught exception", error));
  process.on("unhandledRejection", (error) => fatal("unhandled rejection", error));
  // Test-only (docs/processes.md): with GOD_TEST_FAULT=uncaught or =rejection, SIGUSR2 raises an error of
  // god's own, so the path above is tested on a real god. Read once and removed: jobs do not inherit it.
  const fault = process.env["GOD_TEST_FAULT"];
  delete process.env["GOD_TEST_FAULT"];
  // god's own variables are gone: what is left is every job's environment, copied once.
  settleEnvironment();
  if (fault === "uncaught" || fault === "rejection") {
    process.on("SIGUSR2", () => {
      const error = new Error(`GOD_TEST_FAULT=${fault}: a deliberate fault for tests`);
      if (fault === "uncaught") throw error;
      void Promise.reject(error);
    });
  }

  let server: Awaited<ReturnType<typeof listenControl>>;
  let handlers: ReturnType<typeof controlHandlers>;
  try {
    handlers = controlHandlers({
      supervisor,
      logs,
      shutdown: (leaveJobs) => (leaveJobs ? leave("god shutdown --leave-jobs") : shutdown("god shutdown")),
      upgrade,
      wantUsage: () => rules.demand(),
      reloadLoaders: () => reloadAll(),
    });
    server = await listenControl(paths.socket, handlers, { warn: (message) => log.warn(message, {}) });
  } catch (error) {
    const message = error instanceof GodError ? error.message : (error as Error).message;
    process.stderr.write(`god: could not listen on ${paths.socket}: ${message}\n`);
    releaseLock(paths);
    return 1;
  }
  closers.push(() => rules.close());
  closers.push(() => server.close());
  closers.push(() => pipePool.close());
  if (http && options.http !== null) {
    try {
      const web = await http.startHttpServer({
        address: options.http,
        token: options.httpToken,
        handlers,
        supervisor,
        usage: { groups: (pgids) => rules.read(pgids), self: selfUsage },
        history: (jobs, sinceMs) => rules.history(jobs, sinceMs),
        // No LogsService is made in this daemon yet: /api/logs and the dashboard's tail answer 503 until it is.
        logs,
        log,
      });
      closers.push(() => void web.close());
    } catch (error) {
      process.stderr.write(`god: ${(error as Error).message}\n`);
      server.close();
      releaseLock(paths);
      return 1;
    }
  }

  options.ready?.();

  let stopSignals = 0;
  installSignals({
    stop: (signal) => {
      stopSignals++;
      if (stopSignals === 1) {
        void shutdown(signal);
        return;
      }
      log.warn(`second ${signal}: killing every process group now`, {});
      supervisor.killAll();
      exit(1);
    },
    leave: (signal) => void leave(signal),
    reloadLoaders: () => void reloadAll(),
    reopenLogs: () => {
      log.reopen();
      logs.reopenAll();
    },
    log: {
      info: (message, fields) => log.info(message, fields),
      warn: (message, fields) => log.warn(message, fields),
    },
    taken: new Set(fault === "uncaught" || fault === "rejection" ? ["SIGUSR2"] : []),
  });

  // GOD_HOME/jobs first (`god add`), then the --dir directories.
  const dirs = [paths.jobs, ...options.dirs.filter((dir) => resolve(dir) !== paths.jobs)];
  const identities = new Map<string, string>();
  /** A loader file added, replaced or removed; `kindOf` names its converter when it is a configuration file. */
  const consider = (
    path: string,
    fromWatch: boolean,
    kindOf: (path: string) => ConfigKind | null = configLoaderKind,
  ) => {
    const result = loaderIdentity(path, kindOf);
    const known = supervisor.loaders.has(path);
    if ("skip" in result) {
      if (known) {
        identities.delete(path);
        log.info(`loader ${path} is gone (${result.skip}); stopping its jobs`, { loader: path });
        void supervisor.removeLoader(path);
      } else if (!fromWatch || existsSync(path)) {
        log.info(`skipping ${path}: ${result.skip}`, { path });
      }
      return;
    }
    if (identities.get(path) === result.identity && known) return;
    identities.set(path, result.identity);
    if (known) log.info(`loader ${path} changed; reloading it`, { loader: path });
    void addLoader(path, result.config).load();
  };
  /** A configuration file runs god's built-in file loader; any other loader runs as `PATH godv1`. */
  const addLoader = (path: string, config: ConfigKind | null) => {
    if (config === null) return supervisor.addLoader(path);
    const { command, args, env } = configLoaderCommand(path, options.envName);
    return supervisor.addLoader(path, [command, ...args], env);
  };
  const reloadAll = async () => {
    for (const dir of dirs) for (const entry of scanDir(dir)) consider(entry.path, false);
    for (const path of options.loaders)
      if (!supervisor.loaders.has(resolve(path))) consider(resolve(path), false, configFileKind);
    const paths = [...supervisor.loaders.keys()].filter((p) => existsSync(p));
    await Promise.all(paths.map((p) => supervisor.loaders.get(p)?.load()));
    return supervisor.loadersJson();
  };

  log.info(`god ${process.pid} started`, { home: paths.home, dirs, loaders: options.loaders });
  for (const dir of dirs) {
    for (const entry of scanDir(dir)) consider(entry.path, false);
    closers.push(
      watchDir(
        dir,
        (path) => consider(path, true),
        (error) =>
          log.error(`cannot watch ${dir}: ${error.message}; use \`god reload-loaders\` after changes`, {}),
      ),
    );
  }
  for (const path of options.loaders) {
    const full = resolve(path);
    const result = loaderIdentity(full, configFileKind);
    if ("skip" in result) log.error(`--loader ${path} cannot be used: ${result.skip}`, { path: full });
    else {
      identities.set(full, result.identity);
      void addLoader(full, result.config).load();
    }
  }

  // The previous god's processes whose loader file is no longer here have nobody to declare them.
  const orphans = adoption?.withoutLoader(new Set(supervisor.loaders.keys())) ?? [];
  if (orphans.length > 0) {
    log.info(`stopping ${orphans.length} process(es) of the previous god: their loader is gone`, {
      pids: orphans.map((r) => r.pid),
    });
    void stopAndLog(survivors(orphans), log);
  }

  const code = await finished;
  // Control connections (a `god logs -f`, say) and child pipes would keep the loop alive: god is done.
  setImmediate(() => process.exit(code));
  return code;
}

/** This package's version, for `god upgrade`'s report. dist/src/daemon/run.js -> the package root. */
function godVersion(): string {
  try {
    const json = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
      version?: unknown;
    };
    return typeof json.version === "string" ? json.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** The recorded leader of a survivor is alive, and is the process recorded (same start time, not a zombie). */
function leaderAlive(s: Survivor): boolean {
  const stat = readProcStat(s.record.pid);
  return stat !== null && stat.startTime === s.record.startTime && stat.state !== "Z";
}

/** Stops survivors as god stops its own jobs, and says how it went. */
async function stopAndLog(found: Survivor[], log: GodLog): Promise<void> {
  if (found.length === 0) return;
  const outcomes = await stopSurvivors(found);
  const left = outcomes.filter((o) => o.outcome === "left");
  if (left.length === 0) log.info("the survivors are stopped", { survivors: outcomes });
  else
    log.error(
      `could not stop ${left.map((o) => `${o.job} (pid ${o.pid})`).join(", ")}; stop them by hand`,
      {},
    );
}

/** FIFOs of GOD_HOME/pipes that no waiting survivor writes to: left by a god that died, and by their instances. */
function removeUnusedPipes(dir: string, waiting: InstanceRecord[]): void {
  const used = new Set(
    waiting.flatMap((r) => [...(r.adopt?.pipes ?? []), ...(r.adopt?.readyPipe ? [r.adopt.readyPipe] : [])]),
  );
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (!used.has(path)) rmSync(path, { force: true });
  }
}
