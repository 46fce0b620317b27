// Which command an argv names, and the list of commands for `god --help`. Pure, so it is tested without
// processes; god.ts does the I/O. The original's `god --dir DIR` (no command) means `god run --dir DIR`.

export interface CommandModule {
  main(args: string[]): Promise<number>;
}

interface CommandEntry {
  synopsis: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS = {
  run: {
    synopsis:
      "run [--dir DIR]... [--loader PATH]... [--env NAME] [-d] [--http ADDR] [--http-token TOKEN] [--no-adopt] [--warm-starts N]",
    summary: "run the daemon (in the foreground; -d in the background)",
    load: () => import("./commands/run.js"),
  },
  add: {
    synopsis:
      "add NAME [-i N] [--env K=V]... [--cwd DIR] [--listen NAME=ADDR]... [--no-auto] -- COMMAND ARGS...",
    summary: "keep a job in GOD_HOME/jobs and start it",
    load: () => import("./commands/add.js"),
  },
  remove: {
    synopsis: "remove NAME",
    summary: "stop a job made by `god add` and delete its file",
    load: () => import("./commands/remove.js"),
  },
  status: {
    synopsis: "status [JOB...] [--json] [-i]",
    summary: "jobs: state, pid, uptime, restarts, last check, loader",
    load: () => import("./commands/status.js"),
  },
  start: {
    synopsis: "start JOB... [--no-wait]",
    summary: "start jobs and wait until they run",
    load: () => import("./commands/start.js"),
  },
  stop: {
    synopsis: "stop JOB... [--no-wait]",
    summary: "stop jobs and wait until they have stopped",
    load: () => import("./commands/stop.js"),
  },
  restart: {
    synopsis: "restart JOB... [--no-wait]",
    summary: "stop then start jobs",
    load: () => import("./commands/restart.js"),
  },
  reload: {
    synopsis: "reload JOB... [--no-wait]",
    summary: "replace jobs' instances by their reload policy",
    load: () => import("./commands/reload.js"),
  },
  scale: {
    synopsis: "scale JOB N|+N|-N [--no-wait]",
    summary: "run N instances of a job (N more, N fewer)",
    load: () => import("./commands/scale.js"),
  },
  logs: {
    synopsis: "logs [JOB...] [-f] [-n N] [--json]",
    summary: "recent log lines; -f follows",
    load: () => import("./commands/logs.js"),
  },
  top: {
    synopsis: "top [JOB...] [--once]",
    summary: "live view: state, CPU, memory, restarts, uptime, last log line",
    load: () => import("./commands/top.js"),
  },
  check: {
    synopsis: "check JOB [--json]",
    summary: "run a job's check now and print its result",
    load: () => import("./commands/check.js"),
  },
  loaders: {
    synopsis: "loaders [--json]",
    summary: "loaders: state, pid, dialect, jobs, last error",
    load: () => import("./commands/loaders.js"),
  },
  "reload-loaders": {
    synopsis: "reload-loaders [--json]",
    summary: "rescan the directories and reload every loader",
    load: () => import("./commands/reload-loaders.js"),
  },
  validate: {
    synopsis: "validate PATH [--json]",
    summary: "run one loader without a daemon and report its jobs or errors",
    load: () => import("./commands/validate.js"),
  },
  import: {
    synopsis: "import FILE [--env NAME]",
    summary: "print the JSON loader for a PM2 ecosystem file or a Procfile",
    load: () => import("./commands/import.js"),
  },
  startup: {
    synopsis: "startup [--install] [--user] [--dir DIR]...",
    summary: "print (or install) a systemd unit that runs god at boot",
    load: () => import("./commands/startup.js"),
  },
  shutdown: {
    synopsis: "shutdown [--leave-jobs]",
    summary: "stop every job in order, then the daemon (--leave-jobs: only the daemon)",
    load: () => import("./commands/shutdown.js"),
  },
  upgrade: {
    synopsis: "upgrade",
    summary: "hand over to the installed god: every job keeps running and is adopted",
    load: () => import("./commands/upgrade.js"),
  },
} satisfies Record<string, CommandEntry>;

export type CommandName = keyof typeof COMMANDS;

export type Dispatch =
  | { type: "command"; name: CommandName; args: string[]; warnings: string[] }
  | { type: "usage" }
  | { type: "version" }
  | { type: "error"; message: string };

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Flags of `god run` that, before any command, select the original's form `god --dir DIR`. */
const RUN_FLAGS = new Set(["--dir", "--loader", "--http", "--http-token"]);

/**
 * The original Go watchgod's flags (its `flag` package): `-dir DIR` and `-dir=DIR` are `--dir`; `-listen ADDR`
 * is accepted and ignored with a warning, since god's control socket is always GOD_HOME/god.sock.
 */
export function originalFlags(argv: readonly string[]): { argv: string[]; warnings: string[] } {
  const out: string[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (arg === "-dir" || arg.startsWith("-dir=")) out.push(`-${arg}`);
    else if (arg === "-listen" || arg.startsWith("-listen=")) {
      const address = arg === "-listen" ? argv[++i] : arg.slice("-listen=".length);
      warnings.push(
        `-listen ${address ?? ""} is ignored: god's control socket is always GOD_HOME/god.sock (use --home DIR to choose the home).`,
      );
    } else out.push(arg);
  }
  return { argv: out, warnings };
}

export function dispatch(original: readonly string[]): Dispatch {
  const { argv, warnings } = originalFlags(original);
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const flag = arg.startsWith("--") ? arg.split("=", 1)[0]! : arg;
    if (flag === "--home") {
      if (!arg.includes("=")) i++; // --home DIR may come before the command too
    } else if (flag === "--json") {
      // passed on to the command
    } else if (flag === "-h" || flag === "--help") {
      help = true;
    } else if (flag === "--version") {
      version = true;
    } else if (RUN_FLAGS.has(flag)) {
      return { type: "command", name: "run", args: [...argv], warnings };
    } else if (arg === "--") {
      break;
    } else if (arg.startsWith("-")) {
      return { type: "error", message: `unknown flag ${flag}; run \`god --help\` to list the commands.` };
    } else {
      const rest = [...argv.slice(0, i), ...argv.slice(i + 1)];
      if (arg === "help") return helpFor(argv.slice(i + 1));
      if (!isCommand(arg)) {
        return {
          type: "error",
          message: `unknown command "${arg}"; run \`god --help\` to list the commands.`,
        };
      }
      return { type: "command", name: arg, args: rest, warnings };
    }
  }
  return version && !help ? { type: "version" } : { type: "usage" };
}

