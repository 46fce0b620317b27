// The end of processes god did not start itself (instances adopted from a previous god, SPEC 13): they are not
// its children, so no exit event comes. One timer reads /proc for all of them every 250 ms, so an exit is noticed
// well within a second. The exit code is known only when the process is caught as a zombie, before its new
// parent reaps it (field 52 of /proc/PID/stat); otherwise it is reported as unknown (null).

import { constants } from "node:os";
import { readProcStat } from "./proc-stat.js";

export const EXIT_POLL_MS = 250;

export interface ForeignExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type Watched = { pid: number; startTime: number; done: (exit: ForeignExit) => void };

const SIGNAL_NAMES = new Map(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

/** A wait(2) status as code and signal. */
export function decodeWaitStatus(status: number): ForeignExit {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null };
  return { code: null, signal: SIGNAL_NAMES.get(signal) ?? null };
}

export class ExitWatch {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | null = null;

  /** Resolves once process `pid` (started at `startTime`, field 22) has ended. */
  watch(pid: number, startTime: number): Promise<ForeignExit> {
    return new Promise((done) => {
      this.watched.add({ pid, startTime, done });
      this.timer ??= setInterval(() => this.poll(), EXIT_POLL_MS);
    });
  }

  private poll(): void {
    for (const w of this.watched) {
      const stat = readProcStat(w.pid);
      if (stat !== null && stat.startTime === w.startTime && stat.state !== "Z") continue;
      this.watched.delete(w);
      const known = stat !== null && stat.startTime === w.startTime && stat.state === "Z";
      w.done(known ? decodeWaitStatus(stat.exitStatus) : { code: null, signal: null });
    }
    if (this.watched.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }
}
