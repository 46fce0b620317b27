// A job's output: every line of every instance's stdout and stderr, framed per stream, transformed (time,
// text or JSON, redaction) and written to logs/JOB.log, the newest lines also kept in memory. A pipe is read
// only as fast as the file takes its lines: past the file's high-water mark reading stops, so the job blocks
// on its full pipe, god's memory stays bounded, and nothing is dropped. Only a file that cannot be written
// at all for longer than its hold (a full disk) drops lines, counted (rotating-file.ts).

import { mkdirSync } from "node:fs";
import type { Readable } from "node:stream";
import { sharedBufferPool } from "./buffer-pool.js";
import { type Alloc, LineFormat, LineHead, type LogsConfig } from "./line-format.js";
import { LineBatch, LineSplitter } from "./line-splitter.js";
import { logFilePath, readRecentRecords } from "./log-files.js";
import type { LogRecord, LogStream } from "./log-record.js";
import { PipeReadable } from "./output-pipe.js";
import { RecentLines } from "./recent-lines.js";
import { type LogSink, type RotateOptions, RotatingFile } from "./rotating-file.js";

export type { LogsConfig } from "./line-format.js";
export type { LogRecord, LogStream } from "./log-record.js";
export type { RotateOptions } from "./rotating-file.js";

export const DEFAULT_RING_LINES = 1000;

/**
 * After a read smaller than this from a real pipe, reading rests for REST_MS: the pipe (64 KiB) gathers the
 * job's next lines meanwhile, so god wakes once per many lines instead of once per line, and a job writing a
 * line at a time is not slowed by god's wake-ups. At most REST_MS of delay, and no cost to a quiet job.
 */
const REST_BELOW_BYTES = 16 * 1024;
const REST_MS = 1;
/**
 * A batch smaller than this gets a buffer of its own size instead of a pooled one: the pool's smallest is 4
 * KiB, and the recent lines keep 1000 lines in whole batches, so a job writing a line at a time pinned 4 MiB
 * (100 such jobs: 391 MB of buffers). A flood's batches are large and still pooled.
 */
const POOLED_FROM_BYTES = 2048;

export interface JobLogOptions {
  job: string;
  dir: string;
  logs: LogsConfig;
  rotate?: RotateOptions;
  ringLines?: number;
  /** Bytes queued for the file before the job's pipes are paused (default 1 MiB). */
  highWaterBytes?: number;
  /** A write, rotation or reopen of the file failed (it is retried); default: a process warning. */
  onError?: (error: Error) => void;
  /** How long a file that cannot be written holds the job back before its lines are dropped (counted). */
  holdMs?: number;
  /** Lines dropped because the file could not be written for longer than holdMs. */
  onDropped?: (lines: number) => void;
  /** The file is written again after lines were dropped. */
  onResumed?: () => void;
  /** The clock for the lines' times (tests pass their own). */
  now?: () => number;
  /** Told the size of every chunk read from the job (god turns its optimizing compiler on under load). */
  onRead?: (bytes: number) => void;
  /** Where the lines go instead of the rotated file (tests pass a slow one). */
  sink?: LogSink;
}

/**
 * Shared by every pump of every job: a chunk is framed, written and recorded in one synchronous step, so one
 * batch serves them all (it is done with before a listener is called). Each framing starts from an empty batch.
 */
const batch = new LineBatch();

/**
 * One stream being read. A class, so that what every pump needs (stopping and starting, the end) is shared
 * methods rather than closures of its own: god keeps two pumps per instance for as long as it runs (issue 17).
 */
class Pump {
  readonly input: Readable;
  /** The fast path's stream (the same as input), or null for another Readable. */
  readonly fast: PipeReadable | null;
  readonly head: LineHead;
  readonly splitter: LineSplitter;
  /** Waiting for the file to drain. */
  waiting = false;
  /** Resting after a small read (see REST_MS). */
  resting = false;
  restTimer: NodeJS.Timeout | null = null;
  done = false;
  /** The listener of "data" (null on the fast path). */
  onData: ((chunk: Buffer | string) => void) | null = null;
  /** Called once, after the last line was handed to the file. */
  readonly ended: () => void;
  /** The listener of "end", "close" and "error": the pump's end. */
  readonly finish: () => void;

  constructor(
    input: Readable,
    head: LineHead,
    splitter: LineSplitter,
    ended: () => void,
    finish: (pump: Pump) => void,
  ) {
    this.input = input;
    this.fast = input instanceof PipeReadable ? input : null;
    this.head = head;
    this.splitter = splitter;
    this.ended = ended;
    this.finish = () => finish(this);
  }

  /** Stops reading: the fd itself for a PipeReadable, the stream's flow otherwise. */
  stop(): void {
    if (this.fast !== null) this.fast.hold();
    else this.input.pause();
  }

