// Keeps state.json (SPEC 9) equal to the instances alive: checked before every spawn and written after it (an
// instance god cannot record is not started, and one started but not recorded is killed at once), and soon
// after exits.
// A failure is one sentence naming the path and the cause; what runs keeps running.

import { dirname } from "node:path";
import { type InstanceRecord, probeState, writeState } from "./state-file.js";

/** How long saveSoon() may wait. */
const SOON_MS = 20;

/** A failure to write is logged at most this often (a full disk must not flood god's log). */
const REPORT_EVERY_MS = 60_000;

export class StateRecorder {
  private readonly path: string;
  private readonly records: () => InstanceRecord[];
  private readonly report: (message: string) => void;
  private queued = false;
  private lastReportMs = 0;

  constructor(path: string, records: () => InstanceRecord[], report: (message: string) => void) {
    this.path = path;
    this.records = records;
    this.report = report;
  }

  saveNow(): string | null {
    // This write holds everything a queued saveSoon() would: that one is done (an exit followed by its restart
    // writes the file once, with the new pid, not once for the exit and once for the spawn).
    this.queued = false;
    return this.attempt(() => writeState(this.path, this.records()));
  }

  /**
   * Before a spawn: whether god can record what it starts (SPEC 9), by writing what it would record now to
   * state.json's .tmp file (probeState), the part of a write that fails on a full disk or a home it may not
   * write; the spawn's own saveNow() right after the fork renames it over state.json with the new pid.
   */
  canRecord(): string | null {
    return this.attempt(() => probeState(this.path, this.records()));
  }

  private attempt(write: () => void): string | null {
    try {
      write();
      return null;
    } catch (error) {
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return `god cannot record its instances in ${this.path} (${cause}), so it starts none; free space or fix ${dirname(this.path)}, what runs keeps running`;
    }
  }

  /**
   * A write within SOON_MS: for changes a later god can do without for that long (an exit: a recorded pid that
   * is gone, or is another process now, is never adopted). An exit's restart writes the file before its spawn
   * anyway, so the two make one write, and the spawn does not wait for a second.
   */
  saveSoon(): void {
    if (this.queued) return;
    this.queued = true;
    setTimeout(() => {
      if (!this.queued) return;
      this.queued = false;
      const problem = this.saveNow();
      const now = Date.now();
      if (problem !== null && now - this.lastReportMs >= REPORT_EVERY_MS) {
        this.lastReportMs = now;
        this.report(problem);
      }
    }, SOON_MS);
  }
}
