// GET /api/usage?job=NAME&since=MS: the dashboard's charts. Each instance's CPU % and RSS, one sample a second
// for the last 10 minutes (every job without `job`), oldest first, null where it had no process; with `since`
// (the `endMs` of an earlier answer) only the samples taken after it, so a page that polls gets a few numbers.

import { jobNameParam } from "./request.js";
import { HttpError, sendJson } from "./respond.js";
import type { RouteRequest } from "./route.js";
import type { JobHistoryJson, SupervisorView, UsageHistoryJson, UsageHistorySource } from "./sources.js";

/** The answer: the sampler's history, each job with its maxMemory (bytes per instance, or null). */
export type UsageAnswerJson = Omit<UsageHistoryJson, "jobs"> & {
  jobs: Array<JobHistoryJson & { maxMemory: number | null }>;
};

export interface UsageDeps {
  supervisor: SupervisorView;
  history: UsageHistorySource | undefined;
}

export function serveUsage(deps: UsageDeps, { res, url }: RouteRequest): void {
  const history = deps.history;
  if (history === undefined) {
    throw new HttpError(503, "this god's HTTP server has no usage history; use `god top` instead.");
  }
  const query = url.searchParams;
  const jobs = [...new Set(query.getAll("job").map((job) => jobNameParam(job, "?job=")))];
  for (const job of jobs) {
    if (!deps.supervisor.jobs.has(job)) {
      throw new HttpError(404, `unknown job "${job}": no loader declares it; GET /api/jobs lists the jobs.`);
    }
  }
  const sinceText = query.get("since");
  if (sinceText !== null && !/^\d{1,15}$/.test(sinceText)) {
    throw new HttpError(
      400,
      `?since= takes the endMs of an earlier answer (ms since 1970), not "${sinceText.slice(0, 40)}".`,
    );
  }
  const answer = history(jobs, sinceText === null ? null : Number(sinceText));
  const body: UsageAnswerJson = {
    ...answer,
    jobs: answer.jobs.map((job) => ({
      name: job.name,
      maxMemory: deps.supervisor.jobs.get(job.name)?.toJson().maxMemory ?? null,
      instances: job.instances,
    })),
  };
  sendJson(res, 200, body);
}
