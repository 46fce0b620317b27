// One line of a job's output as god hands it out: the ring buffer, `god logs`, followers. The same fields as
// the JSON log format (SPEC 7), so `god logs --json` prints one of these a line.

export type LogStream = "out" | "err";

export type LogRecord = {
  /** When god read the line (ISO 8601, ms). */
  t: string;
  job: string;
  pid: number;
  stream: LogStream;
  msg: string;
  /** The instance's index, for a job that runs more than one (SPEC 12). */
  instance?: number;
};
