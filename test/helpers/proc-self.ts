// god's own resources as /proc shows them, for the reliability tests: its open fds (the FIFOs of output pipes,
// those it holds one end of, and the rest) and its resident memory. Read from outside god, so the tests do not
// trust the code they test.

import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface FdCounts {
  total: number;
  /**
   * fds of output FIFOs: both ends of each spare pipe of its pool, and both ends of each running instance's
   * pipe (god keeps its copy of the write end until it has handled the instance's exit).
   */
  fifoFds: number;
  /** FIFOs god holds one end of: an exited instance's pipe not read to its end yet, or a leaked read end. */
  halfOpenFifos: number;
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
  let fifoFds = 0;
  let halfOpenFifos = 0;
  for (const count of fifos.values()) {
    fifoFds += count;
    if (count < 2) halfOpenFifos += 1;
  }
  return { total: targets.length, fifoFds, halfOpenFifos, other: targets.length - fifoFds };
}

/** Resident memory of a process, in bytes (VmRSS of /proc/PID/status). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}
