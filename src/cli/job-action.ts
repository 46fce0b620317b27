// start, stop, restart and reload: one request per job, all at once; a line per job as its outcome arrives.
// With wait (the default) the daemon answers once the outcome is known, or with error 1005 and the reason.

import { asJob, connect, QUERY_TIMEOUT_MS, WAIT_TIMEOUT_MS } from "./client.js";
import { expectPositionals, reportError, runCommand } from "./command.js";
import { jobLine } from "./render.js";

export type JobAction = "start" | "stop" | "restart" | "reload";

const WHAT: Record<JobAction, string> = {
  start: "Starts the jobs and waits until each is running (or degraded).",
  stop: "Stops the jobs (their whole process groups) and waits until each has stopped.",
  restart: "Stops, then starts the jobs, and waits until each is running again.",
  reload: "Replaces the jobs' instances by their reload policy and waits for the outcome.",
};

function definition(action: JobAction) {
  return {
    name: action,
    usage: `Usage: god ${action} JOB... [--no-wait] [--home DIR]

${WHAT[action]}
Several jobs are handled at once; each gets a line such as \`backend: running (pid 4242)\`.
Exits 1 if any of them failed.
  --no-wait   return as soon as the daemon has taken the request
  --home DIR  the god to ask (default: $GOD_HOME, else ~/.god)`,
    options: { "no-wait": { type: "boolean" } },
  } as const;
}

export function runJobAction(action: JobAction, args: string[]): Promise<number> {
  return runCommand(definition(action), args, async ({ values, positionals, home }) => {
    expectPositionals(action, positionals, 1, Number.POSITIVE_INFINITY, "at least one JOB");
    const wait = !values["no-wait"];
    const client = await connect(home);
    try {
      const outcomes = await Promise.all(
        [...new Set(positionals)].map(async (job) => {
          try {
            const answer = await client.request(
              action,
              { job, wait },
              wait ? WAIT_TIMEOUT_MS : QUERY_TIMEOUT_MS,
            );
            process.stdout.write(jobLine(asJob(action, answer)) + "\n");
            return 0;
          } catch (error) {
            return reportError(error);
          }
        }),
      );
      return Math.max(...outcomes);
    } finally {
      client.close();
    }
  });
}
