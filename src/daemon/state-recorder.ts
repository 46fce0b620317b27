// Keeps state.json (SPEC 9) equal to the instances alive: written before and after every spawn (an instance
// god cannot record is not started, and one started but not recorded is killed at once), and soon after exits.
// A failure is one sentence naming the path and the cause; what runs keeps running.

import { dirname } from "node:path";
import { type InstanceRecord, writeState } from "./state-file.js";

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
    try {
      writeState(this.path, this.records());
      return null;
    } catch (error) {
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      return `god cannot record its instances in ${this.path} (${cause}), so it starts none; free space or fix ${dirname(this.path)}, what runs keeps running`;
    }
  }

  saveSoon(): void {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      const problem = this.saveNow();
      const now = Date.now();
      if (problem !== null && now - this.lastReportMs >= REPORT_EVERY_MS) {
        this.lastReportMs = now;
        this.report(problem);
      }
    });
  }
}
