// `god validate PATH [--json]`: runs one loader without a daemon and reports its jobs, or every error.

import { resolve } from "node:path";
import { expectPositionals, runCommand } from "../command.js";
import { renderValidation, type ValidationReport } from "../render-validate.js";

const definition = {
  name: "validate",
  usage: `Usage: god validate PATH [--env NAME] [--json]

Runs the loader at PATH as god would (\`PATH godv1\`; a configuration file such as *.json, Procfile or
ecosystem.config.js with god's built-in loader), without a daemon, and prints the loader's name, version and
dialect and each job it declares, or every protocol and JobSpec error, one per line.
Exits 0 when the loader is valid, 1 otherwise.
  --env NAME  ecosystem files: merge PM2's env_NAME over env, as \`god run --env NAME\` does
  --json      print the report as one JSON document: {"ok","dialect","loader","jobs","errors"}`,
  options: { json: { type: "boolean" }, env: { type: "string" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals }) => {
    expectPositionals("validate", positionals, 1, 1, "the PATH of one loader");
    const path = positionals[0]!;
    const { validateLoader } = await import("../../process/validate-loader.js");
    const { configFileKind } = await import("../../config/config-kind.js");
    const { configLoaderCommand } = await import("../../config/loader-command.js");
    // Absolute, so that a bare `loader.js` is not looked up in PATH when it is spawned.
    const full = resolve(path);
    // As god decides: by the name first, so a configuration file is read whether or not it is executable.
    const config = configFileKind(full) === null ? null : configLoaderCommand(full, values.env);
    const report: ValidationReport = await validateLoader(
      full,
      config === null ? undefined : { argv: [config.command, ...config.args], env: config.env },
    );
    if (values.json) {
      process.stdout.write(JSON.stringify(report) + "\n");
    } else {
      process.stdout.write(renderValidation(path, report));
      for (const error of report.errors) process.stderr.write(`god: ${path}: ${error}\n`);
    }
    return report.ok ? 0 : 1;
  });
}
