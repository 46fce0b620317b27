// /healthz for a load balancer or an orchestrator: healthy when every auto job is up. "Up" is running or
// degraded (a degraded job still serves; taking the machine out for it would turn a slowdown into an outage),
// or exited with code 0 (a one-shot auto job, such as a migration, that finished: `after` counts it done too).

import type { JobView } from "./sources.js";

export type Health = { ok: true } | { failing: string[] };

export function health(jobs: Iterable<JobView>): Health {
  const failing: string[] = [];
  for (const view of jobs) {
    if (!view.config.auto) continue;
    const job = view.toJson();
    const up =
      job.state === "running" ||
      job.state === "degraded" ||
      (job.state === "exited" && job.lastExit?.code === 0);
    if (!up) failing.push(job.name);
  }
  return failing.length === 0 ? { ok: true } : { failing: failing.sort() };
}
