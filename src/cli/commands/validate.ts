// `god validate PATH [--json]`: runs one loader without a daemon and reports its jobs, or every error.

import { resolve } from "node:path";
import { expectPositionals, runCommand } from "../command.js";
import { renderValidation, type ValidationReport } from "../render-validate.js";

const definition = {
  name: "validate",
  usage: `Usage: god validate PATH [--json]

Runs the loader at PATH as god would (\`PATH godv1\`), without a daemon, and prints the loader's name, version
and dialect and each job it declares, or every protocol and JobSpec error, one per line.
Exits 0 when the loader is valid, 1 otherwise.
  --json      print the report as one JSON document: {"ok","dialect","loader","jobs","errors"}`,
  options: { json: { type: "boolean" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals }) => {
    expectPositionals("validate", positionals, 1, 1, "the PATH of one loader");
    const path = positionals[0]!;
    const { validateLoader } = await import("../../process/validate-loader.js");
    // Absolute, so that a bare `loader.js` is not looked up in PATH when it is spawned.
    const report: ValidationReport = await validateLoader(resolve(path));
    if (values.json) {
      process.stdout.write(JSON.stringify(report) + "\n");
    } else {
      process.stdout.write(renderValidation(path, report));
      for (const error of report.errors) process.stderr.write(`god: ${path}: ${error}\n`);
    }
    return report.ok ? 0 : 1;
  });
}
