// A job's log file: appends whole lines to dir/JOB.log and rotates it by size (JOB.log.1 newest .. JOB.log.N).
// A write goes to the file at once, synchronously, while the file is healthy and nothing waits: what god has
// read from a job's pipe is on disk before it reads the next chunk, so a god killed with SIGKILL loses no line
// it had taken from a pipe (the next god reads on from the pipe: SPEC 13), except the one chunk it was writing
// at that instant. Writes to a page cache take microseconds; a disk that blocks would block god (a trade
// supervisord makes too). After a failure, and while anything is queued, writes are queued instead and go out
// as one writev each, retried as below. Rotation happens only between writes and only at a line boundary, so no
// line is torn or lost across files. The queue has a high-water mark: past it write() says false and the
// writer waits for the drain (backpressure). SIGUSR1's reopen also happens between writes. god's own log writes
// through writeNow(): synchronously, with the same rotation, and nothing kept when it fails.
//
// A file that cannot be written (a full disk, a removed directory, an I/O error) holds its writers back for
// holdMs while the write is retried: a short spell loses nothing. Past that, lines are dropped and counted
// (onDropped) instead of blocking the job for as long as the disk stays full, each new batch is tried once,
// and the first that is written ends the spell (onResumed). A line the failure cut in two is ended with a
// newline before the next, so the file holds no torn line joined to another.

import { closeSync, fstatSync, openSync, renameSync, unlinkSync, writeSync, writev } from "node:fs";

export interface RotateOptions {
  /** Rotate before a write would take the file past this size. */
  maxBytes: number;
  /** Rotated files kept: JOB.log.1 (newest) .. JOB.log.keep. 0 keeps none. */
  keep: number;
}

export const DEFAULT_ROTATE: RotateOptions = { maxBytes: 10 * 1024 * 1024, keep: 5 };

/** Where a JobLog's lines go. The RotatingFile is the real one; tests may pass their own. */
export interface LogSink {
  /** Queues whole lines (`lines` of them). Returns false past the high-water mark: wait for a drain. */
  write(data: Buffer, lines: number): boolean;
  /** Called each time the queue falls back under the high-water mark after a write returned false. */
  onDrain(fn: () => void): void;
  /**
   * Lines the file is done with: written to disk, or dropped because they could not be (counted); the rest is
   * still queued. And the bytes of the current file on disk.
   */
  readonly completedLines: number;
  readonly completedSize: number;
  reopen(): void;
  /** Writes what is queued, then closes. */
  close(): Promise<void>;
}

export interface RotatingFileOptions {
  rotate?: RotateOptions;
  /** Bytes queued (written or not) before write() returns false. */
  highWaterBytes?: number;
  /**
   * A rotation or reopen failed, or a write failed after a run of good ones (the first failure of a spell).
   * Writes are retried every retryMs for holdMs, then dropped and counted until one is written.
   */
  onError?: (error: Error) => void;
  retryMs?: number;
  /** How long a failing file holds its writers back before lines are dropped (default DEFAULT_HOLD_MS). */
  holdMs?: number;
  /** Lines dropped: a batch that could not be written once the file had failed for holdMs. */
  onDropped?: (lines: number) => void;
  /** A write succeeded after lines were dropped. */
  onResumed?: () => void;
}

const DEFAULT_HIGH_WATER_BYTES = 1024 * 1024;
/** A full disk blocks the job this long at most; then its lines are dropped and counted. */
export const DEFAULT_HOLD_MS = 5000;
const NEWLINE = Buffer.from("\n");

interface Queued {
  data: Buffer;
  lines: number;
}

export class RotatingFile implements LogSink {
  readonly path: string;
  private readonly rotate: RotateOptions;
  private readonly highWaterBytes: number;
  private readonly retryMs: number;
  private readonly onError: (error: Error) => void;
  private readonly holdMs: number;
  private readonly onDropped: (lines: number) => void;
  private readonly onResumed: () => void;
  /** When the current spell of failed writes began, or null while writes succeed. */
  private failingSinceMs: number | null = null;
  /** Past holdMs of failures: batches are tried once and dropped if they fail. */
  private dropping = false;
  /** The file ends with a newline (or is empty): false after a failure cut a line. */
  private atLineStart = true;
  private fd: number;
  private size: number;
  private lines = 0;
  private readonly queue: Queued[] = [];
  /** Bytes queued or being written. */
  private pendingBytes = 0;
  private writing = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private reopenWanted = false;
  private drainWanted = false;
  private readonly drainFns: Array<() => void> = [];
  private closing: Array<() => void> | null = null;
  private closed = false;

