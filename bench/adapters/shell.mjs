// The lower bound: no supervisor at all, only what a shell gives. A job that must come back runs in
// `while :; do JOB; done`; a job whose output is kept runs as `JOB > FILE 2>&1`. It has no daemon, no status
// command and no reload, so it stands only in the measures where that is enough.
import { join } from "node:path";
import { onCleanup, Pids } from "../lib/cleanup.mjs";
import { run, signalGroup, spawnGroup } from "../lib/proc.mjs";

export const settings = {
  restart: "`while :; do JOB; done`",
  logs: "`JOB > FILE 2>&1` (one file, no timestamps)",
  requests: "not applicable",
};

export function shellAdapter() {
  return {
    id: "shell",
    label: "shell loop",
    async probe() {
      const version = await run(["sh", "-c", "echo ok"], { timeoutMs: 5000 });
      return version.code === 0 ? { ok: true, version: "sh" } : { ok: false, reason: "no sh" };
    },
    logFile: (dir, name) => join(dir, `${name}.log`),
    logPattern: /^(?<msg>.*)$/,
    async start(jobs, dir) {
      const system = new ShellSystem(dir);
      system.undo = onCleanup(() => system.stop());
      for (const job of jobs) system.spawn(job);
      return system;
    },
  };
}

class ShellSystem {
  constructor(dir) {
    this.dir = dir;
    this.pids = new Pids();
    this.groups = [];
    this.undo = () => {};
  }

  spawn(job) {
    const script = job.log
      ? `exec "$@" > '${join(this.dir, `${job.name}.log`)}' 2>&1`
      : job.restart
        ? 'while :; do "$@"; done'
        : 'exec "$@"';
    const child = spawnGroup(["sh", "-c", script, "sh", ...job.argv], {
      env: { ...process.env, ...job.env },
    });
    this.pids.track(child.pid);
    this.groups.push(child.pid);
  }

  async daemonPids() {
    return null;
  }

  statusCommand() {
    return null;
  }

  async stop() {
    this.undo();
    for (const pid of this.groups) signalGroup(pid, "SIGKILL");
    this.pids.kill();
  }
}
