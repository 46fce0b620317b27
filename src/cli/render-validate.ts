// The `god validate` report for people: the loader, then each job with its command line, start policy and check.

import type { ValidateReport } from "../process/validate-loader.js";
import type { JobConfig } from "../protocol/jobspec.js";
import { cell, formatDurationMs } from "./render.js";

/** What validateLoader reports about one loader run without a daemon (a type only: nothing is loaded). */
export type ValidationReport = ValidateReport;

const PLAIN_ARG = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** An argv as one readable line; arguments with spaces or odd characters are quoted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((arg) => (PLAIN_ARG.test(arg) ? arg : JSON.stringify(arg))).join(" ");
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The cadence a legacy loader's check really has (SPEC 3.2): its answers set the next one, [] says none. */
export function legacyCheckSummary(check: JobConfig["check"], nextMs: number): string {
  if (check === null) return "no check";
  return `check asked of the loader ${formatDurationMs(check.intervalMs)} after each start, then as each answer says (default every ${formatDurationMs(nextMs)}; [] means no check; timeout ${formatDurationMs(check.timeoutMs)}, ${plural(check.failures, "failure")} to restart, grace ${formatDurationMs(check.graceMs)})`;
}

export function checkSummary(check: JobConfig["check"]): string {
  if (check === null) return "no check";
  const timing = `every ${formatDurationMs(check.intervalMs)} (timeout ${formatDurationMs(check.timeoutMs)}, ${plural(
    check.failures,
    "failure",
  )} to restart, grace ${formatDurationMs(check.graceMs)})`;
  const probe = check.probe;
  let how: string;
  if (probe === null) how = "asks the loader";
  else if ("http" in probe) {
    const [min, max] = probe.http.status ?? [200, 399];
    how = `GET ${probe.http.url} expecting ${min}-${max}`;
  } else if ("tcp" in probe) how = `connects to ${probe.tcp.host}:${probe.tcp.port}`;
  else how = `runs ${formatArgv(probe.exec)}`;
  return `check ${timing}: ${how}`;
}

function startSummary(job: JobConfig): string {
  const start = job.auto ? "auto start" : "manual start";
  return job.after.length > 0 ? `${start} after ${job.after.join(", ")}` : start;
}

export function renderValidation(path: string, report: ValidationReport): string {
  const lines: string[] = [];
  const dialect = report.dialect === null ? "" : ` (${report.dialect} dialect)`;
  if (report.loader === null) {
    lines.push(`${path}: no valid hello${dialect}`);
  } else {
    const version = report.loader.version === null ? "" : ` ${cell(report.loader.version)}`;
    const name = JSON.stringify(cell(report.loader.name));
    lines.push(`${path}: loader ${name}${version}${dialect}, ${plural(report.jobs.length, "job")}`);
  }
  for (const job of report.jobs) {
    lines.push(`  ${job.name}: ${cell(formatArgv(job.exec))}`);
    const check =
      report.dialect === "legacy"
        ? legacyCheckSummary(job.check, report.legacyNextCheckMs)
        : checkSummary(job.check);
    lines.push(`    ${startSummary(job)}, restart ${job.restart}; ${cell(check)}`);
  }
  return lines.join("\n") + "\n";
}