  constructor(path: string, options: RotatingFileOptions = {}) {
    this.path = path;
    this.rotate = options.rotate ?? DEFAULT_ROTATE;
    this.highWaterBytes = options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES;
    this.retryMs = options.retryMs ?? 250;
    this.onError = options.onError ?? (() => {});
    this.holdMs = options.holdMs ?? DEFAULT_HOLD_MS;
    this.onDropped = options.onDropped ?? (() => {});
    this.onResumed = options.onResumed ?? (() => {});
    this.fd = openSync(path, "a", 0o600);
    this.size = fstatSync(this.fd).size;
  }

  get completedLines(): number {
    return this.lines;
  }

  get completedSize(): number {
    return this.size;
  }

  /** Bytes queued or being written. */
  get pending(): number {
    return this.pendingBytes;
  }

  write(data: Buffer, lines: number): boolean {
    if (this.closed || data.length === 0) return true;
    if (
      this.queue.length === 0 &&
      !this.writing &&
      this.retryTimer === null &&
      this.failingSinceMs === null &&
      this.closing === null
    ) {
      const rest = this.writeSyncNow(data);
      if (rest === null) return true;
      // The write failed part way: the rest goes through the queue, retried (and held, then dropped) below.
      data = rest;
      lines = countNewlines(rest);
    }
    this.queue.push({ data, lines });
    this.pendingBytes += data.length;
    if (!this.writing && this.retryTimer === null) this.next();
    if (this.pendingBytes < this.highWaterBytes) return true;
    this.drainWanted = true;
    return false;
  }

  /**
   * Writes whole lines now, synchronously, rotating first when they would take the file past maxBytes: for
   * god's own log, whose lines are few and must be on disk before an exit. Behind queued writes it queues too.
   * Returns false when the write failed (reported to onError; the lines are not kept).
   */
  writeNow(data: Buffer, lines: number): boolean {
    if (this.closed || data.length === 0) return true;
    if (this.writing || this.retryTimer !== null || this.queue.length > 0) {
      this.write(data, lines);
      return true;
    }
    if (this.reopenWanted) this.doReopen();
    if (this.size > 0 && this.size + data.length > this.rotate.maxBytes) this.rotateNow();
    const out = this.atLineStart ? data : Buffer.concat([NEWLINE, data]);
    let done = 0;
    try {
      if (this.fd < 0) throw new Error(`${this.path} is not open`);
      while (done < out.length) done += writeSync(this.fd, out, done);
    } catch (error) {
      this.size += done;
      if (done > 0) this.atLineStart = out[done - 1] === 0x0a;
      this.onError(error as Error);
      // The next write tries to open the file again.
      if (this.fd < 0) this.reopenWanted = true;
      return false;
    }
    this.size += done;
    this.atLineStart = true;
    this.failingSinceMs = null;
    this.lines += lines;
    return true;
  }

  /**
   * Writes whole lines now, rotating at a line boundary when they would take the file past maxBytes (as next()
   * does). Returns null once everything is written, else what is left after a failure (the failure is not
   * reported here: the queued retry meets it again and starts the spell).
   */
  private writeSyncNow(data: Buffer): Buffer | null {
    let rest = data;
    // Bounded: each turn writes whole lines or rotates, and a rotation leaves an empty file for the next turn.
    const turns = 4 + 2 * Math.ceil(data.length / Math.max(1, this.rotate.maxBytes));
    for (let turn = 0; turn < turns; turn++) {
      if (rest.length === 0) return null;
      if (this.reopenWanted) this.doReopen();
      if (this.fd < 0) return rest;
      const room = this.rotate.maxBytes - this.size;
      let head = rest;
      if (rest.length > room) {
        // Whole lines that fit; a single line larger than a whole file goes alone into an empty one.
        let cut = room > 0 ? rest.lastIndexOf(0x0a, room - 1) : -1;
        if (cut === -1 && this.size === 0) cut = rest.indexOf(0x0a);
        if (cut === -1) {
          this.rotateNow();
          continue;
        }
        head = rest.subarray(0, cut + 1);
      }
      const out = this.atLineStart ? head : Buffer.concat([NEWLINE, head]);
      let done = 0;
      try {
        while (done < out.length) done += writeSync(this.fd, out, done);
      } catch {
        this.size += done;
        if (done > 0) this.atLineStart = out[done - 1] === 0x0a;
        const written = Math.max(0, done - (out.length - head.length));
        this.lines += countNewlines(rest.subarray(0, written));
        return rest.subarray(written);
      }
      this.size += done;
      this.atLineStart = true;
      this.lines += countNewlines(head);
      rest = rest.subarray(head.length);
      if (rest.length > 0) this.rotateNow();
    }
    return rest.length === 0 ? null : rest;
  }

