// Reads /proc/PID/stat: a process's state, process group and start time (field 22, in clock ticks since boot).
// Together with the pid the start time names one process for good: a pid reused later has another start
// time. Linux only; elsewhere every answer is "unknown" (null or empty).

import { readdirSync, readFileSync } from "node:fs";

export interface ProcStat {
  pid: number;
  /** Field 3: R, S, D, Z (zombie: exited, not yet reaped by its parent), T... */
  state: string;
  /** Field 5: the process group. */
  pgrp: number;
  /** Field 22: clock ticks after boot. */
  startTime: number;
  /** Fields 14 to 17: user and system time of the process and of its reaped children, in clock ticks. */
  cpuTicks: number;
  /** Field 24: resident set size in pages (0 for a zombie). */
  rssPages: number;
  /** Field 52: the wait status of a zombie (what its parent will reap), else 0. */
  exitStatus: number;
}

export function readProcStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Field 2 (comm) may hold spaces and parentheses; the fields after the last ")" are plain, from field 3.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = rest[0];
  const pgrp = Number(rest[5 - 3]);
  const startTime = Number(rest[22 - 3]);
  if (state === undefined || !Number.isInteger(pgrp) || !Number.isFinite(startTime)) return null;
  const cpuTicks = [14, 15, 16, 17].reduce((sum, field) => sum + (Number(rest[field - 3]) || 0), 0);
  const rssPages = Number(rest[24 - 3]) || 0;
  const exitStatus = Number(rest[52 - 3]) || 0;
  return { pid, state, pgrp, startTime, cpuTicks, rssPages, exitStatus };
}

export function processStartTime(pid: number): number | null {
  return readProcStat(pid)?.startTime ?? null;
}

/** Every process in /proc, zombies included, read in one pass. */
export function allProcesses(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat) out.push(stat);
  }
  return out;
}

/** Every process that has not exited (zombies left out), read in one pass over /proc. */
export function liveProcesses(): ProcStat[] {
  return allProcesses().filter((stat) => stat.state !== "Z");
}
