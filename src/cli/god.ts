#!/usr/bin/env node
// The `god` CLI: picks the command and loads only its module, so `god status` costs little more than starting
// Node. Each command parses its own flags and returns its exit code.
// The bin is not this file but dist/src/cli/bundle/god.cjs, bundled from it by scripts/bundle-cli.mjs: CommonJS,
// which Node loads without starting its ESM loader (that costs a `god status` more than its work), and each
// command in a file of its own, required when it runs. main.ts loads the bin for the callers of
// dist/src/cli/main.js.

import { readFileSync } from "node:fs";
import { COMMANDS, dispatch, usage } from "./dispatch.js";
import { quickStatus, quickStatusHome } from "./quick-status.js";

async function main(argv: string[]): Promise<number> {
  const what = dispatch(argv);
  switch (what.type) {
    case "usage":
      process.stdout.write(usage());
      return 0;
    case "version": {
      // node:fs is imported statically: in the bundle that is a require() of a builtin the CommonJS loader has
      // loaded already, where an import() would start the ESM loader.
      // dist/src/cli/god.js -> the package root
      const packageUrl = new URL("../../../package.json", import.meta.url);
      const { version } = JSON.parse(readFileSync(packageUrl, "utf8")) as { version: string };
      process.stdout.write(`${version}\n`);
      return 0;
    }
    case "error":
      process.stderr.write(`god: ${what.message}\n`);
      return 2;
    case "command": {
      for (const warning of what.warnings) process.stderr.write(`god: ${warning}\n`);
      // `god status | head -1`: the reader went away, so there is no one left to tell. Not for the daemon,
      // whose stdout is its log and which must outlive a closed log pipe.
      if (what.name !== "run") process.stdout.on("error", exitOnEpipe);
      // Plain `god status`: the daemon's table with one request, before the command's module loads.
      const quickHome = what.name === "status" ? quickStatusHome(what.args) : null;
      if (quickHome !== null && (await quickStatus(quickHome))) return 0;
      const module = await COMMANDS[what.name].load();
      return module.main(what.args);
    }
  }
}

function exitOnEpipe(error: NodeJS.ErrnoException): void {
  if (error.code !== "EPIPE") throw error;
  process.exit();
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `god: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