  onDrain(fn: () => void): void {
    this.drainFns.push(fn);
  }

  reopen(): void {
    if (this.closed) return;
    this.reopenWanted = true;
    if (!this.writing) this.doReopen();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.closing === null) this.closing = [];
      this.closing.push(resolve);
      if (!this.writing && this.retryTimer === null) this.next();
    });
  }

  /** Starts the next write: everything queued that fits in the current file. */
  private next(): void {
    if (this.reopenWanted) this.doReopen();
    if (this.queue.length === 0) {
      if (this.closing !== null) this.finishClose();
      return;
    }
    const room = this.rotate.maxBytes - this.size;
    const bufs: Buffer[] = [];
    let bytes = 0;
    let lines = 0;
    let full = false;
    while (this.queue.length > 0) {
      const item = this.queue[0]!;
      if (bytes + item.data.length <= room) {
        bufs.push(item.data);
        bytes += item.data.length;
        lines += item.lines;
        this.queue.shift();
        continue;
      }
      full = true;
      // Take the item's whole lines that still fit; a single line larger than a whole file goes alone.
      let cut = room - bytes > 0 ? item.data.lastIndexOf(0x0a, room - bytes - 1) : -1;
      if (cut === -1 && bytes === 0 && this.size === 0) cut = item.data.indexOf(0x0a);
      if (cut !== -1) {
        const head = item.data.subarray(0, cut + 1);
        const headLines = countNewlines(head);
        bufs.push(head);
        bytes += head.length;
        lines += headLines;
        item.data = item.data.subarray(cut + 1);
        item.lines -= headLines;
        if (item.data.length === 0) this.queue.shift();
      }
      break;
    }
    if (bytes === 0) {
      // Nothing fits in what is left of this file.
      this.rotateNow();
      this.next();
      return;
    }
    if (!this.atLineStart) {
      bufs.unshift(NEWLINE);
      bytes += 1;
      this.pendingBytes += 1;
    }
    this.writing = true;
    this.writeAll(bufs, bytes, lines, full);
  }

  private writeAll(bufs: Buffer[], bytes: number, lines: number, rotateAfter: boolean): void {
    if (this.fd < 0) {
      // The file could not be opened (its directory is gone): a failed write like any other, never a throw.
      const error = new Error(`${this.path} is not open: it could not be opened again`);
      setImmediate(() => this.failed(error, bufs, bytes, lines, rotateAfter));
      return;
    }
    writev(this.fd, bufs, (error, written) => {
      if (error) {
        this.failed(error, bufs, bytes, lines, rotateAfter);
        return;
      }
      if (written < bytes) {
        // Cut inside the batch: if the rest is dropped, the file may end inside a line.
        if (written > 0) this.atLineStart = endsWithNewline(bufs, written);
        this.size += written;
        this.pendingBytes -= written;
        this.writeAll(dropBytes(bufs, written), bytes - written, lines, rotateAfter);
        return;
      }
      this.writing = false;
      this.atLineStart = true;
      this.size += written;
      this.lines += lines;
      this.pendingBytes -= bytes;
      if (this.failingSinceMs !== null) {
        this.failingSinceMs = null;
        if (this.dropping) {
          this.dropping = false;
          this.onResumed();
        }
      }
      this.settle();
      if (rotateAfter) this.rotateNow();
      this.next();
    });
  }

  /** Bytes left the queue: wake the writers that waited. */
  private settle(): void {
    if (this.drainWanted && this.pendingBytes < this.highWaterBytes) {
      this.drainWanted = false;
      for (const fn of this.drainFns) fn();
    }
  }

  /** A write of `bufs` failed: retried while the spell is shorter than holdMs, else dropped and counted. */
  private failed(error: Error, bufs: Buffer[], bytes: number, lines: number, rotateAfter: boolean): void {
    const now = Date.now();
    if (this.failingSinceMs === null) {
      this.failingSinceMs = now;
      this.onError(error);
    }
    // The lines of what is left of this batch (a write cut inside it wrote the others), without the newline
    // that ends a line cut earlier.
    const lost = countNewlines(bufs) - (bufs[0] === NEWLINE ? 1 : 0);
    if (this.closing !== null) {
      // Closing (god is exiting): waiting on a broken disk would hang the shutdown. What is left is counted.
      const left = lost + this.queue.reduce((sum, item) => sum + item.lines, 0);
      this.queue.length = 0;
      this.pendingBytes = 0;
      this.writing = false;
      if (left > 0) this.onDropped(left);
      this.finishClose();
      return;
    }
    if (this.dropping || now - this.failingSinceMs >= this.holdMs) {
      this.dropping = true;
      this.lines += lines;
      this.pendingBytes -= bytes;
      this.writing = false;
      this.onDropped(lost);
      this.settle();
      if (rotateAfter) this.rotateNow();
      if (this.reopenWanted) this.doReopen();
      this.next();
      return;
    }
    // `writing` stays true while the retry waits: nothing else may start a write or rotate.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.reopenWanted) this.doReopen();
      this.writeAll(bufs, bytes, lines, rotateAfter);
    }, this.retryMs);
  }

  /**
   * A failure beside the writes (close, rename, open): it starts a spell of failures like a failed write does,
   * reported once; the next write that succeeds ends it.
   */
  private problem(error: Error): void {
    if (this.failingSinceMs !== null) return;
    this.failingSinceMs = Date.now();
    this.onError(error);
  }

  private rotateNow(): void {
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch (error) {
      this.problem(error as Error);
    }
    try {
      if (this.rotate.keep <= 0) {
        unlinkIfExists(this.path);
      } else {
        for (let i = this.rotate.keep - 1; i >= 1; i--)
          renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        renameSync(this.path, `${this.path}.1`);
      }
    } catch (error) {
      this.problem(error as Error);
    }
    this.openCurrent();
  }

  private doReopen(): void {
    this.reopenWanted = false;
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch (error) {
      this.problem(error as Error);
    }
    this.openCurrent();
  }

  private openCurrent(): void {
    try {
      this.fd = openSync(this.path, "a", 0o600);
      this.size = fstatSync(this.fd).size;
      if (this.size === 0) this.atLineStart = true;
    } catch (error) {
      // Without a file the next write fails and is retried, which reopens first.
      this.problem(error as Error);
      this.reopenWanted = true;
      this.fd = -1;
      this.size = 0;
    }
  }

  private finishClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    try {
      if (this.fd >= 0) closeSync(this.fd);
    } catch (error) {
      this.onError(error as Error);
    }
    this.fd = -1;
    const waiting = this.closing ?? [];
    this.closing = null;
    for (const resolve of waiting) resolve();
    this.drainWanted = false;
    for (const fn of this.drainFns) fn();
  }
}

function countNewlines(data: Buffer | Buffer[]): number {
  if (Array.isArray(data)) return data.reduce((sum, buf) => sum + countNewlines(buf), 0);
  let count = 0;
  let at = data.indexOf(0x0a);
  while (at !== -1) {
    count++;
    at = data.indexOf(0x0a, at + 1);
  }
  return count;
}

/** Whether the first n bytes of bufs end with a newline. */
function endsWithNewline(bufs: Buffer[], n: number): boolean {
  for (const buf of bufs) {
    if (n <= buf.length) return buf[n - 1] === 0x0a;
    n -= buf.length;
  }
  return true;
}

function dropBytes(bufs: Buffer[], n: number): Buffer[] {
  const out: Buffer[] = [];
  for (const buf of bufs) {
    if (n >= buf.length) {
      n -= buf.length;
      continue;
    }
    out.push(n > 0 ? buf.subarray(n) : buf);
    n = 0;
  }
  return out;
}

function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

function unlinkIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
