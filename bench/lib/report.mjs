// The table: one row per figure, a column per system, god's ratio to each peer, the target and whether god
// meets it; printed as Markdown and written into docs/benchmarks.md between this script's markers, leaving the
// rest of that file (other people's sections) as it was.
import { existsSync, readFileSync, writeFileSync } from "node:fs";

export const COLUMNS = [
  { id: "god", label: "god" },
  { id: "pm2", label: "PM2" },
  { id: "supervisord", label: "supervisord" },
  { id: "shell", label: "shell loop" },
];
export const START = "<!-- bench:run.mjs start -->";
export const END = "<!-- bench:run.mjs end -->";

function number(v, row) {
  const digits = row.digits ?? 0;
  const text = v.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return row.unit ? `${text} ${row.unit}` : text;
}

/** A cell: a figure, "—" where the measure does not apply, "skipped"/"failed" where a system gave none. */
function cell(row, id, skipped) {
  const v = row.values[id];
  if (v === null) return "—";
  if (v === undefined) return skipped.has(id) ? "skipped" : "failed";
  return typeof v === "number" ? number(v, row) : String(v);
}

function ratio(row, peer) {
  const g = row.values.god;
  const p = row.values[peer];
  if (typeof g !== "number" || typeof p !== "number") return "";
  if (p === 0) return g === 0 ? "equal (0)" : "";
  return `${(g / p).toFixed(2)}×`;
}

/** Whether god meets the row's target, and by how much it misses. */
export function verdict(row) {
  const t = row.target;
  const g = row.values.god;
  if (!t || g === undefined || g === null) return "";
  if (t.zeroText) return /[1-9]/.test(String(g)) ? "no" : "yes";
  if (typeof g !== "number" || t.max === undefined) return "";
  if (g <= t.max) return "yes";
  const over = number(g - t.max, row);
  return t.max > 0 ? `no: +${over} (${(g / t.max).toFixed(2)}× the target)` : `no: ${number(g, row)}`;
}

export function renderTable(rows, skipped) {
  const head = [
    "Measure",
    ...COLUMNS.map((c) => c.label),
    "god ÷ PM2",
    "god ÷ supervisord",
    "target (god)",
    "god meets it",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const row of rows) {
    const cells = [
      row.label,
      ...COLUMNS.map((c) => cell(row, c.id, skipped)),
      ratio(row, "pm2"),
      ratio(row, "supervisord"),
      row.target?.text ?? "",
      verdict(row),
    ];
    lines.push(`| ${cells.map((c) => c.replace(/\|/g, "\\|")).join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Replaces this script's section of the file at path (or appends it), keeping everything else. */
export function writeSection(path, section) {
  const block = `${START}\n${section.trim()}\n${END}`;
  let text = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from !== -1 && to > from) text = text.slice(0, from) + block + text.slice(to + END.length);
  else text = `${text.replace(/\s*$/, "")}\n\n${block}\n`;
  writeFileSync(path, text.endsWith("\n") ? text : `${text}\n`);
}
