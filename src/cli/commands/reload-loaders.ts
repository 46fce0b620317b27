// `god reload-loaders [--json]`: rescans the directories and reloads every loader, then shows them.
// A loader left with an error (its new version failed, so the old one stays) makes the exit code 1.

import { asLoaders, connect, WAIT_TIMEOUT_MS } from "../client.js";
import { expectPositionals, runCommand } from "../command.js";
import { renderLoaders } from "../render.js";

const definition = {
  name: "reload-loaders",
  usage: `Usage: god reload-loaders [--json] [--home DIR]

Rescans the loader directories and reloads every loader (as SIGHUP does), then shows the loaders as
\`god loaders\` does. A loader whose new version fails keeps the old one; the exit code is then 1.
  --json      print the daemon's answer as one JSON document, as \`god loaders --json\`
  --home DIR  the god to ask (default: $GOD_HOME, else ~/.god)`,
  options: { json: { type: "boolean" } },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    expectPositionals("reload-loaders", positionals, 0, 0, "no arguments");
    const client = await connect(home);
    try {
      const answer = await client.request("reload-loaders", {}, WAIT_TIMEOUT_MS);
      const loaders = asLoaders("reload-loaders", answer);
      process.stdout.write(values.json ? JSON.stringify(answer) + "\n" : renderLoaders(loaders));
      const failed = loaders.loaders.filter((loader) => loader.error !== null || loader.state === "failed");
      for (const loader of failed) {
        process.stderr.write(`god: loader ${loader.path} did not reload: ${loader.error ?? loader.state}\n`);
      }
      return failed.length > 0 ? 1 : 0;
    } finally {
      client.close();
    }
  });
}
