// The systemd unit that runs god in the foreground (`god startup`). Pure text, so it is tested without systemd.
// Quoting follows systemd.syntax(7): `%` starts a specifier and `$` a variable in Exec lines, so both are
// doubled; a word with anything but plain path characters is double-quoted with C escapes.

import { UPGRADE_EXIT_CODE } from "../protocol/errors.js";

export interface UnitOptions {
  /** The node that runs god, resolved when the unit is written. */
  nodePath: string;
  /** god's main.js, absolute. */
  mainPath: string;
  home: string;
  dirs: string[];
  loaders: string[];
  /** A user unit (`systemctl --user`) rather than a system one. */
  user: boolean;
  /** PATH for god and its jobs: the one of the shell that wrote the unit, as PM2's startup does. */
  path: string | null;
  /** Adopt the jobs of a god that died (the default); false runs `god run --no-adopt`. */
  adopt: boolean;
  /** `god run --warm-starts N`, or null for god's default. */
  warmStarts?: number | null;
  /** The command that rewrites the unit, for the message when node is gone. */
  rerun: string;
}

export const UNIT_NAME = "watchgod.service";

export function systemdUnit(options: UnitOptions): string {
  const run = [
    options.nodePath,
    options.mainPath,
    "run",
    "--home",
    options.home,
    ...options.dirs.flatMap((dir) => ["--dir", dir]),
    ...options.loaders.flatMap((loader) => ["--loader", loader]),
    ...(options.adopt ? [] : ["--no-adopt"]),
    ...(options.warmStarts == null ? [] : ["--warm-starts", String(options.warmStarts)]),
  ];
  const gone = `watchgod: ${options.nodePath} is gone (Node upgraded?); run ${options.rerun} again`;
  const check = `test -x ${shellQuote(options.nodePath)} || { echo ${shellQuote(gone)} >&2; exit 1; }`;
  const lines = [
    "# Written by `god startup`. Run it again after upgrading Node or watchgod.",
    "[Unit]",
    "Description=watchgod process manager (god)",
    ...(options.user ? [] : ["Wants=network-online.target", "After=network-online.target"]),
    "",
    "[Service]",
    "Type=simple",
    `Environment=${environment("GOD_HOME", options.home)}`,
    ...(options.adopt
      ? [
          "# Tells god that this unit starts it again after `god upgrade` (it then exits with 75).",
          `Environment=${environment("GOD_UNIT", UNIT_NAME)}`,
        ]
      : []),
    ...(options.path === null ? [] : [`Environment=${environment("PATH", options.path)}`]),
    "# The node below was resolved when this unit was written; say so clearly if it has gone since.",
    `ExecStartPre=${["/bin/sh", "-c", check].map(execWord).join(" ")}`,
    `ExecStart=${run.map(execWord).join(" ")}`,
    "Restart=on-failure",
    "RestartSec=1",
    "# `god upgrade`: the old god leaves its jobs running and exits with 75; the unit starts the new one.",
    `SuccessExitStatus=${UPGRADE_EXIT_CODE}`,
    `RestartForceExitStatus=${UPGRADE_EXIT_CODE}`,
    ...(options.adopt
      ? [
          "# Only god gets the stop signal (it stops the jobs itself); a god that dies leaves its jobs to the next.",
        ]
      : []),
    `KillMode=${options.adopt ? "process" : "control-group"}`,
    "",
    "[Install]",
    `WantedBy=${options.user ? "default.target" : "multi-user.target"}`,
    "",
  ];
  return lines.join("\n");
}

/** One word of an Exec line. */
export function execWord(word: string): string {
  const escaped = word.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (/^[A-Za-z0-9_@+=:,./-]+$/.test(word)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** An Environment= assignment, quoted as one word. */
export function environment(name: string, value: string): string {
  const escaped = value.replaceAll("%", "%%").replaceAll("\\", "\\\\").replaceAll('"', '\\"');
  return `"${name}=${escaped}"`;
}

/** POSIX shell single quoting. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
