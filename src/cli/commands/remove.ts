// `god remove NAME`: stops a job that `god add` made (waiting until it has stopped) and deletes its file,
// GOD_HOME/jobs/NAME.json; god then forgets the job. A job of any other loader is refused, naming that loader.

import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type ControlClient, connect, NoDaemonError, WAIT_TIMEOUT_MS } from "../client.js";
import { expectPositionals, reportError, runCommand } from "../command.js";
import { JobEvents } from "../job-events.js";

const definition = {
  name: "remove",
  usage: `Usage: god remove NAME [--home DIR]

Stops the job NAME that \`god add\` made, waits until it has stopped, and deletes GOD_HOME/jobs/NAME.json, so
that god forgets it. A job declared by another loader is refused: remove it from that loader.
  --home DIR  the god's home (default: $GOD_HOME, else ~/.god)`,
  options: {},
} as const;

/** How long god may take to notice the deleted file and forget the job (a 200 ms debounce). */
export const FORGET_TIMEOUT_MS = 30_000;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ positionals, home }) => {
    expectPositionals("remove", positionals, 1, 1, "the NAME of a job made by `god add`");
    const name = positionals[0]!;
    const file = join(home, "jobs", `${name}.json`);
    const client = await connect(home).catch((error: unknown) => {
      if (error instanceof NoDaemonError) return null;
      throw error;
    });
    try {
      const events = client === null ? null : await JobEvents.open(client, home);
      const job = events?.jobs.get(name);
      if (!existsSync(file)) {
        const where =
          job === undefined
            ? `no job ${name} was added at ${home} (there is no ${file}); \`god status\` lists the jobs.`
            : `job ${name} was not made by \`god add\`: it comes from the loader ${job.loader}; remove it there.`;
        process.stderr.write(`god: ${where}\n`);
        return 1;
      }
      if (client === null || events === null) {
        rmSync(file, { force: true });
        process.stdout.write(`${name}: removed ${file} (no god is running at ${home}).\n`);
        return 0;
      }
      const ours = job?.loader === file;
      if (ours) await stop(client, name);
      rmSync(file, { force: true });
      if (ours)
        await events.until(
          `god to forget ${name}`,
          () => (events.jobs.has(name) ? null : true),
          FORGET_TIMEOUT_MS,
        );
      process.stdout.write(`${name}: ${ours ? "stopped and " : ""}removed (${file} is deleted).\n`);
      return 0;
    } finally {
      client?.close();
    }
  });
}

/** Stops the job and waits; a stop that fails is reported, and the removal goes on (god stops what it forgets). */
async function stop(client: ControlClient, name: string): Promise<void> {
  try {
    await client.request("stop", { job: name, wait: true }, WAIT_TIMEOUT_MS);
  } catch (error) {
    reportError(error);
  }
}
