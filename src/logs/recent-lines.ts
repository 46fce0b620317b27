// The newest lines of a job, kept for `god logs` without touching the disk. It holds the batches exactly as
// they were written to the file (one Buffer each, shared with the file queue) and parses lines back out only
// when asked, so keeping them costs nothing per line. At least `capacity` lines are kept, in whole batches, and
// also every batch not yet on disk (the file queue holds those anyway): memory and files together always have
// every line, with no gap between them.

import type { LogRecord, LogStream } from "./log-record.js";

export interface WrittenBatch {
  /** Whole lines as written: each is PREFIX + message ("text") or PREFIX + JSON string + "}" ("json"), then "\n". */
  data: Buffer;
  lines: number;
  /** Bytes before each message. */
  prefixBytes: number;
  json: boolean;
  t: string;
  pid: number;
  instance: number | null;
  stream: LogStream;
  /** Lines handed to the file up to and including this batch: on disk once the file has completed as many. */
  endSeq: number;
}

/** A batch let go of: on disk, and no longer among the recent lines. */
export type EvictFn = (batch: WrittenBatch) => void;

export class RecentLines {
  readonly capacity: number;
  private batches: WrittenBatch[] = [];
  /** Index of the oldest batch kept. */
  private first = 0;
  private held = 0;

  private readonly onEvict: EvictFn | null;

  constructor(capacity: number, onEvict: EvictFn | null = null) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.onEvict = onEvict;
  }

  /** Lines held: at least min(capacity, lines pushed), and every line not yet on disk. */
  get size(): number {
    return this.held;
  }

  /** `completed`: lines on disk so far. */
  push(batch: WrittenBatch, completed: number): void {
    if (batch.lines === 0) return;
    this.batches.push(batch);
    this.held += batch.lines;
    this.trim(completed);
  }

  /** Lets go of the oldest batches beyond the capacity that are on disk. */
  trim(completed: number): void {
    while (this.batches.length > this.first) {
      const oldest = this.batches[this.first]!;
      if (this.held - oldest.lines < this.capacity || oldest.endSeq > completed) break;
      this.held -= oldest.lines;
      this.batches[this.first] = undefined as unknown as WrittenBatch;
      this.first++;
      this.onEvict?.(oldest);
    }
    if (this.first > 64 && this.first * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.first);
      this.first = 0;
    }
  }

  /** The newest n lines, oldest first. */
  last(n: number, job: string): LogRecord[] {
    const out: LogRecord[] = [];
    for (let b = this.batches.length - 1; b >= this.first && out.length < n; b--) {
      const batch = this.batches[b]!;
      const data = batch.data;
      // data ends with "\n"; walk its lines from the last one.
      let end = data.length - 1;
      while (end >= 0 && out.length < n) {
        const start = end > 0 ? data.lastIndexOf(0x0a, end - 1) + 1 : 0;
        const record: LogRecord = {
          t: batch.t,
          job,
          pid: batch.pid,
          stream: batch.stream,
          msg: message(batch, start, end),
        };
        if (batch.instance !== null) record.instance = batch.instance;
        out.push(record);
        end = start - 1;
      }
    }
    return out.reverse();
  }

  clear(): void {
    this.batches = [];
    this.first = 0;
    this.held = 0;
  }
}

function message(batch: WrittenBatch, start: number, end: number): string {
  const from = start + batch.prefixBytes;
  if (!batch.json) return batch.data.toString("utf8", from, end);
  try {
    const msg: unknown = JSON.parse(batch.data.toString("utf8", from, end - 1));
    return typeof msg === "string" ? msg : String(msg);
  } catch {
    return batch.data.toString("utf8", from, end);
  }
}
