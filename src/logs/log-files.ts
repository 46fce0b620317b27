// Reading a job's log files back for `god logs`: the last lines of JOB.log and its rotated files (read from
// the end, block by block, so a large file costs only what is asked for), each parsed back into a LogRecord
// whichever format wrote it.

import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import type { LogRecord } from "./log-record.js";

const BLOCK_BYTES = 64 * 1024;

/** JOB.log.1, JOB.log.2, ... are read until one is missing, or up to this many. */
const MAX_ROTATED_FILES = 100;

export interface ReadTailOptions {
  /** Read JOB.log only up to this size (what is known to be on disk); default its whole size. */
  currentSize?: number;
  /** Lines at the very end to leave out (the caller has them already). */
  skip?: number;
}

export function logFilePath(dir: string, job: string): string {
  return join(dir, `${job}.log`);
}

/** The last n records of a job's files, oldest first. */
export function readRecentRecords(
  dir: string,
  job: string,
  n: number,
  options: ReadTailOptions = {},
): LogRecord[] {
  const out: LogRecord[] = [];
  if (n <= 0) return out;
  let skip = options.skip ?? 0;
  const base = logFilePath(dir, job);
  // Newest file first; lines come newest first and are reversed at the end.
  for (let i = 0; i <= MAX_ROTATED_FILES && out.length < n; i++) {
    const path = i === 0 ? base : `${base}.${i}`;
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      if (i === 0) continue;
      break;
    }
    try {
      const stat = fstatSync(fd);
      const size =
        i === 0 && options.currentSize !== undefined ? Math.min(options.currentSize, stat.size) : stat.size;
      const fallback = new Date(stat.mtimeMs).toISOString();
      for (const line of linesBackward(fd, size)) {
        if (skip > 0) {
          skip--;
          continue;
        }
        out.push(parseLogLine(line.toString("utf8"), job, fallback));
        if (out.length >= n) break;
      }
    } finally {
      closeSync(fd);
    }
  }
  return out.reverse();
}

/** The lines of fd's first `size` bytes, last first, without their newlines. */
export function* linesBackward(fd: number, size: number): Generator<Buffer> {
  let end = size;
  if (end > 0) {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, end - 1);
    if (last[0] === 0x0a) end--;
  }
  // The bytes of the line being assembled, first piece last (blocks are read from the end).
  let pieces: Buffer[] = [];
  let pos = end;
  while (pos > 0) {
    const length = Math.min(BLOCK_BYTES, pos);
    pos -= length;
    const block = Buffer.allocUnsafe(length);
    readFully(fd, block, pos);
    let stop = length;
    let nl = block.lastIndexOf(0x0a, stop - 1);
    while (nl !== -1) {
      pieces.push(block.subarray(nl + 1, stop));
      yield joinReversed(pieces);
      pieces = [];
      stop = nl;
      nl = stop > 0 ? block.lastIndexOf(0x0a, stop - 1) : -1;
    }
    pieces.push(block.subarray(0, stop));
  }
  if (end > 0) yield joinReversed(pieces);
}

function readFully(fd: number, block: Buffer, position: number): void {
  let done = 0;
  while (done < block.length) {
    const n = readSync(fd, block, done, block.length - done, position + done);
    if (n === 0) {
      block.fill(0x0a, done);
      return;
    }
    done += n;
  }
}

function joinReversed(pieces: Buffer[]): Buffer {
  if (pieces.length === 1) return pieces[0]!;
  return Buffer.concat(pieces.reverse());
}

const TEXT_LINE =
  /^(?:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) )?([A-Za-z0-9_.-]{1,70})\[(\d+)\] (out|err)\| /;

/** A file line back as a record. A line in neither format (written by someone else) is kept whole as msg. */
export function parseLogLine(line: string, job: string, fallbackTime: string): LogRecord {
  if (line.startsWith('{"')) {
    const record = parseJsonLine(line, job, fallbackTime);
    if (record !== null) return record;
  }
  const match = TEXT_LINE.exec(line);
  if (match === null) return { t: fallbackTime, job, pid: 0, stream: "out", msg: line };
  const record: LogRecord = {
    t: match[1] ?? fallbackTime,
    job,
    pid: Number(match[3]),
    stream: match[4] === "err" ? "err" : "out",
    msg: line.slice(match[0].length),
  };
  // `JOB.K[PID]`: instance K of a job that runs several (the job's own name may hold dots too).
  const label = match[2]!;
  if (label !== job && label.startsWith(`${job}.`) && /^\d{1,4}$/.test(label.slice(job.length + 1))) {
    record.instance = Number(label.slice(job.length + 1));
  }
  return record;
}

function parseJsonLine(line: string, job: string, fallbackTime: string): LogRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v["msg"] !== "string" || typeof v["pid"] !== "number") return null;
  if (v["stream"] !== "out" && v["stream"] !== "err") return null;
  const record: LogRecord = {
    t: typeof v["t"] === "string" ? v["t"] : fallbackTime,
    job,
    pid: v["pid"],
    stream: v["stream"],
    msg: v["msg"],
  };
  if (typeof v["instance"] === "number") record.instance = v["instance"];
  return record;
}
