// `god status [JOB...] [--json]`: the jobs as a table (rendered by the daemon), or the daemon's StatusJson as is.

import { asStatus, connect } from "../client.js";
import { runCommand } from "../command.js";
import { renderStatus } from "../render.js";

const definition = {
  name: "status",
  usage: `Usage: god status [JOB...] [--json] [-i] [--home DIR]

Shows every job (or the named ones): state, pid, uptime, restarts, memory (RSS/maxMemory), last check and
loader.
  -i, --instances  also a line per instance of a job that runs several (web:0, web:1, ...)
  --json           print the daemon's answer as one JSON document: {"jobs":[{"name","state","want","pid",
                   ...,"instances":[{"index","pid","state",...}]}]}
  --home DIR       the god to ask (default: $GOD_HOME, else ~/.god)`,
  options: { json: { type: "boolean" }, instances: { type: "boolean", short: "i" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    const client = await connect(home);
    try {
      const jobs = [...new Set(positionals)];
      if (values.json) {
        process.stdout.write(JSON.stringify(await client.request("status", { jobs })) + "\n");
        return 0;
      }
      // The daemon renders the table (its code is warm; this process would compile and run the renderer once).
      // A god from before `format` answers its StatusJson, rendered here.
      const instances = values.instances === true;
      const answer = await client.request("status", { jobs, format: "text", instances });
      const text = (answer as { text?: unknown } | null)?.text;
      process.stdout.write(typeof text === "string" ? text : renderStatus(asStatus(answer), { instances }));
      return 0;
    } finally {
      client.close();
    }
  });
}
