// PM2, installed for the bench only (bench/package.json), with a private PM2_HOME in the measure's temp dir so it
// never meets a PM2 of the user's. Measured as the PM2 daemon ("God") process alone; apps are started from an
// ecosystem file and the daemon is ended with `pm2 kill`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { onCleanup, Pids } from "../lib/cleanup.mjs";
import { until } from "../lib/clock.mjs";
import { alive, run, runOk, startTime } from "../lib/proc.mjs";
import { which } from "./which.mjs";

export const settings = {
  restart: "restart_delay 0, autorestart true, max_restarts 1000 (no exp_backoff_restart_delay)",
  logs: 'log_file (stdout and stderr in one file), out_file and error_file "/dev/null", log_date_format "YYYY-MM-DDTHH:mm:ss.SSSZ"',
  requests: "cluster mode (1 instance) for `pm2 reload`; fork mode for `pm2 restart`; kill_timeout 5000",
  survive:
    "`kill -9` of the PM2 daemon (the pid in PM2_HOME/pm2.pid), then `pm2 resurrect` (which starts a new daemon) from the `pm2 save` made once at the start; the server in cluster mode (1 instance)",
};

/** PM2's adapter; root is the bench directory holding node_modules/pm2. */
export function pm2Adapter(root) {
  const bin = join(root, "node_modules", "pm2", "bin", "pm2");
  return {
    id: "pm2",
    label: "PM2",
    async probe() {
      if (!existsSync(bin)) return { ok: false, reason: `PM2 is not installed in ${root}/node_modules` };
      const { version } = JSON.parse(readFileSync(join(root, "node_modules", "pm2", "package.json"), "utf8"));
      return { ok: true, version };
    },
    logFile: (dir, name) => join(dir, `${name}.log`),
    /** A line of log_file with log_date_format: "TIME: text" (PM2 prefixes each line of each chunk it reads). */
    logPattern: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d: (?<msg>.*)$/,
    async start(jobs, dir) {
      const env = { ...process.env, PM2_HOME: join(dir, "pm2") };
      const system = new Pm2System(bin, env, dir);
      system.undo = onCleanup(() => system.stop());
      const ecosystem = join(dir, "ecosystem.json");
      writeFileSync(ecosystem, JSON.stringify({ apps: jobs.map((j) => toApp(j, dir)) }, null, 2));
      try {
        await system.pm2(["start", ecosystem], 120_000);
        system.pids.track(system.daemonPid());
        await system.ready(jobs);
      } catch (error) {
        await system.stop();
        throw error;
      }
      return system;
    },
  };
}

function toApp(job, dir) {
  const app = { name: job.name, autorestart: job.restart, env: job.env ?? {} };
  if (job.server) {
    Object.assign(app, { script: job.server.script, exec_mode: job.server.mode, kill_timeout: 5000 });
    if (job.server.mode === "cluster") app.instances = job.instances ?? 1;
  } else {
    Object.assign(app, {
      script: which(job.argv[0]),
      args: job.argv.slice(1),
      interpreter: "none",
      exec_mode: "fork",
    });
  }
  if (job.fastRestart) Object.assign(app, { restart_delay: 0, max_restarts: 1000 });
  if (job.log) {
    Object.assign(app, {
      log_file: join(dir, `${job.name}.log`),
      out_file: "/dev/null",
      error_file: "/dev/null",
      log_date_format: "YYYY-MM-DDTHH:mm:ss.SSSZ",
    });
  }
  return app;
}

class Pm2System {
  constructor(bin, env, dir) {
    this.bin = bin;
    this.env = env;
    this.dir = dir;
    this.pids = new Pids();
    this.undo = () => {};
  }

  pm2(args, timeoutMs = 30_000) {
    return runOk([process.execPath, this.bin, ...args], { env: this.env, timeoutMs });
  }

  daemonPid() {
    return Number(readFileSync(join(this.env.PM2_HOME, "pm2.pid"), "utf8").trim());
  }

  async list() {
    const out = (await this.pm2(["jlist"])).stdout;
    return JSON.parse(out.slice(out.indexOf("[")));
  }

  async ready(jobs) {
    const want = new Map(jobs.map((j) => [j.name, j.restart]));
    await until(
      `PM2's ${jobs.length} app(s) to be online`,
      async () => {
        const list = await this.list();
        for (const app of list) if (app.pid) this.pids.track(app.pid);
        // Every process of an app (a cluster app has one per instance) online, or stopped for a one-shot app.
        const ok = (a) =>
          a.pm2_env.status === "online" || (!want.get(a.name) && a.pm2_env.status === "stopped");
        const names = new Set(list.map((a) => a.name));
        return (
          names.size === want.size && [...names].every((n) => list.filter((a) => a.name === n).every(ok))
        );
      },
      { timeoutMs: 120_000, everyMs: 500 },
    );
  }

  async daemonPids() {
    return [this.daemonPid()];
  }

  /** name -> pids of the app's processes that PM2 lists. */
  async jobPids() {
    const pids = new Map();
    for (const app of await this.list()) {
      const list = pids.get(app.name) ?? [];
      if (Number.isInteger(app.pid) && app.pid > 0) {
        list.push(app.pid);
        this.pids.track(app.pid);
      }
      pids.set(app.name, list);
    }
    return pids;
  }

  /** `pm2 save`: the process list that `pm2 resurrect` starts again. */
  async save() {
    await this.pm2(["save"]);
  }

  /** SIGKILLs the PM2 daemon ("God Daemon") alone. */
  async killDaemon() {
    const pid = this.daemonPid();
    const started = startTime(pid);
    process.kill(pid, "SIGKILL");
    await until(`PM2's daemon (pid ${pid}) to die`, () => !alive(pid, started), {
      timeoutMs: 5000,
      everyMs: 10,
    });
    return pid;
  }

  /** What a PM2 user does when PM2 is gone: `pm2 resurrect`, which spawns a daemon and starts the saved list. */
  async revive() {
    await this.pm2(["resurrect"], 60_000);
    this.pids.track(this.daemonPid());
  }

  /** The status command, with the environment it needs (PM2_HOME, or it would ask the user's PM2). */
  statusCommand() {
    return { argv: [process.execPath, this.bin, "jlist"], env: this.env };
  }

  async restart(name) {
    await this.pm2(["restart", name]);
  }

  async reload(name) {
    await this.pm2(["reload", name]);
  }

  async stop() {
    this.undo();
    if (existsSync(join(this.env.PM2_HOME, "pm2.pid"))) {
      const pid = this.daemonPid();
      if (startTime(pid) !== null) {
        try {
          for (const app of await this.list()) if (app.pid) this.pids.track(app.pid);
        } catch {
          // the daemon may not answer; the tracked pids are killed below
        }
        await run([process.execPath, this.bin, "kill"], { env: this.env, timeoutMs: 30_000 });
      }
    }
    this.pids.kill();
  }
}
