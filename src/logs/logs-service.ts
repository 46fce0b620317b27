// Every job's log, for one daemon: makes and keeps the JobLogs, answers `god logs` (the newest lines merged in
// time order across jobs) and feeds `god logs -f` followers. A follower that stops reading is dropped once its
// unsent bytes pass a bound: it can neither slow a job nor grow god's memory.

import { mkdirSync } from "node:fs";
import { JOB_NAME_PATTERN } from "../protocol/jobspec.js";
import { DroppedLines } from "./dropped-lines.js";
import { DEFAULT_RING_LINES, JobLog } from "./job-log.js";
import type { LogsConfig } from "./line-format.js";
import { readRecentRecords } from "./log-files.js";
import type { LogRecord } from "./log-record.js";
import type { RotateOptions } from "./rotating-file.js";

export type { LogsConfig } from "./line-format.js";
export type { LogRecord, LogStream } from "./log-record.js";

export const DEFAULT_FOLLOWER_MAX_BYTES = 4 * 1024 * 1024;

/** Where a follower's records go (the control connection of a `god logs -f`). */
export interface FollowSink {
  send(record: LogRecord): void;
  /** Bytes sent but not yet taken by the reader. */
  bufferedBytes(): number;
  close(reason: string): void;
}

export interface LogsServiceOptions {
  dir: string;
  rotate?: RotateOptions;
  ringLines?: number;
  /** A follower with more unsent bytes than this is dropped (default 4 MiB). */
  followerMaxBytes?: number;
  /** Bytes queued for a job's file before its pipes are paused (default 1 MiB). */
  highWaterBytes?: number;
  /** A job's file could not be written, rotated or reopened (writes are retried). */
  onError?: (job: string, error: Error) => void;
  /** How long a job's file that cannot be written holds the job back before its lines are dropped. */
  holdMs?: number;
  /** Lines of a job dropped (its file could not be written): at most once a minute per job, with the count. */
  onDropped?: (job: string, lines: number) => void;
  /** A job's file is written again after lines were dropped; `lines` dropped since the last report. */
  onResumed?: (job: string, lines: number) => void;
  /** The clock for the lines' times (tests pass their own). */
  now?: () => number;
  /** Told the size of every chunk read from any job. */
  onRead?: (bytes: number) => void;
}

interface Follower {
  /** null follows every job, including jobs created later. */
  readonly jobs: ReadonlySet<string> | null;
  readonly sink: FollowSink;
}

const JOB_NAME = new RegExp(JOB_NAME_PATTERN);

export class LogsService {
  private readonly options: LogsServiceOptions;
  private readonly logs = new Map<string, JobLog>();
  private readonly followers = new Set<Follower>();
  private readonly followerMaxBytes: number;
  private readonly dropped: DroppedLines;

  constructor(options: LogsServiceOptions) {
    this.options = options;
    this.followerMaxBytes = options.followerMaxBytes ?? DEFAULT_FOLLOWER_MAX_BYTES;
    this.dropped = new DroppedLines({
      report: (job, lines) => options.onDropped?.(job, lines),
      resumed: (job, lines) => options.onResumed?.(job, lines),
      ...(options.now !== undefined ? { now: options.now } : {}),
    });
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  }

  /** The job's log, made on first use; a later call updates its configuration. */
  jobLog(job: string, logs: LogsConfig): JobLog {
    const existing = this.logs.get(job);
    if (existing !== undefined) {
      existing.setConfig(logs);
      return existing;
    }
    const onError = this.options.onError;
    const log = new JobLog({
      job,
      dir: this.options.dir,
      logs,
      ...(this.options.rotate !== undefined ? { rotate: this.options.rotate } : {}),
      ringLines: this.options.ringLines ?? DEFAULT_RING_LINES,
      ...(this.options.highWaterBytes !== undefined ? { highWaterBytes: this.options.highWaterBytes } : {}),
      ...(onError !== undefined ? { onError: (error: Error) => onError(job, error) } : {}),
      ...(this.options.holdMs !== undefined ? { holdMs: this.options.holdMs } : {}),
      onDropped: (lines: number) => this.dropped.add(job, lines),
      onResumed: () => this.dropped.resumed(job),
      ...(this.options.now !== undefined ? { now: this.options.now } : {}),
      ...(this.options.onRead !== undefined ? { onRead: this.options.onRead } : {}),
    });
    this.logs.set(job, log);
    if (this.isFollowed(job)) log.setListener(this.dispatch);
    return log;
  }