  start(): void {
    if (this.fast !== null) this.fast.release();
    else this.input.resume();
  }
}

export class JobLog {
  readonly job: string;
  private readonly dir: string;
  private logs: LogsConfig;
  private format: LineFormat;
  private readonly sink: LogSink;
  private readonly recentLines: RecentLines;
  private readonly now: () => number;
  private readonly onRead: ((bytes: number) => void) | null;
  private readonly pumps = new Set<Pump>();
  private readonly msgs: string[] = [];
  /** Lines handed to the sink since this JobLog was made. */
  private total = 0;
  private listener: ((record: LogRecord) => void) | null = null;
  private closed = false;
  /**
   * Batches are written from pooled buffers, handed back once on disk and out of the recent lines. Only with
   * god's own file: another sink might keep the buffers it was given.
   */
  private readonly alloc: Alloc | undefined;

  constructor(options: JobLogOptions) {
    this.job = options.job;
    this.dir = options.dir;
    this.logs = options.logs;
    this.format = new LineFormat(options.job, options.logs);
    this.now = options.now ?? Date.now;
    this.onRead = options.onRead ?? null;
    if (options.sink !== undefined) {
      this.sink = options.sink;
      this.alloc = undefined;
      this.recentLines = new RecentLines(options.ringLines ?? DEFAULT_RING_LINES);
    } else {
      this.alloc = (size) =>
        size < POOLED_FROM_BYTES ? Buffer.allocUnsafeSlow(size) : sharedBufferPool.take(size);
      this.recentLines = new RecentLines(options.ringLines ?? DEFAULT_RING_LINES, (batch) =>
        sharedBufferPool.give(batch.data),
      );
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      const onError =
        options.onError ??
        ((error: Error) => process.emitWarning(`log file of job ${options.job}: ${error.message}`));
      this.sink = new RotatingFile(this.path, {
        ...(options.rotate !== undefined ? { rotate: options.rotate } : {}),
        ...(options.highWaterBytes !== undefined ? { highWaterBytes: options.highWaterBytes } : {}),
        ...(options.holdMs !== undefined ? { holdMs: options.holdMs } : {}),
        ...(options.onDropped !== undefined ? { onDropped: options.onDropped } : {}),
        ...(options.onResumed !== undefined ? { onResumed: options.onResumed } : {}),
        onError,
      });
    }
    this.sink.onDrain(() => {
      for (const pump of this.pumps) {
        if (!pump.waiting) continue;
        pump.waiting = false;
        if (!pump.resting) pump.start();
      }
    });
  }

  get path(): string {
    return logFilePath(this.dir, this.job);
  }

  get config(): LogsConfig {
    return this.logs;
  }

  /** A reload changed the spec: lines read from now on use it. */
  setConfig(logs: LogsConfig): void {
    this.logs = logs;
    this.format = new LineFormat(this.job, logs);
  }

  /** Every record as it is written (for followers), or null. Costs a string per line while set. */
  setListener(listener: ((record: LogRecord) => void) | null): void {
    this.listener = listener;
  }

  /**
   * Reads an instance's streams to their end. Resolves once both ended and every line, the final one with no
   * newline included, was handed to the file. With `err` null (logs.merge) the lines are labelled "out".
   * Streams from createPipe()/createMergedPipe() take a faster path than other Readables.
   */
  attach(
    pid: number,
    streams: { out: Readable; err: Readable | null },
    instance: number | null = null,
  ): Promise<void> {
    // One promise for both streams, not one each and their Promise.all: an instance keeps it as long as it runs.
    return new Promise((resolve) => {
      let open = streams.err !== null ? 2 : 1;
      const ended = () => {
        if (--open === 0) resolve();
      };
      this.pump(pid, "out", streams.out, instance, ended);
      if (streams.err !== null) this.pump(pid, "err", streams.err, instance, ended);
    });
  }

  /** The newest n lines, oldest first: from memory, topped up from the files when memory holds fewer. */
  recent(n: number): LogRecord[] {
    this.recentLines.trim(this.sink.completedLines);
    const newest = this.recentLines.last(n, this.job);
    if (newest.length >= n) return newest;
    // Memory holds every line not yet on disk; the ones on disk already are the files' last lines: skip them.
    const unwritten = this.total - this.sink.completedLines;
    const skip = Math.max(0, this.recentLines.size - unwritten);
    try {
      const older = readRecentRecords(this.dir, this.job, n - newest.length, {
        currentSize: this.sink.completedSize,
        skip,
      });
      return older.concat(newest);
    } catch {
      return newest;
    }
  }

  /** Reopens the file (SIGUSR1, after an external logrotate moved it). */
  reopen(): void {
    this.sink.reopen();
  }

