// supervisord from Debian's `supervisor` package, run in the foreground (nodaemon) with a config file of its own
// in the measure's temp dir: a unix socket there, no inet server, never /etc/supervisor. Measured as the
// supervisord process alone; ended with `supervisorctl shutdown`.
import { closeSync, mkdirSync, openSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { onCleanup, Pids } from "../lib/cleanup.mjs";
import { until } from "../lib/clock.mjs";
import { run, signalGroup, spawnGroup, waitExit } from "../lib/proc.mjs";
import { which } from "./which.mjs";

export const settings = {
  restart: "startsecs=0, autorestart=true (supervisord has no restart delay to set)",
  logs: "redirect_stderr=true (one pipe), stdout_logfile with maxbytes=0 (no rotation); it has no timestamps",
  requests: "`supervisorctl restart` (stop, then start); stopsignal=TERM, stopwaitsecs=5",
  survive: "`kill -9` of supervisord, then supervisord again with the same config file",
};

export function supervisordAdapter() {
  return {
    id: "supervisord",
    label: "supervisord",
    async probe() {
      let supervisord;
      try {
        supervisord = which("supervisord");
        which("supervisorctl");
      } catch {
        return { ok: false, reason: "supervisord is not installed (Debian: apt-get install supervisor)" };
      }
      const version = await run([supervisord, "--version"], { timeoutMs: 10_000 });
      if (version.code !== 0) return { ok: false, reason: `supervisord --version failed: ${version.stderr}` };
      return { ok: true, version: version.stdout.trim() };
    },
    logFile: (dir, name) => join(dir, `${name}.log`),
    /** supervisord writes the job's bytes as they come. */
    logPattern: /^(?<msg>.*)$/,
    async start(jobs, dir) {
      const conf = join(dir, "supervisord.conf");
      mkdirSync(join(dir, "childlogs"), { recursive: true });
      writeFileSync(conf, config(jobs, dir));
      const system = new SupervisordSystem(conf, spawnDaemon(conf, dir), dir);
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

/** supervisord in the foreground, in a process group of its own, its output appended to DIR/supervisord.out. */
function spawnDaemon(conf, dir) {
  const logFd = openSync(join(dir, "supervisord.out"), "a");
  const daemon = spawnGroup(["supervisord", "-c", conf], { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  return daemon;
}

/** An argument as supervisord's shlex-based parser reads it; % doubled for its config interpolation. */
function quote(arg) {
  const text = /^[A-Za-z0-9_./=:-]+$/.test(arg) ? arg : `"${arg.replace(/(["\\])/g, "\\$1")}"`;
  return text.replace(/%/g, "%%");
}

function config(jobs, dir) {
  const lines = [
    "[unix_http_server]",
    `file=${join(dir, "supervisor.sock")}`,
    "chmod=0700",
    "",
    "[supervisord]",
    "nodaemon=true",
    "silent=true",
    `logfile=${join(dir, "supervisord.log")}`,
    `pidfile=${join(dir, "supervisord.pid")}`,
    `childlogdir=${join(dir, "childlogs")}`,
    "minfds=4096",
    "",
    "[rpcinterface:supervisor]",
    "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    "",
    "[supervisorctl]",
    `serverurl=unix://${join(dir, "supervisor.sock")}`,
  ];
  for (const job of jobs) {
    lines.push(
      "",
      `[program:${job.name}]`,
      `command=${job.argv.map(quote).join(" ")}`,
      "autostart=true",
      `autorestart=${job.restart}`,
      "startsecs=0",
      "stopsignal=TERM",
      "stopwaitsecs=5",
    );
    const env = Object.entries(job.env ?? {});
    if (env.length > 0)
      lines.push(`environment=${env.map(([k, v]) => `${k}=${quote(String(v))}`).join(",")}`);
    if (job.log) {
      lines.push(
        "redirect_stderr=true",
        `stdout_logfile=${join(dir, `${job.name}.log`)}`,
        "stdout_logfile_maxbytes=0",
        "stdout_logfile_backups=0",
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

class SupervisordSystem {
  constructor(conf, daemon, dir) {
    this.conf = conf;
    this.daemon = daemon;
    this.dir = dir;
    this.pids = new Pids();
    this.pids.track(daemon.pid);
    this.undo = () => {};
  }

  ctl(args, timeoutMs = 30_000) {
    return run(["supervisorctl", "-c", this.conf, ...args], { timeoutMs });
  }

  /** name -> { state, pid } from `supervisorctl status` (which exits 3 when some program is not running). */
  async programs() {
    const out = (await this.ctl(["status"])).stdout;
    const programs = new Map();
    for (const line of out.split("\n")) {
      const m = /^(\S+)\s+([A-Z]+)\s+(?:pid (\d+))?/.exec(line);
      if (m) programs.set(m[1], { state: m[2], pid: m[3] ? Number(m[3]) : null });
    }
    return programs;
  }

  async ready(jobs) {
    await until(
      `supervisord's ${jobs.length} program(s) to run (${this.dir}/supervisord.log)`,
      async () => {
        if (this.daemon.exitCode !== null) throw new Error(`supervisord exited with ${this.daemon.exitCode}`);
        const programs = await this.programs();
        for (const p of programs.values()) if (p.pid) this.pids.track(p.pid);
        return jobs.every((j) => {
          const state = programs.get(j.name)?.state;
          return state === "RUNNING" || (!j.restart && state === "EXITED");
        });
      },
      { timeoutMs: 60_000, everyMs: 250 },
    );
  }

  async daemonPids() {
    return [this.daemon.pid];
  }

  /** name -> the pid of the program's process, from `supervisorctl status` (none when it is not running). */
  async jobPids() {
    const pids = new Map();
    for (const [name, p] of await this.programs()) {
      pids.set(name, p.pid ? [p.pid] : []);
      if (p.pid) this.pids.track(p.pid);
    }
    return pids;
  }

  /** SIGKILLs supervisord alone. */
  async killDaemon() {
    const pid = this.daemon.pid;
    process.kill(pid, "SIGKILL");
    if (!(await waitExit(this.daemon, 5000)))
      throw new Error(`supervisord (pid ${pid}) still runs 5 s after SIGKILL`);
    return pid;
  }

  /** supervisord again, with the same config file. */
  async revive() {
    this.daemon = spawnDaemon(this.conf, this.dir);
    this.pids.track(this.daemon.pid);
  }

  statusCommand() {
    return { argv: ["supervisorctl", "-c", this.conf, "status"], env: process.env };
  }

  async restart(name) {
    const result = await this.ctl(["restart", name]);
    if (result.code !== 0) throw new Error(`supervisorctl restart ${name}: ${result.stdout}${result.stderr}`);
  }

  async stop() {
    this.undo();
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      try {
        for (const p of (await this.programs()).values()) if (p.pid) this.pids.track(p.pid);
      } catch {
        // no answer; the tracked pids are killed below
      }
      await this.ctl(["shutdown"], 30_000);
      if (!(await waitExit(this.daemon, 15_000))) signalGroup(this.daemon.pid, "SIGKILL");
    }
    this.pids.kill();
  }
}