  /** The job left every loader: its log is closed; its files stay. */
  async remove(job: string): Promise<void> {
    const log = this.logs.get(job);
    if (log === undefined) return;
    this.logs.delete(job);
    await log.close();
  }

  /**
   * The newest n lines of these jobs (all when empty), oldest first, merged in time order across jobs; within
   * a job the order is the order god read them. A named job with no log here is read from its files.
   */
  recent(jobs: string[], n: number): LogRecord[] {
    if (n <= 0) return [];
    const names = jobs.length > 0 ? [...new Set(jobs)] : [...this.logs.keys()];
    const lists = names.map((name) => {
      const log = this.logs.get(name);
      if (log !== undefined) return log.recent(n);
      if (!JOB_NAME.test(name)) return [];
      try {
        return readRecentRecords(this.options.dir, name, n);
      } catch {
        return [];
      }
    });
    return mergeNewest(lists, n);
  }

  /** Sends every new line of these jobs (all when empty) to the sink, until the returned function is called. */
  follow(jobs: string[], sink: FollowSink): () => void {
    const follower: Follower = { jobs: jobs.length > 0 ? new Set(jobs) : null, sink };
    this.followers.add(follower);
    this.updateListeners();
    return () => {
      if (this.followers.delete(follower)) this.updateListeners();
    };
  }

  /** Lines of each job dropped because its file could not be written, since god started (/metrics). */
  droppedLines(): Map<string, number> {
    return this.dropped.totals();
  }

  /** SIGUSR1: every file is reopened (after an external logrotate). */
  reopenAll(): void {
    for (const log of this.logs.values()) log.reopen();
  }

  async closeAll(): Promise<void> {
    this.dropped.close();
    for (const follower of [...this.followers]) this.drop(follower, "god is shutting down");
    const logs = [...this.logs.values()];
    this.logs.clear();
    await Promise.all(logs.map((log) => log.close()));
  }

  private readonly dispatch = (record: LogRecord): void => {
    for (const follower of this.followers) {
      if (follower.jobs !== null && !follower.jobs.has(record.job)) continue;
      try {
        follower.sink.send(record);
      } catch (error) {
        this.drop(follower, `sending a log line failed: ${(error as Error).message}`);
        continue;
      }
      if (follower.sink.bufferedBytes() > this.followerMaxBytes) {
        const mib = Math.round((this.followerMaxBytes / (1024 * 1024)) * 10) / 10;
        this.drop(
          follower,
          `the follower fell behind: more than ${mib} MiB of log lines were not read; run god logs -f again`,
        );
      }
    }
  };

  private drop(follower: Follower, reason: string): void {
    if (!this.followers.delete(follower)) return;
    this.updateListeners();
    try {
      follower.sink.close(reason);
    } catch {
      // The connection is gone already: nothing more to tell it.
    }
  }

  private isFollowed(job: string): boolean {
    for (const follower of this.followers) if (follower.jobs === null || follower.jobs.has(job)) return true;
    return false;
  }

  private updateListeners(): void {
    for (const [job, log] of this.logs) log.setListener(this.isFollowed(job) ? this.dispatch : null);
  }
}

/**
 * The newest n records of several lists, each in its own order, merged by time from the end: each list's own
 * order is kept even where its times are not monotonic (a clock step, lines read back from files).
 */
export function mergeNewest(lists: LogRecord[][], n: number): LogRecord[] {
  if (lists.length === 1) return lists[0]!.slice(-n);
  const at = lists.map((list) => list.length - 1);
  const out: LogRecord[] = [];
  while (out.length < n) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const index = at[i]!;
      if (index < 0) continue;
      // Ties go to the later list when merging backwards, which keeps the earlier list first going forwards.
      if (best === -1 || lists[i]![index]!.t >= lists[best]![at[best]!]!.t) best = i;
    }
    if (best === -1) break;
    out.push(lists[best]![at[best]!]!);
    at[best] = at[best]! - 1;
  }
  return out.reverse();
}
