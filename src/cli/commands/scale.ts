// `god scale JOB N|+N|-N`: changes how many instances a job runs, until its loader declares another count or god
// restarts. New instances start in index order, removed ones stop from the highest index; waits until the new
// ones are ready and the removed ones stopped.

import { asJob, connect, QUERY_TIMEOUT_MS, WAIT_TIMEOUT_MS } from "../client.js";
import { expectPositionals, runCommand, UsageError } from "../command.js";
import { jobLine } from "../render.js";

const definition = {
  name: "scale",
  usage: `Usage: god scale JOB N|+N|-N [--no-wait] [--home DIR]

Runs N instances of JOB (or N more, or N fewer), each on the job's held sockets with its own index in
GOD_INSTANCE; waits until new instances are ready and removed ones have stopped. Lasts until the job's loader
declares another \`instances\`, or god restarts.
  --no-wait   return as soon as the daemon has taken the request
  --home DIR  the god to ask (default: $GOD_HOME, else ~/.god)`,
  options: { "no-wait": { type: "boolean" } },
} as const;

export function main(args: string[]): Promise<number> {
  // `-2` is a count, not a flag: take it out before the flags are parsed.
  const at = args.findIndex((arg) => /^-\d{1,4}$/.test(arg));
  const rest = at === -1 ? args : [...args.slice(0, at), ...args.slice(at + 1)];
  return runCommand(definition, rest, async ({ values, positionals, home }) => {
    if (at !== -1) positionals.push(args[at]!);
    expectPositionals("scale", positionals, 2, 2, "a JOB and a count (N, +N or -N)");
    const [job, count] = positionals as [string, string];
    if (!/^[+-]?\d{1,4}$/.test(count)) {
      throw new UsageError(
        `\`god scale\` takes a count such as 4, +1 or -2, not "${count}"; run \`god scale --help\`.`,
      );
    }
    const wait = !values["no-wait"];
    const client = await connect(home);
    try {
      const answer = await client.request(
        "scale",
        { job, count, wait },
        wait ? WAIT_TIMEOUT_MS : QUERY_TIMEOUT_MS,
      );
      process.stdout.write(`${jobLine(asJob("scale", answer))}\n`);
      return 0;
    } finally {
      client.close();
    }
  });
}
