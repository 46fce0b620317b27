// The daemon's one reader of process-group usage (SPEC 15): once a second, while it is wanted, one scan of /proc
// gives every instance's group its CPU % (from the tick delta since the last reading; 100 = one core) and RSS.
// It is wanted while a live instance has a maxMemory (the memory rule reads it), and for DEMAND_MS after someone
// looked (`god top`, `status` with usage, the dashboard's charts): an idle god with no limit reads nothing, since
// a scan of /proc costs milliseconds a second that supervisord does not spend. The readings serve `status`, the
// memory rule, and a history for the dashboard's charts: the last 10 minutes at 1 s per instance, two
// Float32Arrays of 600 samples (4,800 bytes), dropped with the instance, with gaps where nothing was read.
// /metrics reads through here too, at scrape time, so its counters are exact.

import type { GroupUsage } from "../process/group-usage.js";
import type { UsageJson } from "../protocol/control.js";

/** One live process group to read: an instance's current process (a reload briefly has two per instance). */
export interface SampledGroup {
  job: string;
  index: number;
  pgid: number;
  /** The job's maxMemory in bytes, or null. */
  maxMemory: number | null;
}

export interface GroupReading extends SampledGroup {
  rssBytes: number;
  /** null on the group's first reading: CPU % needs two. */
  cpuPercent: number | null;
}

export interface UsageSamplerOptions {
  /** Every live instance's group now. */
  groups: () => SampledGroup[];
  /** One scan of /proc for these groups (process/group-usage.ts). */
  read: (pgids: ReadonlySet<number>) => Map<number, GroupUsage>;
  /** Called after each reading (the memory rule). */
  onReading?: (readings: readonly GroupReading[]) => void;
  intervalMs?: number;
  /** Samples kept per instance. */
  historySamples?: number;
  /** Wall clock, for the history's timestamps. */
  now?: () => number;
}

/** The history of one instance: oldest first, null where it had no live process. */
export interface InstanceHistoryJson {
  index: number;
  cpuPercent: Array<number | null>;
  rssBytes: Array<number | null>;
}

export interface JobHistoryJson {
  name: string;
  instances: InstanceHistoryJson[];
}

/** `GET /api/usage`: the samples after `since` (all kept, without it), the newest taken at `endMs`. */
export interface UsageHistoryJson {
  intervalMs: number;
  /** Samples kept per instance (the charts' width). */
  samples: number;
  /** When the newest sample was taken (ms since the epoch), or null before the first. */
  endMs: number | null;
  jobs: JobHistoryJson[];
}

interface Last {
  cpuSeconds: number;
  atMs: number;
  usage: UsageJson | null;
}

interface Series {
  cpu: Float32Array;
  rss: Float32Array;
}

export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_HISTORY_SAMPLES = 600;
/** How long readings go on after someone asked for them (`god top` asks every second). */
export const DEMAND_MS = 10_000;

export class UsageSampler {
  private readonly options: UsageSamplerOptions;
  private readonly intervalMs: number;
  private readonly samples: number;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The last reading of each group alive at the last tick. */
  private readonly last = new Map<number, Last>();
  /** job -> instance index -> its history. */
  private readonly series = new Map<string, Map<number, Series>>();
  /** The ring position of the newest sample, and when it was taken. */
  private head = -1;
  private endMs: number | null = null;
  /** When someone last asked for usage (performance.now()), or null. */
  private demandedAt: number | null = null;

  constructor(options: UsageSamplerOptions) {
    this.options = options;
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.samples = options.historySamples ?? DEFAULT_HISTORY_SAMPLES;
    this.now = options.now ?? Date.now;
  }

  /** Bytes of history per instance (its two arrays' buffers). */
  get bytesPerInstance(): number {
    return 2 * this.samples * Float32Array.BYTES_PER_ELEMENT;
  }

  /** Someone looks at usage (`god top`, the dashboard): readings go on for DEMAND_MS from now. */
  demand(): void {
    this.demandedAt = performance.now();
    this.wake();
  }

  /** Something changed (a process started): reads at once and then every interval while wanted. */
  wake(): void {
    if (this.timer !== null || this.closed) return;
    // Not inside the caller's call stack (a job's transition): the first reading comes on the next turn.
    this.timer = setTimeout(() => this.tick(), 0);
    this.timer.unref();
  }

  /** The last reading of a group for status (null before its second, or when it is not alive). */
  usageOf(pgid: number): UsageJson | null {
    return this.last.get(pgid)?.usage ?? null;
  }

  /** A fresh reading of these groups (for /metrics: cumulative counters are read at the scrape). */
  read(pgids: ReadonlySet<number>): Map<number, GroupUsage> {
    return this.options.read(pgids);
  }

  /** Forgets a removed job's history. */
  drop(job: string): void {
    this.series.delete(job);
  }

