// The frame of `god top`: one row per job and, for a job of several instances, one per instance (state, pid, CPU,
// memory of the process group, restarts, uptime, last log line), fitted to the terminal's width and height, with
// the selected row highlighted. Pure: top.ts fetches and paints. Colour and highlight are SGR codes only when
// asked for; without colour the selection is a `>` in the margin, and the frame has no escape codes at all.

import { cell, formatBytes, formatUptime } from "./render.js";

export { formatBytes } from "./render.js";

// The daemon's answers as god top reads them (SPEC 15): `status` with `instances` and `usage`, and `logs`.
export interface TopUsage {
  cpuPercent: number;
  rssBytes: number;
}

export interface TopInstance {
  index: number;
  pid: number | null;
  state: string;
  restarts: number;
  uptimeMs: number | null;
  usage: TopUsage | null;
}

export interface TopJob {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  uptimeMs: number | null;
  usage: TopUsage | null;
  /** The per-instance limit in bytes, or null. */
  maxMemory: number | null;
  instances: readonly TopInstance[];
}

export interface TopLogRecord {
  job: string;
  msg: string;
  instance?: number;
}

export interface TopRow {
  /** Stable across refreshes, so the selection stays on its job: `backend` or `backend.2`. */
  key: string;
  label: string;
  /** 0 for a job, 1 for one of its instances (indented). */
  depth: 0 | 1;
  state: string;
  pid: number | null;
  usage: TopUsage | null;
  maxMemory: number | null;
  restarts: number;
  uptimeMs: number | null;
  log: string;
}

/** A job's rows: itself, then its instances when it has more than one. `records` are oldest first. */
export function topRows(jobs: readonly TopJob[], records: readonly TopLogRecord[]): TopRow[] {
  const rows: TopRow[] = [];
  for (const job of jobs) {
    const own = records.filter((r) => r.job === job.name);
    const last = (instance: number | null) =>
      own.findLast((r) => instance === null || r.instance === undefined || r.instance === instance)?.msg ??
      "";
    const only = job.instances.length === 1 ? job.instances[0]! : null;
    rows.push({
      key: job.name,
      label: job.name,
      depth: 0,
      state: job.state,
      pid: only?.pid ?? (job.instances.length > 1 ? null : job.pid),
      usage: only?.usage ?? job.usage,
      maxMemory: job.instances.length > 1 ? null : job.maxMemory,
      restarts: job.restarts,
      uptimeMs: job.uptimeMs,
      log: last(null),
    });
    if (job.instances.length < 2) continue;
    for (const instance of job.instances) {
      rows.push({
        key: `${job.name}.${instance.index}`,
        label: `${job.name}.${instance.index}`,
        depth: 1,
        state: instance.state,
        pid: instance.pid,
        usage: instance.usage,
        maxMemory: job.maxMemory,
        restarts: instance.restarts,
        uptimeMs: instance.uptimeMs,
        log: last(instance.index),
      });
    }
  }
  return rows;
}

// Characters a terminal draws two columns wide (CJK, fullwidth forms, emoji), and those it draws on the previous
// one (combining marks, joiners, variation selectors).
const WIDE =
  /[\u1100-\u115F\u2E80-\u303E\u3041-\u33FF\u3400-\u4DBF\u4E00-\u9FFF\uA000-\uA4CF\uAC00-\uD7A3\uF900-\uFAFF\uFE30-\uFE4F\uFF00-\uFF60\uFFE0-\uFFE6\u{20000}-\u{3FFFD}\p{Emoji_Presentation}]/u;
const ZERO = /[\p{Mn}\p{Me}\p{Cf}]/u;

export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += ZERO.test(char) ? 0 : WIDE.test(char) ? 2 : 1;
  return width;
}

/** At most `width` columns; an ellipsis marks a cut. */
export function fit(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return "";
  let out = "";
  let used = 0;
  for (const char of text) {
    const w = ZERO.test(char) ? 0 : WIDE.test(char) ? 2 : 1;
    if (used + w > width - 1) break;
    out += char;
    used += w;
  }
  return `${out.trimEnd()}…`;
}