/** `god help [COMMAND]`: the command's own `--help`, or the list. */
function helpFor(args: readonly string[]): Dispatch {
  const topic = args.find((arg) => !arg.startsWith("-"));
  if (topic === undefined) return { type: "usage" };
  if (!isCommand(topic)) {
    return { type: "error", message: `unknown command "${topic}"; run \`god --help\` to list the commands.` };
  }
  return { type: "command", name: topic, args: ["--help"], warnings: [] };
}

export function usage(): string {
  // A synopsis too long for the column gets its summary on the next line.
  const width = 38;
  const lines = Object.values(COMMANDS).map((entry) =>
    entry.synopsis.length <= width
      ? `  god ${entry.synopsis.padEnd(width)}  ${entry.summary}`
      : `  god ${entry.synopsis}\n${" ".repeat(width + 8)}${entry.summary}`,
  );
  return [
    "god: a process manager; simple loaders check and control complex programs.",
    "",
    "Usage:",
    ...lines,
    "  god --dir DIR...  (the original's form of `god run --dir DIR`; also -dir DIR, -dir=DIR)",
    "  god help COMMAND | god COMMAND --help | god --version",
    "",
    "Every command takes --home DIR (default: $GOD_HOME, else ~/.god); flags may stand anywhere after the command.",
    "Exit codes: 0 success, 1 the action failed, 2 usage error, 3 no daemon running at that home.",
    "",
  ].join("\n");
}
