// `god logs [JOB...] [-f] [-n N] [--json]`: the newest lines of the jobs (all when none is named), merged in time
// order, as text lines or one JSON record a line; with -f, then every new line until the daemon ends the stream.

import type { LogRecord } from "../../logs/log-record.js";
import { AnswerShapeError, connect } from "../client.js";
import { runCommand, UsageError } from "../command.js";

export const DEFAULT_LINES = 20;
const MAX_LINES = 100_000;

const definition = {
  name: "logs",
  usage: `Usage: god logs [JOB...] [-f] [-n N] [--json] [--home DIR]

Prints the newest lines of the named jobs (default: every job), merged in time order, from god's memory and
the jobs' log files (logs/JOB.log and its rotated files).
  -n, --lines N  how many lines (default ${DEFAULT_LINES}); 0 with -f prints only new lines
  -f, --follow   then print every new line until interrupted or the daemon ends the stream
  --json         one JSON object a line: {"t","job","pid","instance"?,"stream","msg"}
  --home DIR     the god to ask (default: $GOD_HOME, else ~/.god)

Text lines look like the log files: 2026-11-25T15:00:00.123Z backend[4242] out| the line
(backend.2[4242] for instance 2 of a job that runs several).`,
  options: {
    follow: { type: "boolean", short: "f" },
    lines: { type: "string", short: "n" },
    json: { type: "boolean" },
  },
} as const;

export function main(args: string[]): Promise<number> {
  return runCommand(definition, args, async ({ values, positionals, home }) => {
    const n = lineCount(values.lines);
    const jobs = [...new Set(positionals)];
    const render = values.json ? renderJson : renderText;
    const client = await connect(home);
    if (!values.follow) {
      try {
        const answer = await client.request("logs", { jobs, n, follow: false });
        process.stdout.write(asRecords(answer).map(render).join(""));
        return 0;
      } finally {
        client.close();
      }
    }
    // Lines may be announced before the answer with the recent ones is read: they wait to keep the order.
    let early: LogRecord[] | null = [];
    let reason: string | null = null;
    const ended = new Promise<void>((resolve) => client.onClose(resolve));
    client.onNotification((method, params) => {
      if (method === "log-closed" && isObject(params) && typeof params["reason"] === "string") {
        reason = params["reason"];
        return;
      }
      if (method !== "log" || !isLogRecord(params)) return;
      if (early !== null) early.push(params);
      else process.stdout.write(render(params));
    });
    try {
      const answer = await client.request("logs", { jobs, n, follow: true });
      process.stdout.write(asRecords(answer).concat(early).map(render).join(""));
      early = null;
    } catch (error) {
      client.close();
      throw error;
    }
    await ended;
    process.stderr.write(`god: ${reason ?? `the daemon at ${home} ended the log stream`}\n`);
    return 1;
  });
}

function lineCount(text: string | null): number {
  if (text === null) return DEFAULT_LINES;
  if (!/^\d+$/.test(text) || Number(text) > MAX_LINES) {
    throw new UsageError(
      `-n needs a whole number of lines from 0 to ${MAX_LINES}, not "${text}"; run \`god logs --help\`.`,
    );
  }
  return Number(text);
}

export function renderText(record: LogRecord): string {
  const label = record.instance === undefined ? record.job : `${record.job}.${record.instance}`;
  return `${record.t} ${label}[${record.pid}] ${record.stream}| ${record.msg}\n`;
}

/** The record as the daemon sent it: fields added later pass through, as with every --json output. */
function renderJson(record: LogRecord): string {
  return JSON.stringify(record) + "\n";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isLogRecord(value: unknown): value is LogRecord {
  return (
    isObject(value) &&
    typeof value["t"] === "string" &&
    typeof value["job"] === "string" &&
    typeof value["pid"] === "number" &&
    (value["stream"] === "out" || value["stream"] === "err") &&
    typeof value["msg"] === "string"
  );
}

function asRecords(answer: unknown): LogRecord[] {
  if (isObject(answer) && Array.isArray(answer["records"]) && answer["records"].every(isLogRecord)) {
    return answer["records"];
  }
  throw new AnswerShapeError(
    `the daemon's answer to "logs" has an unexpected shape; is it running the same version of watchgod as this god?`,
  );
}
