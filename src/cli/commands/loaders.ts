// `god loaders [--json]`: each loader's path, state, pid, dialect, jobs and last error.

import { asLoaders, connect } from "../client.js";
import { expectPositionals, runCommand } from "../command.js";
import { renderLoaders } from "../render.js";

const definition = {
  name: "loaders",
  usage: `Usage: god loaders [--json] [--home DIR]

Shows every loader: path, state (up, idle, down, failed), pid, dialect, the jobs it declares, its last error.
  --json      print the daemon's answer as one JSON document: {"loaders":[{"path","pid","state",...}]}
  --home DIR  the god to ask (default: $GOD_HOME, else ~/.god)`,
  options: { json: { type: "boolean" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    expectPositionals("loaders", positionals, 0, 0, "no arguments");
    const client = await connect(home);
    try {
      const answer = await client.request("loaders", {});
      process.stdout.write(
        values.json ? JSON.stringify(answer) + "\n" : renderLoaders(asLoaders("loaders", answer)),
      );
      return 0;
    } finally {
      client.close();
    }
  });
}
