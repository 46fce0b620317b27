// god's own resources as /proc shows them, for the reliability tests: its open fds (split into the output
// pipes of its pool, the read ends of instances' pipes, and the rest) and its resident memory. Read from
// outside god, so the tests do not trust the code they test.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface FdCounts {
  total: number;
  /** FIFOs god holds at both ends: spare pipes of its pool, not yet given to an instance. */
  poolFds: number;
  /** FIFOs god holds only the read end of: an instance's stdout or stderr (or a leaked one). */
  instanceReadEnds: number;
  /** Everything else: sockets, files, loaders' pipes. */
  other: number;
}

const KEPT_FIFO = /\/pipes\/\d+-[0-9a-z]+-[0-9a-z]+-\d+( \(deleted\))?$/;

export function fdCounts(pid: number): FdCounts {
  const targets: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      targets.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // closed while listing
    }
  }
  const fifos = new Map<string, number>();
  for (const target of targets) {
    // A FIFO of god's: in a scratch directory (god-pipe-*), or kept in GOD_HOME/pipes (PID-STAMP-SERIAL-N).
    if (target.includes("god-pipe-") || KEPT_FIFO.test(target))
      fifos.set(target, (fifos.get(target) ?? 0) + 1);
  }
  let poolFds = 0;
  let instanceReadEnds = 0;
  for (const count of fifos.values()) {
    if (count >= 2) poolFds += count;
    else instanceReadEnds += count;
  }
  return {
    total: targets.length,
    poolFds,
    instanceReadEnds,
    other: targets.length - poolFds - instanceReadEnds,
  };
}

/** Resident memory of a process, in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
