#!/usr/bin/env node
// The `god` bin: picks the command and loads only its module, so `god status` costs little more than starting
// Node. Each command parses its own flags and returns its exit code.

import { COMMANDS, dispatch, usage } from "./dispatch.js";

async function main(argv: string[]): Promise<number> {
  const what = dispatch(argv);
  switch (what.type) {
    case "usage":
      process.stdout.write(usage());
      return 0;
    case "version": {
      // node:fs is imported here only: its module facade costs every other command a millisecond.
      const { readFileSync } = await import("node:fs");
      // dist/src/cli/main.js -> the package root
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
