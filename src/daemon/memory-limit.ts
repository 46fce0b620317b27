// maxMemory (SPEC 15): an instance whose whole process group has been over its job's limit for 3 readings in a
// row is replaced by the job's reload policy, once per process, with the figures in the reason. The count is per
// process group, so a new process starts from zero, and a reading under the limit resets it.

import type { GroupReading } from "./usage-sampler.js";

export const READINGS_OVER_LIMIT = 3;

/** `312.4 MiB`, `256 MiB`, `512 KiB`: one decimal at most, in the unit the limit reads best in. */
export function formatMemory(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}

export class MemoryLimit {
  /** Readings over the limit in a row, per process group; true once it was acted on. */
  private readonly over = new Map<number, { count: number; acted: boolean }>();
  private readonly act: (job: string, index: number, why: string) => void;
  private readonly intervalMs: number;

  constructor(act: (job: string, index: number, why: string) => void, intervalMs: number) {
    this.act = act;
    this.intervalMs = intervalMs;
  }

  observe(readings: readonly GroupReading[]): void {
    const seen = new Set<number>();
    for (const r of readings) {
      seen.add(r.pgid);
      if (r.maxMemory === null || r.rssBytes <= r.maxMemory) {
        this.over.delete(r.pgid);
        continue;
      }
      const state = this.over.get(r.pgid) ?? { count: 0, acted: false };
      state.count++;
      this.over.set(r.pgid, state);
      if (state.count < READINGS_OVER_LIMIT || state.acted) continue;
      // A replacement takes a while (a new instance must get ready first): one command per process.
      state.acted = true;
      const seconds = Math.round((READINGS_OVER_LIMIT * this.intervalMs) / 1000);
      this.act(
        r.job,
        r.index,
        `RSS ${formatMemory(r.rssBytes)} of its process group is over its maxMemory ${formatMemory(r.maxMemory)} for ${seconds} s`,
      );
    }
    for (const pgid of [...this.over.keys()]) if (!seen.has(pgid)) this.over.delete(pgid);
  }
}
