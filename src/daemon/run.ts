// `god run`: the composition root. Takes the home's lock, stops what a crashed predecessor left behind, opens
// the control socket, starts the loaders, watches their directories, and turns signals into actions.

import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { GodLog } from "../logs/god-log.js";
import { LogsService } from "../logs/logs-service.js";
import { groupUsage, selfUsage } from "../process/group-usage.js";
import { processStartTime } from "../process/proc-stat.js";
import { GodError } from "../protocol/errors.js";
import type { JobConfig } from "../protocol/jobspec.js";
import { controlHandlers } from "./control-handlers.js";
import { listenControl, socketAnswers } from "./control-server.js";
import { ensureHome, homePaths, releaseLock, takeLock } from "./home.js";
import { loaderIdentity, scanDir, watchDir } from "./loader-dir.js";
import { PipePool } from "./pipe-pool.js";
import { type InstanceRecord, readState, stopSurvivors, survivors, writeState } from "./state-file.js";
import { StateRecorder } from "./state-recorder.js";
import { Supervisor } from "./supervisor.js";

export interface RunOptions {
  dirs: string[];
  loaders: string[];
  home: string;
  http: string | null;
  httpToken: string | null;
}

export async function runDaemon(options: RunOptions): Promise<number> {
  const paths = homePaths(resolve(options.home));
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

  const found = survivors(readState(paths.state));
  if (found.length > 0) {
    log.warn(
      `found ${found.length} instance(s) left by a god that crashed; stopping them before starting anything`,
      {
        survivors: found.map((s) => ({ job: s.record.job, pid: s.record.pid, processes: s.processes })),
      },
    );
    const outcomes = await stopSurvivors(found);
    const left = outcomes.filter((o) => o.outcome === "left");
    if (left.length === 0) log.info("the survivors are stopped", { survivors: outcomes });
    else
      log.error(
        `could not stop ${left.map((o) => `${o.job} (pid ${o.pid})`).join(", ")}; stop them by hand`,
        {},
      );
  }
  writeState(paths.state, []);

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
  });
  const pipePool = new PipePool();
  const records = (): InstanceRecord[] => {
    const out: InstanceRecord[] = [];
    for (const runner of supervisor.jobs.values()) {
      for (const live of runner.instances()) {
        out.push({
          job: runner.name,
          pid: live.pid,
          pgid: live.pgid,
          startTime: live.startTime ?? processStartTime(live.pid) ?? 0,
          stopSignal: runner.config.stop.signal,
          stopTimeoutMs: runner.config.stop.timeoutMs,
        });
      }
    }
    return out;
  };
  const recorder = new StateRecorder(paths.state, records, (message) => log.error(message, {}));
  const supervisor: Supervisor = new Supervisor({
    log,
    pipes: pipePool,
    recorder,
    jobLog: (job: string, config: JobConfig) => logs.jobLog(job, config.logs),
    dropJobLog: (job) => {
      void logs.remove(job);
    },
    reloadLoaders: () => void reloadAll(),
    usage: () => null,
  });
  const saveState = () => {
    const problem = recorder.saveNow();
    if (problem !== null) log.error(problem, {});
  };

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
  const exit = (code: number) => {
    if (exitCode !== null) return;
    exitCode = code;
    for (const close of closers) close();
    saveState();
    releaseLock(paths);
    log.close();
    finish(code);
  };

  const fatal = (kind: string, error: unknown) => {
    const err = error instanceof Error ? error : new Error(String(error));
    log.fatal(`god's own ${kind}: ${err.message}; stopping every job and exiting`, {
      err: { message: err.message, stack: err.stack },
    });
    try {
      supervisor.killAll();
    } catch (killError) {
      log.fatal(`could not kill every process group: ${(killError as Error).message}`, {});
    }
    exit(70);
  };
  process.on("uncaughtException", (error) => fatal("uncaught exception", error));
  process.on("unhandledRejection", (error) => fatal("unhandled rejection", error));
  // Test-only (docs/processes.md): with GOD_TEST_FAULT=uncaught or =rejection, SIGUSR2 raises an error of
  // god's own, so the path above is tested on a real god. Read once and removed: jobs do not inherit it.
  const fault = process.env["GOD_TEST_FAULT"];
  delete process.env["GOD_TEST_FAULT"];
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
      shutdown: () => shutdown("god shutdown"),
      reloadLoaders: () => reloadAll(),
    });
    server = await listenControl(paths.socket, handlers, { warn: (message) => log.warn(message, {}) });
  } catch (error) {
    const message = error instanceof GodError ? error.message : (error as Error).message;
    process.stderr.write(`god: could not listen on ${paths.socket}: ${message}\n`);
    releaseLock(paths);
    return 1;
  }
  closers.push(() => server.close());
  closers.push(() => pipePool.close());
  if (http && options.http !== null) {
    try {
      const web = await http.startHttpServer({
        address: options.http,
        token: options.httpToken,
        handlers,
        supervisor,
        usage: { groups: groupUsage, self: selfUsage },
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

  let signals = 0;
  const onStopSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      void shutdown(signal);
      return;
    }
    log.warn(`second ${signal}: killing every process group now`, {});
    supervisor.killAll();
    exit(1);
  };
  process.on("SIGTERM", onStopSignal);
  process.on("SIGINT", onStopSignal);
  process.on("SIGHUP", () => {
    log.info("SIGHUP: reloading every loader", {});
    void reloadAll();
  });
  process.on("SIGUSR1", () => {
    log.reopen();
    logs.reopenAll();
    log.info("SIGUSR1: log files reopened", {});
  });

  const identities = new Map<string, string>();
  const consider = (path: string, fromWatch: boolean) => {
    const result = loaderIdentity(path);
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
    void supervisor.addLoader(path).load();
  };
  const reloadAll = async () => {
    for (const dir of options.dirs) for (const entry of scanDir(dir)) consider(entry.path, false);
    for (const path of options.loaders)
      if (!supervisor.loaders.has(resolve(path))) consider(resolve(path), false);
    const paths = [...supervisor.loaders.keys()].filter((p) => existsSync(p));
    await Promise.all(paths.map((p) => supervisor.loaders.get(p)?.load()));
    return supervisor.loadersJson();
  };

  log.info(`god ${process.pid} started`, { home: paths.home, dirs: options.dirs, loaders: options.loaders });
  for (const dir of options.dirs) {
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
    const result = loaderIdentity(full);
    if ("skip" in result) log.error(`--loader ${path} cannot be used: ${result.skip}`, { path: full });
    else {
      identities.set(full, result.identity);
      void supervisor.addLoader(full).load();
    }
  }

  const code = await finished;
  // Control connections (a `god logs -f`, say) and child pipes would keep the loop alive: god is done.
  setImmediate(() => process.exit(code));
  return code;
}
