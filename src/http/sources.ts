// What the HTTP server reads from, as the narrow shapes it needs: the supervisor's jobs and changes, the log
// service, god's log, and the control handlers (the same table the control socket serves).

import type { UsageHistoryJson } from "../daemon/usage-sampler.js";
import type { LogRecord } from "../logs/log-record.js";
import type { JobJson, SupervisorChange } from "../protocol/control.js";

export type { Handler } from "../daemon/control-server.js";
export type { InstanceHistoryJson, JobHistoryJson, UsageHistoryJson } from "../daemon/usage-sampler.js";
export type { LogRecord } from "../logs/log-record.js";
export type { SupervisorChange } from "../protocol/control.js";

export interface JobView {
  readonly config: { readonly auto: boolean; readonly listen: Readonly<Record<string, string>> };
  toJson(): JobJson;
  /** Every live process: `index` is its instance's place (a reload briefly has two for one index). */
  instances(): Array<{ pid: number; pgid: number; instance: number; index: number }>;
  /** How long the job's last check took, when it has had one. */
  readonly checkLatencyMs: number | null;
}

export interface SupervisorView {
  readonly jobs: ReadonlyMap<string, JobView>;
  subscribe(fn: (change: SupervisorChange) => void): () => void;
}

/** Where a follower's log records go (the shape of logs/logs-service.ts FollowSink). */
export interface LogSink {
  send(record: LogRecord): void;
  bufferedBytes(): number;
  close(reason: string): void;
}

/** The log service (logs/logs-service.ts): recent lines and followers. */
export interface LogsSource {
  recent(jobs: string[], n: number): LogRecord[];
  follow(jobs: string[], sink: LogSink): () => void;
  /** Lines of each job dropped because its file could not be written, for /metrics. */
  droppedLines?(): ReadonlyMap<string, number>;
}

export interface HttpLog {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** CPU and memory of process groups and god's own descriptors (process/group-usage.ts, given by the daemon). */
export interface UsageSource {
  groups(
    pgids: ReadonlySet<number>,
  ): Map<number, { cpuSeconds: number; rssBytes: number; processes: number }>;
  self(): { openFds: number | null; maxFds: number | null };
}

/** The usage sampler's history (daemon/usage-sampler.ts): the named jobs (every one when empty) after `sinceMs`. */
export type UsageHistorySource = (jobs: readonly string[], sinceMs: number | null) => UsageHistoryJson;
