// `god run`: the daemon in the foreground, or with -d in the background (returning once its socket answers).
// Only this command loads the daemon, so the others stay light.

import { closeSync, mkdirSync, readFileSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { connect, NoDaemonError } from "../client.js";
import { expectPositionals, runCommand, UsageError } from "../command.js";
import { socketPath } from "../home.js";
import { warmStartsFlag } from "../warm-starts.js";

const definition = {
  name: "run",
  usage: `Usage: god run [--dir DIR]... [--loader PATH]... [--env NAME] [-d] [--http ADDR] [--http-token TOKEN]
               [--no-adopt] [--warm-starts N] [--home DIR]
       god --dir DIR...   (the same, in the original watchgod's form)

Runs the daemon in the foreground until SIGTERM, SIGINT or \`god shutdown\`.
god always runs the loaders of GOD_HOME/jobs (where \`god add\` puts jobs); --dir and --loader add more.
  --dir DIR           a loader directory, watched: every executable file in DIR (not starting with ".") is a
                      loader, and so are its configuration files (*.json, Procfile, ecosystem.config.js)
  --loader PATH       a single loader, or a configuration file (repeatable)
  --env NAME          ecosystem files: merge PM2's env_NAME over env (as \`pm2 start FILE --env NAME\`)
  -d, --detach        run in the background; returns once the daemon answers (its log: GOD_HOME/logs/god.log)
  --http ADDR         serve the dashboard, JSON API and metrics on ADDR, e.g. 127.0.0.1:8088
  --http-token TOKEN  the bearer token HTTP clients must send (required for a non-loopback ADDR)
  --no-adopt          stop what a previous god left running instead of adopting it
  --warm-starts N     how many instances that were restarted get their next process forked ahead, waiting to
                      exec, so a crash is followed by an exec rather than a fork of god (default 16; 0: none)
  --home DIR          where the socket, logs, state and jobs live (default: $GOD_HOME, else ~/.god)
A god that starts where a previous one died (kill -9, a crash, \`god shutdown --leave-jobs\`) adopts its running
instances: nothing is restarted, no log line is lost (docs/processes.md).`,
  options: {
    dir: { type: "string", multiple: true },
    loader: { type: "string", multiple: true },
    env: { type: "string" },
    detach: { type: "boolean", short: "d" },
    http: { type: "string" },
    "http-token": { type: "string" },
    "no-adopt": { type: "boolean" },
    "warm-starts": { type: "string" },
  },
} as const;

/** How long `god run -d` waits for the daemon to answer on its socket. */
export const DETACH_TIMEOUT_MS = 30_000;

const ENV_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    expectPositionals("run", positionals, 0, 0, "no arguments besides its flags");
    if (values["http-token"] !== null && values.http === null) {
      throw new UsageError("--http-token is only used with --http ADDR; run `god run --help`.");
    }
    if (values.env !== null && !ENV_NAME.test(values.env)) {
      throw new UsageError(
        `--env ${values.env} is not an environment name; use letters, digits, "_" and "-" (as in env_production).`,
      );
    }
    const warmStarts = warmStartsFlag(values["warm-starts"]);
    const dirs = values.dir.map((dir) => resolve(dir));
    const loaders = values.loader.map((loader) => resolve(loader));
    if (values.detach) {
      const argv = [
        "run",
        "--home",
        home,
        ...dirs.flatMap((dir) => ["--dir", dir]),
        ...loaders.flatMap((loader) => ["--loader", loader]),
        ...(values.env === null ? [] : ["--env", values.env]),
        ...(values.http === null ? [] : ["--http", values.http]),
        ...(values["http-token"] === null ? [] : ["--http-token", values["http-token"]]),
        ...(values["no-adopt"] ? ["--no-adopt"] : []),
        ...(warmStarts === null ? [] : ["--warm-starts", String(warmStarts)]),
      ];
      return detach(home, argv);
    }
    const { READY_FD_VARIABLE } = await import("../../process/detach.js");
    const readyFd = takeReadyFd(READY_FD_VARIABLE);
    // Before the daemon's modules load: resolving them is enough to wake V8's optimizing compiler, and to grow
    // the young generation for good.
    const { deferOptimizer } = await import("../../daemon/optimizer.js");
    deferOptimizer();
    const { keepYoungGenerationSmall } = await import("../../daemon/heap.js");
    keepYoungGenerationSmall();
    const { runDaemon } = await import("../../daemon/run.js");
    return runDaemon({
      dirs,
      loaders,
      envName: values.env,
      home,
      http: values.http,
      httpToken: values["http-token"],
      adopt: !values["no-adopt"],
      ...(warmStarts === null ? {} : { warmStarts }),
      ...(readyFd === null ? {} : { ready: () => announceReady(readyFd) }),
    });
  });
}

/** The fd a `god run -d` waits on, read once and removed, so that loaders and jobs do not inherit the variable. */
function takeReadyFd(variable: string): number | null {
  const value = process.env[variable];
  delete process.env[variable];
  const fd = Number(value);
  return value !== undefined && Number.isInteger(fd) && fd > 2 ? fd : null;
}

function announceReady(fd: number): void {
  try {
    writeSync(fd, "ready\n");
    closeSync(fd);
  } catch {
    // The `god run -d` that waited is gone (killed, say): there is no one to tell.
  }
}

/**
 * Starts `god ARGV` in a new session and waits until it answers; exit 1 with its early errors if it does not.
 * `god upgrade` passes the environment and working directory of the god it replaces.
 */
export async function detach(
  home: string,
  argv: string[],
  like: { env?: NodeJS.ProcessEnv; cwd?: string; what?: string } = {},
): Promise<number> {
  const running = await connect(home).then(
    (client) => {
      client.close();
      return true;
    },
    (error: unknown) => {
      if (error instanceof NoDaemonError) return false;
      throw error;
    },
  );
  if (running) {
    process.stderr.write(
      `god: a god is already running at ${home}; talk to it with \`god status --home ${home}\` or stop it with \`god shutdown --home ${home}\`.\n`,
    );
    return 1;
  }
  const logs = join(home, "logs");
  mkdirSync(logs, { recursive: true, mode: 0o700 });
  const early = join(logs, "god.out");
  const main = fileURLToPath(new URL("../main.js", import.meta.url));
  const { startDetached } = await import("../../process/detach.js");
  const outcome = await startDetached(process.execPath, [main, ...argv], {
    stderrFile: early,
    timeoutMs: DETACH_TIMEOUT_MS,
    ...(like.env === undefined ? {} : { env: like.env }),
    ...(like.cwd === undefined ? {} : { cwd: like.cwd }),
  });
  const log = join(logs, "god.log");
  switch (outcome.type) {
    case "ready":
      process.stdout.write(
        `${like.what ?? "god"} is running in the background at ${home} (pid ${outcome.pid}); its log: ${log}; \`god shutdown\` stops it.\n`,
      );
      return 0;
    case "exited": {
      const said = readEarly(early);
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `exited with code ${outcome.code}`;
      process.stderr.write(
        said === ""
          ? `god: the daemon ${how} before it answered on ${socketPath(home)}; see ${log}.\n`
          : said,
      );
      return 1;
    }
    case "timeout":
      process.stderr.write(
        `god: the daemon (pid ${outcome.pid}) did not answer on ${socketPath(home)} within ${DETACH_TIMEOUT_MS / 1000} s; it may still be starting: see ${log} and ${early}.\n`,
      );
      return 1;
    case "error":
      process.stderr.write(`god: could not start the daemon: ${outcome.message}.\n`);
      return 1;
  }
}

function readEarly(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
