// How the daemon's answers read in a terminal: plain tables (left-aligned, two spaces apart, no trailing blanks, no
// colours), durations in two units, the `god loaders` table and the one-line outcomes of actions and checks. The
// `god status` table and the cells they share live in protocol/status-table.ts, which the daemon uses too.

import type { CheckJson, JobJson, LoadersJson } from "../protocol/control.js";
import { cell, renderTable } from "../protocol/status-table.js";

export {
  cell,
  checkLabel,
  formatBytes,
  formatUptime,
  memoryLabel,
  renderStatus,
  renderTable,
  stateLabel,
} from "../protocol/status-table.js";

const ERROR_MAX = 500;

/** A configured duration, exact and short: `250ms`, `1.5s`, `2m`, `1m30s`, `1h`. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000 || ms % 1000 !== 0) return `${ms / 1000}s`;
  const s = ms / 1000;
  const parts: string[] = [];
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h > 0) parts.push(`${h}h`);
  if (m > 0) parts.push(`${m}m`);
  if (s % 60 > 0) parts.push(`${s % 60}s`);
  return parts.join("");
}

/** The outcome of an action: `backend: running (pid 4242)`, `db: backoff (exited with code 1)`. */
export function jobLine(job: JobJson): string {
  const details: string[] = [];
  if (job.pid !== null) details.push(`pid ${job.pid}`);
  if (job.reason !== null && job.reason !== "") details.push(cell(job.reason));
  else if (job.state === "degraded" && job.check?.message) details.push(cell(job.check.message));
  return `${cell(job.name)}: ${job.state}${details.length > 0 ? ` (${details.join("; ")})` : ""}`;
}

/** The outcome of `god check`: `backend: ok`, `backend: fail: connection refused`. */
export function checkLine(job: string, check: CheckJson): string {
  const message = check.message === null || check.message === "" ? "" : `: ${cell(check.message)}`;
  return `${cell(job)}: ${check.status}${message}`;
}

export function renderLoaders(answer: LoadersJson): string {
  const rows = answer.loaders.map((loader) => [
    cell(loader.path),
    loader.state,
    loader.pid === null ? "-" : String(loader.pid),
    loader.dialect ?? "-",
    String(loader.restarts ?? 0),
    loader.jobs.length === 0 ? "-" : cell(loader.jobs.join(","), 40),
    // The error now; else the last failure, which stays visible after a good hello (SPEC 2). The last column, so
    // it is not cut short: a configuration file's error names its file and line after the loader's own words.
    loader.error !== null
      ? cell(loader.error, ERROR_MAX)
      : loader.lastError
        ? cell(`last: ${loader.lastError}`, ERROR_MAX)
        : "-",
  ]);
  return renderTable(["PATH", "STATE", "PID", "DIALECT", "RESTARTS", "JOBS", "ERROR"], rows);
}
