// The `god status` table, made from the daemon's StatusJson: by the CLI, and by the daemon itself when a client
// asks for `format: "text"` (god's code is warm there, so `god status` spends its own short life on little more
// than the request). Plain: left-aligned, two spaces apart, no trailing blanks, no colours. Cells are cleaned of
// control characters: check messages and reasons come from loaders and must not drive the terminal.

import type { CheckJson, JobJson, StatusJson } from "./control.js";

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** The largest unit and the next one, the second padded to two digits; whole seconds below a minute. */
export function formatUptime(ms: number): string {
  const s = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d${pad2(h % 24)}h`;
}

const CONTROL = /\p{Cc}+/gu;

/** One line, no control characters, at most `max` characters (an ellipsis marks a cut). */
export function cell(text: string, max = Number.POSITIVE_INFINITY): string {
  const clean = text.replace(CONTROL, " ").trim();
  return clean.length > max ? `${clean.slice(0, Math.max(0, max - 1))}…` : clean;
}

export function renderTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (row: readonly string[]) =>
    header
      .map((_, i) => {
        const text = row[i] ?? "";
        return i === header.length - 1 ? text : text.padEnd(widths[i] ?? 0);
      })
      .join("  ")
      .trimEnd();
  return [header, ...rows].map(line).join("\n") + "\n";
}

export const REASON_MAX = 32;
export const CHECK_MAX = 40;

/** The state, with the reason when there is one: `waiting (after db)`. */
export function stateLabel(job: JobJson): string {
  return job.reason === null || job.reason === ""
    ? job.state
    : `${job.state} (${cell(job.reason, REASON_MAX)})`;
}

export function checkLabel(check: CheckJson | null, max = CHECK_MAX): string {
  if (check === null) return "-";
  if (check.status === "ok" || check.message === null || check.message === "") return check.status;
  return cell(`${check.status}: ${check.message}`, max);
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** Binary units, short: `512B`, `9.5K`, `300M`, `1.2G`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "K", "M", "G", "T"];
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)}B`;
  return `${value < 10 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}

/**
 * The MEM cell: the RSS of the job's process groups, then its maxMemory after a slash (`120M/256M`); a job of
 * several instances shows their sum and the per-instance limit with its count (`700M/3x256M`).
 */
export function memoryLabel(job: JobJson): string {
  const usage = job.usage ?? null;
  const limit = job.maxMemory ?? null;
  const rss = usage === null ? "-" : formatBytes(usage.rssBytes);
  if (limit === null) return rss;
  const count = job.instances?.length ?? 1;
  return `${rss}/${count > 1 ? `${count}x` : ""}${formatBytes(limit)}`;
}

/**
 * The `god status` table: a line per job; with `instances`, each instance of a job that runs several gets a
 * line under it (`web:1`). An INST column (ready/all) appears when some job runs several, MEM (RSS/maxMemory)
 * when some job has a usage reading or a limit, and STATUS (what an instance says of itself, SPEC 11) when
 * some job has one, so a plain setup reads as before.
 */
export function renderStatus(status: StatusJson, options: { instances?: boolean } = {}): string {
  const many = status.jobs.some((job) => (job.instances?.length ?? 1) > 1);
  // An older god sends neither usage nor maxMemory: no MEM column then.
  const mem = status.jobs.some((job) => (job.usage ?? null) !== null || (job.maxMemory ?? null) !== null);
  const said = status.jobs.some((job) => job.statusText || job.instances?.some((i) => i.statusText));
  const header = ["JOB", "STATE", "PID", ...(many ? ["INST"] : []), "UPTIME", "RESTARTS"];
  if (mem) header.push("MEM");
  header.push("CHECK");
  if (said) header.push("STATUS");
  header.push("LOADER");
  const rows: string[][] = [];
  for (const job of status.jobs) {
    const instances = job.instances ?? [];
    const ready = instances.filter((i) => i.state === "running" || i.state === "degraded").length;
    rows.push([
      cell(job.name),
      stateLabel(job),
      job.pid === null ? "-" : String(job.pid),
      ...(many ? [`${ready}/${instances.length}`] : []),
      job.uptimeMs === null ? "-" : formatUptime(job.uptimeMs),
      String(job.restarts),
      ...(mem ? [memoryLabel(job)] : []),
      checkLabel(job.check),
      ...(said ? [job.statusText ? cell(job.statusText, CHECK_MAX) : "-"] : []),
      cell(basename(job.loader)) || "-",
    ]);
    if (!options.instances || instances.length < 2) continue;
    for (const inst of instances) {
      const reason = inst.reason === null || inst.reason === "" ? "" : ` (${cell(inst.reason, REASON_MAX)})`;
      const rss = (inst.usage ?? null) === null ? "-" : formatBytes(inst.usage!.rssBytes);
      const limit = job.maxMemory ?? null;
      rows.push([
        `  ${cell(job.name)}:${inst.index}`,
        `${inst.state}${reason}`,
        inst.pid === null ? "-" : String(inst.pid),
        ...(many ? [""] : []),
        inst.uptimeMs === null ? "-" : formatUptime(inst.uptimeMs),
        String(inst.restarts),
        ...(mem ? [limit === null ? rss : `${rss}/${formatBytes(limit)}`] : []),
        checkLabel(inst.check),
        ...(said ? [inst.statusText ? cell(inst.statusText, CHECK_MAX) : "-"] : []),
        "",
      ]);
    }
  }
  return renderTable(header, rows);
}
