// `god startup [--install] [--user] [--dir DIR]... [--loader PATH]... [--no-adopt] [--warm-starts N] [--home DIR]`:
// prints, or writes, the systemd unit that runs god at boot. It never runs systemctl: it prints the commands to run.

import { mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expectPositionals, runCommand } from "../command.js";
import { systemdUnit, UNIT_NAME } from "../systemd-unit.js";
import { warmStartsFlag } from "../warm-starts.js";

const definition = {
  name: "startup",
  usage: `Usage: god startup [--install] [--user] [--dir DIR]... [--loader PATH]... [--no-adopt] [--warm-starts N]
                   [--home DIR]

Prints a systemd unit that runs \`god run\` in the foreground at boot, with this node (${process.execPath})
and this god, restarted on failure; jobs outlive a restart of god, which adopts them.
  --install      write it to /etc/systemd/system/${UNIT_NAME} (or, with --user, to
                 ~/.config/systemd/user/${UNIT_NAME}) and print the systemctl commands to run
  --user         a user unit (systemctl --user), started at boot once lingering is enabled
  --dir DIR      a loader directory for god to run (repeatable)
  --loader PATH  a single loader (repeatable)
  --no-adopt     god stops the jobs of a god that died instead of adopting them
  --warm-starts N
                 passed to \`god run\`: how many restarted instances get their next process forked ahead
  --home DIR     god's home in the unit (default: $GOD_HOME, else ~/.god)
Run it again after upgrading Node: the unit names the node it found, and says so when that node is gone.`,
  options: {
    install: { type: "boolean" },
    user: { type: "boolean" },
    dir: { type: "string", multiple: true },
    loader: { type: "string", multiple: true },
    "no-adopt": { type: "boolean" },
    "warm-starts": { type: "string" },
  },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    expectPositionals("startup", positionals, 0, 0, "no arguments besides its flags");
    const warmStarts = warmStartsFlag(values["warm-starts"]);
    const dirs = values.dir.map((dir) => resolve(dir));
    const loaders = values.loader.map((loader) => resolve(loader));
    const rerun = [
      "god startup --install",
      ...(values.user ? ["--user"] : []),
      "--home",
      home,
      ...dirs.flatMap((dir) => ["--dir", dir]),
      ...loaders.flatMap((loader) => ["--loader", loader]),
      ...(values["no-adopt"] ? ["--no-adopt"] : []),
      ...(warmStarts === null ? [] : ["--warm-starts", String(warmStarts)]),
    ].join(" ");
    const unit = systemdUnit({
      nodePath: process.execPath,
      mainPath: fileURLToPath(new URL("../main.js", import.meta.url)),
      home,
      dirs,
      loaders,
      user: values.user,
      path: process.env["PATH"] ?? null,
      adopt: !values["no-adopt"],
      warmStarts,
      rerun,
    });
    if (dirs.length === 0 && loaders.length === 0) {
      process.stderr.write(
        `god: note: no --dir or --loader given, so god will run only the jobs of ${join(home, "jobs")} (god add).\n`,
      );
    }
    if (!values.install) {
      process.stdout.write(unit);
      return 0;
    }
    const dir = values.user
      ? join(process.env["XDG_CONFIG_HOME"] || join(homedir(), ".config"), "systemd", "user")
      : "/etc/systemd/system";
    const path = join(dir, UNIT_NAME);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileSync(path, unit, { mode: 0o644 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      const fix = values.user
        ? `check that ${dir} is a directory you can write to`
        : "run it as root (sudo god startup --install ...), or add --user for a unit of your own";
      process.stderr.write(`god: cannot write ${path} (${code}); ${fix}.\n`);
      return 1;
    }
    const systemctl = values.user ? "systemctl --user" : "systemctl";
    const steps = [
      `${systemctl} daemon-reload`,
      `${systemctl} enable --now ${UNIT_NAME}`,
      ...(values.user ? [`loginctl enable-linger ${process.env["USER"] ?? "$USER"}`] : []),
    ];
    process.stdout.write(
      `wrote ${path}\nNow run:\n${steps.map((step) => `  ${step}\n`).join("")}` +
        (values.user ? "(enable-linger starts your user's units at boot, without a login.)\n" : ""),
    );
    return 0;
  });
}
