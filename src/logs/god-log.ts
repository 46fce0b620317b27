// god's own log: one JSON object a line with pino's field names (level as a number, time in ms, msg), to god's
// stdout and to logs/god.log, so tools that read pino read it. Writes are synchronous: these lines are few,
// and the ones written just before an exit must not be lost.

import { closeSync, openSync, writeSync } from "node:fs";

export type LevelName = "debug" | "info" | "warn" | "error" | "fatal";

const LEVELS: Record<LevelName, number> = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export type LogFields = Record<string, unknown>;

export interface GodLogOptions {
  /** Path of god.log, or null for none. */
  file: string | null;
  /** Also write to this fd (1 = god's stdout), or null. */
  fd: number | null;
  minLevel?: LevelName;
}

export class GodLog {
  private fileFd: number | null = null;
  private readonly options: GodLogOptions;

  constructor(options: GodLogOptions) {
    this.options = options;
    this.reopen();
  }

  debug(msg: string, fields: LogFields = {}): void {
    this.write("debug", msg, fields);
  }
  info(msg: string, fields: LogFields = {}): void {
    this.write("info", msg, fields);
  }
  warn(msg: string, fields: LogFields = {}): void {
    this.write("warn", msg, fields);
  }
  error(msg: string, fields: LogFields = {}): void {
    this.write("error", msg, fields);
  }
  fatal(msg: string, fields: LogFields = {}): void {
    this.write("fatal", msg, fields);
  }

  /** Opens the file anew (after an external logrotate moved it). */
  reopen(): void {
    if (this.options.file === null) return;
    const previous = this.fileFd;
    this.fileFd = openSync(this.options.file, "a", 0o600);
    if (previous !== null) closeSync(previous);
  }

  close(): void {
    if (this.fileFd !== null) closeSync(this.fileFd);
    this.fileFd = null;
  }

  write(level: LevelName, msg: string, fields: LogFields): void {
    if (LEVELS[level] < LEVELS[this.options.minLevel ?? "info"]) return;
    const line =
      JSON.stringify({ level: LEVELS[level], time: Date.now(), pid: process.pid, ...fields, msg }) + "\n";
    for (const fd of [this.options.fd, this.fileFd]) {
      if (fd === null) continue;
      try {
        writeSync(fd, line);
      } catch {
        // A closed stdout (EPIPE) must not take god down; the file still gets the line.
      }
    }
  }
}
