// Lines of a job's output that god dropped because its log file could not be written (a full disk for longer
// than the file's hold, SPEC 7): counted per job since god started, for /metrics, and reported to god's log at
// most once a minute per job with the count since the last report, plus one line when writing resumes.

const REPORT_EVERY_MS = 60_000;

export interface DroppedLinesOptions {
  /** Lines of `job` dropped since the last report (the first drop of a spell is reported at once). */
  report: (job: string, lines: number) => void;
  /** The job's file is written again; `lines` were dropped since the last report. */
  resumed: (job: string, lines: number) => void;
  now?: () => number;
}

interface PerJob {
  total: number;
  unreported: number;
  lastReportMs: number | null;
  timer: NodeJS.Timeout | null;
}

export class DroppedLines {
  private readonly options: DroppedLinesOptions;
  private readonly now: () => number;
  private readonly jobs = new Map<string, PerJob>();

  constructor(options: DroppedLinesOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Lines dropped per job since god started. */
  totals(): Map<string, number> {
    return new Map([...this.jobs].map(([job, per]) => [job, per.total]));
  }

  add(job: string, lines: number): void {
    let per = this.jobs.get(job);
    if (per === undefined) {
      per = { total: 0, unreported: 0, lastReportMs: null, timer: null };
      this.jobs.set(job, per);
    }
    per.total += lines;
    per.unreported += lines;
    const now = this.now();
    if (per.lastReportMs === null || now - per.lastReportMs >= REPORT_EVERY_MS) {
      this.report(job, per, now);
      return;
    }
    if (per.timer === null) {
      const p = per;
      p.timer = setTimeout(() => this.report(job, p, this.now()), p.lastReportMs! + REPORT_EVERY_MS - now);
      p.timer.unref();
    }
  }

  resumed(job: string): void {
    const per = this.jobs.get(job);
    if (per === undefined) return;
    if (per.timer !== null) clearTimeout(per.timer);
    per.timer = null;
    const lines = per.unreported;
    per.unreported = 0;
    this.options.resumed(job, lines);
  }

  close(): void {
    for (const per of this.jobs.values()) if (per.timer !== null) clearTimeout(per.timer);
  }

  private report(job: string, per: PerJob, now: number): void {
    if (per.timer !== null) clearTimeout(per.timer);
    per.timer = null;
    if (per.unreported === 0) return;
    per.lastReportMs = now;
    const lines = per.unreported;
    per.unreported = 0;
    this.options.report(job, lines);
  }
}
