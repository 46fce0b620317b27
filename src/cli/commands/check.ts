// `god check JOB [--json]`: runs the job's check now; exit 0 only when it says ok.

import { asCheck, connect, WAIT_TIMEOUT_MS } from "../client.js";
import { expectPositionals, runCommand } from "../command.js";
import { checkLine } from "../render.js";

const definition = {
  name: "check",
  usage: `Usage: god check JOB [--json] [--home DIR]

Runs the job's check now and prints its result: \`backend: ok\`, \`backend: degraded: slow\`, \`backend: fail: ...\`.
Exits 0 when the check says ok, 1 otherwise.
  --json      print the result as one JSON document: {"status","message","at"}
  --home DIR  the god to ask (default: $GOD_HOME, else ~/.god)`,
  options: { json: { type: "boolean" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    expectPositionals("check", positionals, 1, 1, "one JOB");
    const job = positionals[0]!;
    const client = await connect(home);
    try {
      const check = asCheck(await client.request("check", { job, wait: true }, WAIT_TIMEOUT_MS));
      process.stdout.write(values.json ? JSON.stringify(check) + "\n" : checkLine(job, check) + "\n");
      return check.status === "ok" ? 0 : 1;
    } finally {
      client.close();
    }
  });
}
