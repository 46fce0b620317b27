// god: a daemon per measure (`god run` in a temp home), its jobs declared by one plain-script loader that prints
// its hello and waits for stdin to close. Measured as god's own process plus every loader process still alive.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { onCleanup, Pids } from "../lib/cleanup.mjs";
import { sleep, until } from "../lib/clock.mjs";
import { writeHelloLoader } from "../lib/hello-loader.mjs";
import { run, runOk, signalGroup, spawnGroup, waitExit } from "../lib/proc.mjs";

export const settings = {
  restart: "backoff {initialMs: 0, maxMs: 0, factor: 1} (no wait before any restart)",
  logs: "logs {timestamps: true, merge: true}: one pipe for stdout and stderr, one file",
  requests:
    'listen {http: "tcp://127.0.0.1:PORT"}, reload "replace"; ready by an HTTP probe every 200 ms, or (the "ready" rows) ready {fd: 4} written by the server once it accepts',
  survive:
    "`kill -9` of god's own pid, then `god run` again with the same home and loader directory (adoption is on by default); the server with listen and ready {fd: 4}",
};

/** god's adapter; cli is the compiled `god` bin (dist/src/cli/bundle/god.cjs). */
export function godAdapter(cli) {
  const god = (args, options) => [
    process.execPath,
    cli,
    ...args,
    ...(options?.home ? ["--home", options.home] : []),
  ];
  return {
    id: "god",
    label: "god",
    async probe() {
      if (!existsSync(cli))
        return { ok: false, reason: `${cli} does not exist; build god or pass --god-cli` };
      const version = await run(god(["--version"]), { timeoutMs: 10_000 });
      if (version.code !== 0) return { ok: false, reason: `god --version failed: ${version.stderr.trim()}` };
      return { ok: true, version: version.stdout.trim() };
    },
    /** Where the job's log lands: HOME/logs/JOB.log (rotated to JOB.log.1 and on). */
    logFile: (dir, name) => join(dir, "home", "logs", `${name}.log`),
    /** A log line: "TIME JOB[PID] out| text". */
    logPattern: /^\S+ [A-Za-z0-9_.-]+\[\d+\] (?:out|err)\| (?<msg>.*)$/,
    /**
     * Starts `god run` with the jobs (and `runArgs`, flags of `god run` a variant adds); resolves once each is
     * running (or has exited, for one-shot jobs).
     */
    async start(jobs, dir, runArgs = []) {
      const home = join(dir, "home");
      const loaders = join(dir, "loaders");
      mkdirSync(loaders, { recursive: true });
      writeHelloLoader(dir, join(loaders, "bench"), jobs.map(toSpec));
      const runArgv = god(["run", "--dir", loaders, ...runArgs], { home });
      const system = new GodSystem(god, home, spawnDaemon(runArgv, dir), dir);
      system.runArgv = runArgv;
      system.undo = onCleanup(() => system.stop());
      try {
        await system.ready(jobs);
      } catch (error) {
        await system.stop();
        throw error;
      }
      return system;
    },
  };
}

/** `god run` in a process group of its own, its stdout and stderr appended to DIR/god.out. */
function spawnDaemon(argv, dir) {
  const logFd = openSync(join(dir, "god.out"), "a");
  const daemon = spawnGroup(argv, { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  return daemon;
}

/**
 * One request on god's control socket (HOME/god.sock, NDJSON JSON-RPC): the request `god status --json` makes,
 * without the cost of starting the CLI. Resolves the result; rejects on an error, no socket or no answer in time.
 */
function ask(home, method, params, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const socket = createConnection(join(home, "god.sock"));
    let text = "";
    const done = (error, value) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => done(new Error(`no answer to ${method} in ${timeoutMs} ms`)), timeoutMs);
    socket.setEncoding("utf8");
    socket.once("error", (error) => done(error));
    socket.once("connect", () =>
      socket.write(`${JSON.stringify({ jsonrpc: "2.0", id: 1, method, params })}\n`),
    );
    socket.on("data", (chunk) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end === -1) return;
      try {
        const answer = JSON.parse(text.slice(0, end));
        if (answer.error) done(new Error(answer.error.message));
        else done(null, answer.result);
      } catch (error) {
        done(error);
      }
    });
  });
}

function toSpec(job) {
  const spec = { name: job.name, exec: job.argv, auto: true, restart: job.restart ? "always" : "never" };
  if (job.env) spec.env = job.env;
  if (job.fastRestart) spec.backoff = { initialMs: 0, maxMs: 0, factor: 1 };
  if (job.log) spec.logs = { timestamps: true, merge: job.log.merge };
  if (job.check)
    spec.check = {
      intervalMs: job.check.intervalMs,
      probe: { tcp: { host: "127.0.0.1", port: job.check.tcpPort } },
    };
  if (job.instances) spec.instances = job.instances;
  if (job.server) {
    spec.listen = { http: `tcp://127.0.0.1:${job.server.port}` };
    spec.reload = "replace";
    spec.stop = { signal: "SIGTERM", timeoutMs: 5000 };
    if (job.server.ready) {
      // Readiness from the server itself (SPEC 11): it writes a line on fd 4 once it accepts.
      spec.ready = { fd: 4 };
      spec.readyTimeoutMs = 10_000;
    } else {
      spec.check = {
        intervalMs: 200,
        timeoutMs: 1000,
        graceMs: 10_000,
        probe: { http: { url: `http://127.0.0.1:${job.server.port}/` } },
      };
    }
  }
  return spec;
}