  /** Forgets the history of a job's instances from `count` on (scaled down). */
  trim(job: string, count: number): void {
    const byIndex = this.series.get(job);
    if (!byIndex) return;
    for (const index of [...byIndex.keys()]) if (index >= count) byIndex.delete(index);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** The history of the named jobs (every job with one, when empty), the samples after `sinceMs` only. */
  history(jobs: readonly string[], sinceMs: number | null): UsageHistoryJson {
    const out: UsageHistoryJson = {
      intervalMs: this.intervalMs,
      samples: this.samples,
      endMs: this.endMs,
      jobs: [],
    };
    if (this.endMs === null) return out;
    const count =
      sinceMs === null
        ? this.samples
        : Math.max(0, Math.min(this.samples, Math.round((this.endMs - sinceMs) / this.intervalMs)));
    const names = jobs.length === 0 ? [...this.series.keys()].sort() : jobs;
    for (const name of names) {
      const byIndex = this.series.get(name);
      if (!byIndex) continue;
      const instances = [...byIndex.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([index, s]) => ({
          index,
          cpuPercent: this.recent(s.cpu, count, 10),
          rssBytes: this.recent(s.rss, count, 1),
        }));
      out.jobs.push({ name, instances });
    }
    return out;
  }

  /** The newest `count` values of a ring, oldest first; `scale` rounds (10: one decimal). */
  private recent(ring: Float32Array, count: number, scale: number): Array<number | null> {
    const values: Array<number | null> = [];
    for (let back = count - 1; back >= 0; back--) {
      const value = ring[(this.head - back + this.samples * 2) % this.samples]!;
      values.push(Number.isNaN(value) ? null : Math.round(value * scale) / scale);
    }
    return values;
  }

  private tick(): void {
    this.timer = null;
    if (this.closed) return;
    const demanded = this.demandedAt !== null && performance.now() - this.demandedAt < DEMAND_MS;
    const all = this.options.groups();
    // Without a demand, only the groups of a memory limit are read.
    const groups = demanded ? all : all.filter((g) => g.maxMemory !== null);
    if (groups.length === 0) {
      // Nothing to read: the timer stops until wake(); the history's clock skips the stretch as a gap.
      this.last.clear();
      return;
    }
    const atMs = performance.now();
    const usage = this.options.read(new Set(groups.map((g) => g.pgid)));
    const readings: GroupReading[] = [];
    const seen = new Set<number>();
    for (const group of groups) {
      const found = usage.get(group.pgid);
      if (!found || seen.has(group.pgid)) continue;
      seen.add(group.pgid);
      const before = this.last.get(group.pgid);
      const seconds = (atMs - (before?.atMs ?? atMs)) / 1000;
      const cpuPercent =
        before && seconds > 0 ? Math.max(0, ((found.cpuSeconds - before.cpuSeconds) / seconds) * 100) : null;
      this.last.set(group.pgid, {
        cpuSeconds: found.cpuSeconds,
        atMs,
        usage: cpuPercent === null ? null : { cpuPercent, rssBytes: found.rssBytes },
      });
      readings.push({ ...group, rssBytes: found.rssBytes, cpuPercent });
    }
    for (const pgid of [...this.last.keys()]) if (!seen.has(pgid)) this.last.delete(pgid);
    this.record(readings, groups);
    this.options.onReading?.(readings);
    this.timer = setTimeout(() => this.tick(), this.intervalMs);
    // The rules' timer never keeps god alive by itself.
    this.timer.unref();
  }

  /** Writes this tick's sample of every instance; a stretch without ticks (idle) becomes a gap. */
  private record(readings: readonly GroupReading[], groups: readonly SampledGroup[]): void {
    const nowMs = this.now();
    const steps =
      this.endMs === null
        ? 1
        : Math.min(this.samples, Math.max(1, Math.round((nowMs - this.endMs) / this.intervalMs)));
    const sums = new Map<Series, { cpu: number; rss: number }>();
    for (const group of groups) this.seriesOf(group.job, group.index);
    for (const r of readings) {
      const s = this.seriesOf(r.job, r.index);
      const sum = sums.get(s) ?? { cpu: 0, rss: 0 };
      sum.cpu += r.cpuPercent ?? Number.NaN;
      sum.rss += r.rssBytes;
      sums.set(s, sum);
    }
    for (let step = 1; step <= steps; step++) {
      this.head = (this.head + 1) % this.samples;
      for (const byIndex of this.series.values()) {
        for (const s of byIndex.values()) {
          const sum = step === steps ? sums.get(s) : undefined;
          s.cpu[this.head] = sum?.cpu ?? Number.NaN;
          s.rss[this.head] = sum?.rss ?? Number.NaN;
        }
      }
    }
    this.endMs = this.endMs === null ? nowMs : this.endMs + steps * this.intervalMs;
    // Timers drift: the clock of the history follows the wall clock, never more than half a step behind.
    if (Math.abs(nowMs - this.endMs) > this.intervalMs / 2) this.endMs = nowMs;
  }

  private seriesOf(job: string, index: number): Series {
    let byIndex = this.series.get(job);
    if (!byIndex) {
      byIndex = new Map();
      this.series.set(job, byIndex);
    }
    let s = byIndex.get(index);
    if (!s) {
      s = {
        cpu: new Float32Array(this.samples).fill(Number.NaN),
        rss: new Float32Array(this.samples).fill(Number.NaN),
      };
      byIndex.set(index, s);
    }
    return s;
  }
}
