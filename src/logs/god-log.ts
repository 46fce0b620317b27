// god's own log: one JSON object a line with pino's field names (level as a number, time in ms, msg), to god's
// stdout and to logs/god.log, so tools that read pino read it. Writes are synchronous: these lines are few,
// and the ones written just before an exit must not be lost. god.log is rotated by size like a job's log (10
// MiB, 5 files kept by default). Lines about one loader (those with a `loader` field: its stderr, its `log`
// notifications, its malformed lines, god's notes on it) are limited to a budget a minute, so no loader can
// flood this log; what is left out is counted and reported.

import { writeSync } from "node:fs";
import { LineBudget } from "./line-budget.js";
import { DEFAULT_ROTATE, type RotateOptions, RotatingFile } from "./rotating-file.js";

export type LevelName = "debug" | "info" | "warn" | "error" | "fatal";

const LEVELS: Record<LevelName, number> = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

/** Lines about one loader logged per minute before the rest are only counted. */
export const LOADER_LINES_PER_MINUTE = 100;
/** A message longer than this is cut (a loader's stderr line may be 64 KiB). */
export const MAX_MSG_CHARS = 4096;

export type LogFields = Record<string, unknown>;

export interface GodLogOptions {
  /** Path of god.log, or null for none. */
  file: string | null;
  /** Also write to this fd (1 = god's stdout), or null. */
  fd: number | null;
  minLevel?: LevelName;
  /** god.log's rotation (default: a job's, 10 MiB and 5 files). */
  rotate?: RotateOptions;
  /** Lines about one loader logged per minute (default LOADER_LINES_PER_MINUTE). */
  loaderLinesPerMinute?: number;
  now?: () => number;
}

export class GodLog {
  private file: RotatingFile | null = null;
  private readonly options: GodLogOptions;
  private readonly now: () => number;
  private readonly budget: LineBudget;

  constructor(options: GodLogOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.budget = new LineBudget({
      perWindow: options.loaderLinesPerMinute ?? LOADER_LINES_PER_MINUTE,
      windowMs: 60_000,
      now: this.now,
      report: (loader, dropped, final) => {
        const per = options.loaderLinesPerMinute ?? LOADER_LINES_PER_MINUTE;
        if (final)
          this.emit(
            "warn",
            `${dropped} line(s) about loader ${loader} were left out of this log in the last minute`,
            {
              loader,
              dropped,
            },
          );
        else
          this.emit(
            "warn",
            `loader ${loader} has had more than ${per} lines in this log this minute; the rest of the minute's are counted, not logged (see its own output)`,
            { loader },
          );
      },
    });
    if (options.file !== null) {
      this.file = new RotatingFile(options.file, {
        rotate: options.rotate ?? DEFAULT_ROTATE,
        // A full disk or a removed directory: the line still goes to stdout, and the next write tries again.
        onError: () => {},
      });
    }
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
    this.file?.reopen();
  }

  close(): void {
    this.budget.close();
    void this.file?.close();
    this.file = null;
  }

  write(level: LevelName, msg: string, fields: LogFields): void {
    if (LEVELS[level] < LEVELS[this.options.minLevel ?? "info"]) return;
    const loader = fields["loader"];
    if (typeof loader === "string" && !this.budget.take(loader)) return;
    this.emit(level, msg, fields);
  }

  private emit(level: LevelName, msg: string, fields: LogFields): void {
    const text =
      msg.length > MAX_MSG_CHARS ? `${msg.slice(0, MAX_MSG_CHARS)}... (${msg.length} characters)` : msg;
    const line = `${JSON.stringify({ level: LEVELS[level], time: this.now(), pid: process.pid, ...fields, msg: text })}\n`;
    if (this.options.fd !== null) {
      try {
        writeSync(this.options.fd, line);
      } catch {
        // A closed stdout (EPIPE) must not take god down; the file still gets the line.
      }
    }
    this.file?.writeNow(Buffer.from(line), 1);
  }
}
