// Reads a process's start time (field 22 of /proc/PID/stat, in clock ticks since boot). Together with the pid
// it names one process for good: a pid reused later has another start time.

import { readFileSync } from "node:fs";

export function processStartTime(pid: number): number | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // Field 2 (comm) may hold spaces and parentheses; the fields after the last ")" are plain.
  const rest = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const value = Number(rest[22 - 3]);
  return Number.isFinite(value) ? value : null;
}