class GodSystem {
  constructor(god, home, daemon, dir) {
    this.god = god;
    this.home = home;
    this.daemon = daemon;
    this.dir = dir;
    this.undo = () => {};
    this.pids = new Pids();
    this.pids.track(daemon.pid);
    this.runArgv = null;
    this.spawnedAt = performance.now();
    this.spawnedEpochMs = Date.now();
  }

  ctl(args, timeoutMs = 30_000) {
    return runOk(this.god(args, { home: this.home }), { timeoutMs });
  }

  async status() {
    return JSON.parse((await this.ctl(["status", "--json"])).stdout).jobs;
  }

  async ready(jobs) {
    const want = new Map(jobs.map((j) => [j.name, j.restart]));
    await until(
      `god's ${jobs.length} job(s) to run (${this.dir}/god.out)`,
      async () => {
        if (this.daemon.exitCode !== null) throw new Error(`god exited with ${this.daemon.exitCode}`);
        const list = await this.status();
        for (const j of list) if (j.pid) this.pids.track(j.pid);
        const done = list.filter((j) => j.state === "running" || (!want.get(j.name) && j.state === "exited"));
        return done.length === want.size;
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
  }

  /** god's pid and the pids of the loaders still running. */
  async daemonPids() {
    const loaders = JSON.parse((await this.ctl(["loaders", "--json"])).stdout).loaders;
    return [this.daemon.pid, ...loaders.map((l) => l.pid).filter((pid) => pid !== null)];
  }

  statusCommand() {
    return { argv: this.god(["status"], { home: this.home }), env: process.env };
  }

  /** name -> pids of the job's running instances, from god's status. */
  async jobPids() {
    const jobs = (await ask(this.home, "status", { jobs: [] }, 10_000)).jobs;
    const pids = new Map();
    for (const j of jobs) {
      pids.set(
        j.name,
        j.instances.map((i) => i.pid).filter((pid) => Number.isInteger(pid)),
      );
    }
    for (const list of pids.values()) for (const pid of list) this.pids.track(pid);
    return pids;
  }

  /** SIGKILLs god's own process, nothing else (its loader ends by itself when its stdin closes). */
  async killDaemon() {
    const pid = this.daemon.pid;
    process.kill(pid, "SIGKILL");
    if (!(await waitExit(this.daemon, 5000)))
      throw new Error(`god (pid ${pid}) still runs 5 s after SIGKILL`);
    return pid;
  }

  /** A new god on the same home and loader directory, started as the first one was. */
  async revive() {
    this.spawnedAt = performance.now();
    this.spawnedEpochMs = Date.now();
    this.daemon = spawnDaemon(this.runArgv, this.dir);
    this.pids.track(this.daemon.pid);
  }

  /**
   * Polls god's status every everyMs from the new god's start until every instance of the jobs `names` is
   * running and says adopted: true; resolves the ms from the start to that answer (and the last status).
   */
  async adopted(names, { everyMs = 20, timeoutMs = 15_000 } = {}) {
    let last = "no answer yet";
    let firstAnswerMs = null;
    while (performance.now() - this.spawnedAt < timeoutMs) {
      if (this.daemon.exitCode !== null) throw new Error(`the new god exited with ${this.daemon.exitCode}`);
      const asked = performance.now();
      try {
        const jobs = (await ask(this.home, "status", { jobs: [] })).jobs;
        const answered = performance.now();
        firstAnswerMs ??= answered - this.spawnedAt;
        const wanted = names.map((n) => jobs.find((j) => j.name === n));
        const instances = wanted.flatMap((j) => j?.instances ?? []);
        last = JSON.stringify(
          wanted.map(
            (j) => j && { name: j.name, instances: j.instances.map((i) => [i.pid, i.state, i.adopted]) },
          ),
        );
        if (
          wanted.every((j) => j && j.instances.length > 0) &&
          instances.every((i) => i.adopted === true && i.state === "running")
        )
          return { ms: answered - this.spawnedAt, firstAnswerMs, jobs };
      } catch (error) {
        last = error.message;
      }
      await sleep(Math.max(0, everyMs - (performance.now() - asked)));
    }
    throw new Error(`not every instance adopted ${timeoutMs} ms after the new god's start: ${last}`);
  }

  /** The times (epoch ms) of god's log lines saying it holds a job's listening sockets again (after adoption). */
  socketTimes() {
    let text = "";
    try {
      text = readFileSync(join(this.dir, "god.out"), "utf8");
    } catch {
      return [];
    }
    const times = [];
    for (const line of text.split("\n")) {
      if (!line.includes("holds its sockets again")) continue;
      try {
        times.push(JSON.parse(line).time);
      } catch {
        // not one of god's JSON lines
      }
    }
    return times;
  }

  async restart(name) {
    await this.ctl(["restart", name]);
  }

  async reload(name) {
    await this.ctl(["reload", name]);
  }

  /** The reload `god reload` asks for, sent on the control socket: without the CLI process's own start. */
  async reloadBySocket(name) {
    await ask(this.home, "reload", { job: name, wait: true }, 30_000);
  }

  async stop() {
    this.undo();
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      try {
        for (const j of await this.status()) if (j.pid) this.pids.track(j.pid);
      } catch {
        // the daemon may not answer; its group is killed below
      }
      await run(this.god(["shutdown"], { home: this.home }), { timeoutMs: 20_000 });
      if (!(await waitExit(this.daemon, 10_000))) signalGroup(this.daemon.pid, "SIGKILL");
    }
    this.pids.kill();
  }
}