  /**
   * The job is gone: takes what the attached streams hold already (a stopped job's last lines are often still
   * in the pipe when its exit is seen), writes it with any unfinished line, closes the streams and then the
   * file. The streams are closed here because this log is their only reader: left open, each would keep its
   * fd for as long as god lives. Their attach() promises resolve.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const pump of [...this.pumps]) {
      pump.stop();
      const input = pump.input;
      if (input instanceof PipeReadable) input.takeRest((chunk) => this.take(pump, chunk));
      else for (let chunk = input.read(); chunk !== null; chunk = input.read()) this.take(pump, chunk);
      pump.finish();
      input.destroy();
    }
    this.closed = true;
    await this.sink.close();
  }

  /** Reads `input` to its end; `ended` is called once, after its last line was handed to the file. */
  private pump(
    pid: number,
    stream: LogStream,
    input: Readable,
    instance: number | null,
    ended: () => void,
  ): void {
    const pump = new Pump(
      input,
      new LineHead(pid, stream, instance),
      new LineSplitter(this.logs.maxLineBytes),
      ended,
      this.endPump,
    );
    this.pumps.add(pump);
    if (pump.fast !== null) pump.fast.consume((chunk) => this.takeFast(pump, chunk));
    else {
      pump.onData = (chunk) => this.take(pump, chunk);
      input.on("data", pump.onData);
    }
    // on(), not once(): the pump's end takes them off; once() would keep a wrapper each while the job runs.
    input.on("end", pump.finish);
    input.on("close", pump.finish);
    // Kept after the end: an error event with no listener would take god down.
    input.on("error", pump.finish);
    if (this.closed) {
      // The job was removed while this instance was being spawned: nobody else would close its pipes.
      pump.finish();
      input.destroy();
    } else if (input.readableEnded || input.destroyed) pump.finish();
    // Also starts a stream made paused (a socket accepted with pauseOnConnect), which a listener does not.
    else input.resume();
  }

  /** A pump's end (its finish): its last line to the file, its listeners off, and its `ended` called. */
  private readonly endPump = (pump: Pump): void => {
    if (pump.done) return;
    pump.done = true;
    this.pumps.delete(pump);
    if (pump.restTimer !== null) clearTimeout(pump.restTimer);
    const input = pump.input;
    if (pump.onData !== null) input.off("data", pump.onData);
    input.off("end", pump.finish);
    input.off("close", pump.finish);
    if (!this.closed) {
      pump.splitter.maxLineBytes = this.logs.maxLineBytes;
      batch.clear();
      pump.splitter.end(batch);
      this.emit(pump);
    }
    pump.ended();
  };

  private take(pump: Pump, chunk: Buffer | string): void {
    if (this.closed || pump.done) return;
    this.onRead?.(chunk.length);
    pump.splitter.maxLineBytes = this.logs.maxLineBytes;
    batch.clear();
    pump.splitter.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk, batch);
    this.emit(pump);
  }

  /** A chunk from a real pipe, in a buffer reused after this returns. */
  private takeFast(pump: Pump, chunk: Buffer): void {
    this.take(pump, chunk);
    if (chunk.length >= REST_BELOW_BYTES || pump.done || pump.resting) return;
    pump.resting = true;
    pump.stop();
    if (pump.restTimer === null) {
      pump.restTimer = setTimeout(() => {
        pump.resting = false;
        if (!pump.waiting && !pump.done) pump.start();
      }, REST_MS);
    } else {
      pump.restTimer.refresh();
    }
  }

  /** Writes the batch's lines in one write and keeps them for recent(); hands them to a listener. */
  private emit(pump: Pump): void {
    const count = batch.count;
    if (count === 0) {
      batch.clear();
      return;
    }
    const format = this.format;
    const head = pump.head;
    head.update(format, this.now());
    const listener = this.listener;
    const msgs = this.msgs;
    const data = format.encode(batch, head, listener !== null ? msgs : null, this.alloc);
    batch.clear();
    this.total += count;
    this.recentLines.push(
      {
        data,
        lines: count,
        prefixBytes: head.bytes.length,
        json: format.json,
        t: head.iso,
        pid: head.pid,
        instance: head.instance,
        stream: head.stream,
        endSeq: this.total,
      },
      this.sink.completedLines,
    );
    if (!this.sink.write(data, count) && !pump.waiting && !pump.done) {
      pump.waiting = true;
      pump.stop();
    }
    if (listener === null) return;
    try {
      for (let i = 0; i < msgs.length; i++) {
        const record: LogRecord = {
          t: head.iso,
          job: this.job,
          pid: head.pid,
          stream: head.stream,
          msg: msgs[i]!,
        };
        if (head.instance !== null) record.instance = head.instance;
        listener(record);
      }
    } finally {
      msgs.length = 0;
    }
  }
}
