// The rules of SPEC 15 wired to the supervisor: the usage sampler and the memory limit it feeds, a cron timer and
// a file watch per job, armed from each job's spec as it is declared, replaced or removed. Every action goes
// through supervisor.rule, so it is a command into the job's table like any other, logged with its reason.

import type { GodLog } from "../logs/god-log.js";
import { type GroupUsage, groupUsage } from "../process/group-usage.js";
import { CronTimers, cronAction } from "./cron-timer.js";
import { FileWatches } from "./file-watch.js";
import type { UsageOf } from "./job-runner.js";
import { MemoryLimit } from "./memory-limit.js";
import type { Supervisor } from "./supervisor.js";
import { type SampledGroup, type UsageHistoryJson, UsageSampler } from "./usage-sampler.js";

export interface Rules {
  /** The last reading of a process group, for status. */
  usageOf: UsageOf;
  /** A fresh reading of these groups (for /metrics). */
  read(pgids: ReadonlySet<number>): Map<number, GroupUsage>;
  /** The dashboard's charts: `GET /api/usage` (asking keeps the readings going). */
  history(jobs: readonly string[], sinceMs: number | null): UsageHistoryJson;
  /** Someone looks at usage (`god top`, `status` with usage): readings go on for a while (DEMAND_MS). */
  demand(): void;
  close(): void;
}

export interface RulesOptions {
  supervisor: Supervisor;
  log: GodLog;
  /** god's home: never watched. */
  home: string;
}

const LIVE = new Set(["starting", "running", "degraded"]);

export function startRules(options: RulesOptions): Rules {
  const { supervisor, log } = options;
  const groups = (): SampledGroup[] => {
    const out: SampledGroup[] = [];
    for (const runner of supervisor.jobs.values()) {
      const maxMemory = runner.config.maxMemory;
      for (const live of runner.instances()) {
        out.push({ job: runner.name, index: live.index, pgid: live.pgid, maxMemory });
      }
    }
    return out;
  };
  const memory = new MemoryLimit((job, index, why) => supervisor.rule(job, "reload", index, why), 1000);
  const sampler = new UsageSampler({ groups, read: groupUsage, onReading: (r) => memory.observe(r) });

  const cron = new CronTimers({
    fire: (name, schedule) => {
      const runner = supervisor.jobs.get(name);
      if (!runner) return;
      const action = cronAction({
        state: runner.state,
        want: runner.toJson().want,
        auto: runner.config.auto,
      });
      if (action.type === "skip") {
        log.info(`job ${name}: cron ${schedule} skipped: ${action.why}`, { job: name, rule: "cron" });
        return;
      }
      supervisor.rule(name, action.type, null, `cron ${schedule}`);
    },
    problem: (name, message) =>
      log.error(`job ${name}: its cron cannot be armed: ${message}`, { job: name, rule: "cron" }),
  });

  const watches = new FileWatches({
    home: options.home,
    log,
    changed: (name, why) => {
      const runner = supervisor.jobs.get(name);
      // A stopped job is not started by a change: only a live one is replaced.
      if (runner && LIVE.has(runner.state)) supervisor.rule(name, "reload", null, why);
    },
  });

  const stopConfigs = supervisor.onJobConfig((name, config) => {
    cron.set(name, config?.cron ?? null);
    watches.set(name, config?.watch ?? null, config?.cwd ?? process.cwd());
    if (config === null) sampler.drop(name);
  });
  const stopChanges = supervisor.subscribe((change) => {
    if (change.type === "job") {
      sampler.trim(change.job.name, change.job.instances.length);
      sampler.wake();
    }
  });

  return {
    usageOf: (pgid) => sampler.usageOf(pgid),
    read: (pgids) => sampler.read(pgids),
    history: (jobs, sinceMs) => {
      sampler.demand();
      return sampler.history(jobs, sinceMs);
    },
    demand: () => sampler.demand(),
    close: () => {
      stopConfigs();
      stopChanges();
      sampler.close();
      cron.close();
      watches.close();
    },
  };
}
