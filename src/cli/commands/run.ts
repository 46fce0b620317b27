// `god run`: the daemon in the foreground. Only this command loads the daemon, so the others stay light.

import { resolve } from "node:path";
import { expectPositionals, runCommand, UsageError } from "../command.js";

const definition = {
  name: "run",
  usage: `Usage: god run [--dir DIR]... [--loader PATH]... [--http ADDR] [--http-token TOKEN] [--home DIR]
       god --dir DIR...   (the same, in the original watchgod's form)

Runs the daemon in the foreground until SIGTERM, SIGINT or \`god shutdown\`.
  --dir DIR           every executable file in DIR (not starting with ".") is a loader; DIR is watched
  --loader PATH       a single loader (repeatable)
  --http ADDR         serve the dashboard, JSON API and metrics on ADDR, e.g. 127.0.0.1:8088
  --http-token TOKEN  the bearer token HTTP clients must send (required for a non-loopback ADDR)
  --home DIR          where the socket, logs and state live (default: $GOD_HOME, else ~/.god)
At least one --dir or --loader is required.`,
  options: {
    dir: { type: "string", multiple: true },
    loader: { type: "string", multiple: true },
    http: { type: "string" },
    "http-token": { type: "string" },
  },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    expectPositionals("run", positionals, 0, 0, "no arguments besides its flags");
    if (values.dir.length === 0 && values.loader.length === 0) {
      throw new UsageError("`god run` needs at least one --dir DIR or --loader PATH; run `god run --help`.");
    }
    if (values["http-token"] !== null && values.http === null) {
      throw new UsageError("--http-token is only used with --http ADDR; run `god run --help`.");
    }
    const { runDaemon } = await import("../../daemon/run.js");
    return runDaemon({
      dirs: values.dir.map((dir) => resolve(dir)),
      loaders: values.loader.map((loader) => resolve(loader)),
      home,
      http: values.http,
      httpToken: values["http-token"],
    });
  });
}
