// `god import FILE [--env NAME]`: prints the JSON loader equivalent to a PM2 ecosystem file or a Procfile, for
// users who leave PM2 or foreman for good. The file is converted by the file-loader program in a child process,
// so a JavaScript config never runs inside this command.

import { resolve } from "node:path";
import { expectPositionals, runCommand } from "../command.js";

const definition = {
  name: "import",
  usage: `Usage: god import FILE [--env NAME]

Converts FILE (ecosystem.config.js, .cjs, .mjs or .json; a Procfile; a *.json loader) as god's built-in loader
would, and prints the equivalent JSON loader, {"jobs": [...]}, on stdout. Save it as NAME.json in a loader
directory. Warnings (what god does differently) go to stderr. Exits 1, with the reason, when FILE cannot be
converted.
  --env NAME  merge PM2's env_NAME over env, as \`pm2 start FILE --env NAME\` does`,
  options: { env: { type: "string" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals }) => {
    expectPositionals("import", positionals, 1, 1, "the FILE to convert");
    const file = positionals[0]!;
    const { configFileKind } = await import("../../config/config-kind.js");
    if (configFileKind(file) === null) {
      process.stderr.write(
        `god: ${file} is not a configuration file god reads; name it ecosystem.config.js (PM2), Procfile (foreman) or *.json.\n`,
      );
      return 1;
    }
    const { runFileLoader } = await import("../../process/run-file-loader.js");
    const result = await runFileLoader(resolve(file), values.env);
    process.stderr.write(result.output);
    if (!result.ok) {
      for (const error of result.errors) process.stderr.write(`god: ${error}\n`);
      return 1;
    }
    for (const warning of result.warnings) process.stderr.write(`god: warning: ${warning}\n`);
    process.stdout.write(JSON.stringify({ jobs: result.jobs }, null, 2) + "\n");
    return 0;
  });
}