function padEnd(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

function padStart(text: string, width: number): string {
  return " ".repeat(Math.max(0, width - displayWidth(text))) + text;
}

export interface TopFrameOptions {
  /** Columns; every line fits. */
  width: number;
  /** Lines of the screen, or null for as many as there are rows (`--once`). */
  height: number | null;
  colour: boolean;
  /** The selected row's index, or null for none (`--once`). */
  selected: number | null;
  /** The first line: which god, and the totals. */
  title: string;
}

const SGR = {
  bold: "\x1b[1m",
  dim: "\x1b[2m",
  reverse: "\x1b[7m",
  red: "\x1b[31m",
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  reset: "\x1b[0m",
} as const;

function stateColour(state: string): string {
  switch (state) {
    case "running":
      return SGR.green;
    case "starting":
    case "degraded":
    case "stopping":
      return SGR.yellow;
    case "backoff":
    case "failed":
      return SGR.red;
    default:
      return SGR.dim;
  }
}

const HEADER = ["JOB", "STATE", "PID", "CPU%", "MEM", "RESTARTS", "UPTIME"] as const;
/** Columns aligned to the right: the numbers. */
const RIGHT = new Set([3, 4]);
const LOG_HEADER = "LAST LOG";
/** Below this many columns for it, the log line is left out rather than cut to nothing. */
const MIN_LOG_WIDTH = 8;

function cells(row: TopRow): string[] {
  const memory = row.usage === null ? "-" : formatBytes(row.usage.rssBytes);
  return [
    "  ".repeat(row.depth) + cell(row.label),
    row.state,
    row.pid === null ? "-" : String(row.pid),
    row.usage === null ? "-" : row.usage.cpuPercent.toFixed(1),
    row.maxMemory === null ? memory : `${memory}/${formatBytes(row.maxMemory)}`,
    String(row.restarts),
    row.uptimeMs === null ? "-" : formatUptime(row.uptimeMs),
  ];
}

/** The frame's lines, none wider than `width` columns, at most `height` of them. */
export function renderTopFrame(rows: readonly TopRow[], options: TopFrameOptions): string[] {
  const { width, colour, selected } = options;
  const margin = !colour && selected !== null ? "  " : "";
  const room = width - margin.length;
  const table = rows.map(cells);
  const widths = HEADER.map((title, i) =>
    Math.max(displayWidth(title), ...table.map((r) => displayWidth(r[i] ?? ""))),
  );
  const logWidth = room - widths.reduce((sum, w) => sum + w + 2, 0);
  const withLog = logWidth >= MIN_LOG_WIDTH;
  const pad = (texts: readonly string[]) =>
    texts.map((text, i) => (RIGHT.has(i) ? padStart(text, widths[i]!) : padEnd(text, widths[i]!)));
  const plain = (texts: readonly string[], log: string) => {
    const columns = pad(texts).join("  ");
    return fit((withLog ? `${columns}  ${fit(cell(log), logWidth)}` : columns).trimEnd(), room);
  };

  const lines: string[] = [];
  const title = fit(cell(options.title), width);
  const header = margin + plain(HEADER, LOG_HEADER);
  lines.push(colour ? `${SGR.bold}${title}${SGR.reset}` : title);
  lines.push(colour ? `${SGR.bold}${header}${SGR.reset}` : header);
  if (rows.length === 0) lines.push(margin + "no jobs");

  // Scrolled just enough to keep the selection in view.
  const shown = options.height === null ? rows.length : Math.max(0, options.height - lines.length);
  const first = selected !== null && selected >= shown ? selected - shown + 1 : 0;
  for (let i = first; i < Math.min(rows.length, first + shown); i++) {
    const row = rows[i]!;
    const text = plain(table[i]!, row.log);
    if (!colour) {
      lines.push(margin === "" ? text : `${i === selected ? ">" : " "} ${text}`);
      continue;
    }
    lines.push(paint(text, pad(table[i]!), row.state, i === selected, width));
  }
  return options.height === null ? lines : lines.slice(0, options.height);
}

/**
 * The row with its state coloured and, when selected, reversed across the whole width. A row cut to the width is
 * only reversed: codes inside a cut string would be cut too.
 */
function paint(
  text: string,
  columns: readonly string[],
  state: string,
  selected: boolean,
  width: number,
): string {
  const before = `${columns[0]}  `;
  const on = selected ? SGR.reverse : "";
  const fill = " ".repeat(Math.max(0, width - displayWidth(text)));
  const whole = text.startsWith(before + columns[1]);
  if (!whole) return selected ? `${on}${text}${fill}${SGR.reset}` : text;
  const after = text.slice(before.length + columns[1]!.length);
  const coloured = `${before}${stateColour(state)}${columns[1]}${SGR.reset}${on}${after}`;
  return selected ? `${on}${coloured}${fill}${SGR.reset}` : coloured;
}
