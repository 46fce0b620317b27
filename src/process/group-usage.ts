// CPU time and resident memory of process groups, and god's own open descriptors, read from /proc (Linux).
// A job's instance is a process group, so its figures are the sum over the group's live members; CPU time
// of members already reaped is in their parent's cutime/cstime, so nothing is counted twice or lost.
// One scan of /proc/*/stat serves every group of a scrape. Elsewhere than Linux the answers are empty.

import { readdirSync, readFileSync } from "node:fs";
import { allProcesses } from "./proc-stat.js";

/** USER_HZ: /proc reports times in these ticks; it is 100 on every Linux architecture's user ABI. */
const TICKS_PER_SECOND = 100;

export interface GroupUsage {
  cpuSeconds: number;
  rssBytes: number;
  processes: number;
}

function read(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

let pageBytes: number | null = null;

/**
 * The size of a memory page, for field 24 of /proc/PID/stat (RSS in pages): Node does not say, so it is learnt
 * once from god's own RSS in both units (VmRSS in /proc/self/status), rounded to a power of two; 4 KiB if not.
 * One read of stat per process instead of stat and status halves the cost of a sampling.
 */
function pageSize(): number {
  if (pageBytes !== null) return pageBytes;
  pageBytes = 4096;
  const pages = Number((read("/proc/self/stat") ?? "").split(") ")[1]?.split(" ")[24 - 3]);
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(read("/proc/self/status") ?? "")?.[1]);
  if (pages > 0 && kb > 0) pageBytes = 2 ** Math.round(Math.log2((kb * 1024) / pages));
  return pageBytes;
}

export function groupUsage(pgids: ReadonlySet<number>): Map<number, GroupUsage> {
  const out = new Map<number, GroupUsage>();
  if (pgids.size === 0) return out;
  for (const stat of allProcesses()) {
    if (!pgids.has(stat.pgrp)) continue;
    const usage = out.get(stat.pgrp) ?? { cpuSeconds: 0, rssBytes: 0, processes: 0 };
    usage.cpuSeconds += stat.cpuTicks / TICKS_PER_SECOND;
    usage.rssBytes += stat.rssPages * pageSize();
    usage.processes += 1;
    out.set(stat.pgrp, usage);
  }
  return out;
}

export interface SelfUsage {
  openFds: number | null;
  maxFds: number | null;
}

export function selfUsage(): SelfUsage {
  let openFds: number | null = null;
  try {
    // The listing's own descriptor is counted too; it is gone once the call returns.
    openFds = readdirSync("/proc/self/fd").length - 1;
  } catch {
    openFds = null;
  }
  const limit = /^Max open files\s+(\d+)/m.exec(read("/proc/self/limits") ?? "");
  return { openFds, maxFds: limit ? Number(limit[1]) : null };
}
