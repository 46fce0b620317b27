// `god shutdown`: the daemon stops every job in order, answers once they have all stopped, then exits. With
// --leave-jobs it exits at once and leaves every job running, for the next god to adopt (an upgrade).

import { connect, WAIT_TIMEOUT_MS } from "../client.js";
import { expectPositionals, runCommand } from "../command.js";

const definition = {
  name: "shutdown",
  usage: `Usage: god shutdown [--leave-jobs] [--home DIR]

Stops every job (dependants before what they depend on, each within its stop timeout), then the daemon.
Returns once every job has stopped; the daemon exits right after.
  --leave-jobs  stop only the daemon (and its loaders): every job keeps running and serving, and the next
                \`god run\` on this home adopts them (to upgrade god: see \`god upgrade\`)
  --home DIR    the god to stop (default: $GOD_HOME, else ~/.god)`,
  options: { "leave-jobs": { type: "boolean" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    expectPositionals("shutdown", positionals, 0, 0, "no arguments");
    const leaveJobs = values["leave-jobs"];
    const client = await connect(home);
    try {
      await client.request("shutdown", { leaveJobs }, WAIT_TIMEOUT_MS);
    } finally {
      client.close();
    }
    process.stdout.write(
      leaveJobs
        ? `god at ${home}: the daemon is exiting; every job keeps running for the next god to adopt.\n`
        : `god at ${home}: every job has stopped; the daemon is exiting.\n`,
    );
    return 0;
  });
}
