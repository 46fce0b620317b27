// `god shutdown`: the daemon stops every job in order, answers once they have all stopped, then exits.

import { connect, WAIT_TIMEOUT_MS } from "../client.js";
import { expectPositionals, runCommand } from "../command.js";

const definition = {
  name: "shutdown",
  usage: `Usage: god shutdown [--home DIR]

Stops every job (dependants before what they depend on, each within its stop timeout), then the daemon.
Returns once every job has stopped; the daemon exits right after.
  --home DIR  the god to stop (default: $GOD_HOME, else ~/.god)`,
  options: {},
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ positionals, home }) => {
    expectPositionals("shutdown", positionals, 0, 0, "no arguments");
    const client = await connect(home);
    try {
      await client.request("shutdown", {}, WAIT_TIMEOUT_MS);
    } finally {
      client.close();
    }
    process.stdout.write(`god at ${home}: every job has stopped; the daemon is exiting.\n`);
    return 0;
  });
}
