// Measure 5: log throughput and loss. One job (jobs/flood.mjs) writes COUNT numbered lines, a write(2) a line,
// alternating stdout and stderr. Each system is started with it and made ready; then the bench creates the
// job's `go` file and follows the log file(s) until they hold every line. The time runs from the job's own start
// stamp to the moment the bench first sees the last line (polled every 10 ms); then the whole log is checked
// for lost, duplicated, torn and reordered lines. Systems take turns, in an order that rotates each repeat.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkLog, rotatedFiles, waitForLines } from "../log-files.mjs";
import { max, median, push } from "../stats.mjs";
import { rotate, startAll, stopAll } from "./systems.mjs";

const FLOOD = fileURLToPath(new URL("../jobs/flood.mjs", import.meta.url));
const COLUMNS = ["god", "pm2", "supervisord", "shell"];

export async function logs(ctx) {
  const count = ctx.opts.lines;
  const variants = [
    { key: "god", id: "god", merge: true },
    { key: "god-separate", id: "god", merge: false },
    { key: "pm2", id: "pm2", merge: true },
    { key: "supervisord", id: "supervisord", merge: true },
    { key: "shell", id: "shell", merge: true },
  ].filter((v) => ctx.systems.has(v.id));
  const samples = {};
  const failures = [];
  for (let repeat = 0; repeat < ctx.opts.repeats; repeat++) {
    for (const v of rotate(variants, repeat)) {
      ctx.progress(
        `logs: ${v.key}, ${count.toLocaleString("en")} lines, repeat ${repeat + 1}/${ctx.opts.repeats}`,
      );
      try {
        push(samples, v.key, await floodOnce(ctx, v, count, repeat, failures));
      } catch (error) {
        failures.push({ key: v.key, reason: error.message });
        ctx.progress(`  ${v.key}: ${error.message}`);
      }
    }
  }
  return rows(samples, failures, count);
}

async function floodOnce(ctx, v, count, repeat, failures) {
  const label = `logs-${repeat}`;
  const stampDir = join(ctx.tmp, `${label}-${v.key}-stamps`);
  mkdirSync(stampDir, { recursive: true });
  const job = {
    name: "flood",
    argv: [process.execPath, FLOOD, String(count), stampDir],
    restart: false,
    log: { merge: v.merge },
  };
  const [started] = await startAll(ctx, [{ ...v, jobs: [job] }], label, failures);
  if (!started) throw new Error("did not start");
  try {
    const adapter = ctx.systems.get(v.id);
    const file = adapter.logFile(started.dir, "flood");
    const waiting = waitForLines(file, count, { endFile: join(stampDir, "end") });
    writeFileSync(join(stampDir, "go"), "");
    const { doneNs, lines } = await waiting;
    const startNs = BigInt(readFileSync(join(stampDir, "start"), "utf8").trim());
    const check = checkLog(rotatedFiles(file), count, adapter.logPattern);
    return { seconds: doneNs === null ? null : Number(doneNs - startNs) / 1e9, linesSeen: lines, ...check };
  } finally {
    await stopAll([started]);
  }
}

function rows(samples, failures, count) {
  const pick = (key, field, reduce) => {
    const s = samples[key];
    return s ? (reduce(s.map((x) => x[field])) ?? undefined) : undefined;
  };
  const values = (field, reduce, godKey = "god") =>
    Object.fromEntries(COLUMNS.map((k) => [k, pick(k === "god" ? godKey : k, field, reduce)]));
  const faults = (godKey) =>
    Object.fromEntries(
      COLUMNS.map((k) => {
        const s = samples[k === "god" ? godKey : k];
        if (!s) return [k, undefined];
        const worst = (f) => max(s.map((x) => x[f]));
        return [k, `${fmt(worst("lost"))} / ${fmt(worst("duplicated"))} / ${fmt(worst("torn"))}`];
      }),
    );
  const reorderedWithin = (godKey) =>
    Object.fromEntries(
      COLUMNS.map((k) => {
        const s = samples[k === "god" ? godKey : k];
        return [
          k,
          s
            ? `${fmt(max(s.map((x) => x.reorderedOut)))} / ${fmt(max(s.map((x) => x.reorderedErr)))}`
            : undefined,
        ];
      }),
    );
  const lines = count.toLocaleString("en");
  const incomplete = Object.entries(samples)
    .filter(([, s]) => s.some((x) => x.seconds === null))
    .map(
      ([key, s]) =>
        `${key}: ${s.filter((x) => x.seconds === null).length} run(s) never held all ${lines} lines`,
    );
  const out = [
    {
      id: "logs-time",
      label: `${lines} lines (out+err, one file) until all are in the log`,
      unit: "s",
      digits: 2,
      values: values("seconds", median),
      // Issue 17: 0.9× supervisord's time in the same run (supervisord writes no timestamps; god does).
      ...(count === 1_000_000 && typeof values("seconds", median).supervisord === "number"
        ? {
            target: {
              max: 0.9 * values("seconds", median).supervisord,
              text: "≤ 0.9× supervisord, with timestamps",
            },
          }
        : {}),
    },
    {
      id: "logs-faults",
      label: "… lines lost / duplicated / torn (worst run)",
      unit: "",
      text: true,
      values: faults("god"),
      target: { text: "0 / 0 / 0", zeroText: true },
    },
    {
      id: "logs-reordered-stream",
      label: "… reordered within stdout / within stderr (worst run)",
      unit: "",
      text: true,
      values: reorderedWithin("god"),
      target: { text: "0 / 0", zeroText: true },
    },
    {
      id: "logs-reordered-relative",
      label: "… reordered across stdout and stderr in the one file (worst run)",
      unit: "lines",
      digits: 0,
      values: values("reorderedRelative", max),
      target: { max: 0, text: "0" },
    },
  ];
  if (samples["god-separate"]) {
    out.push(
      {
        id: "logs-time-separate",
        label: "… god with merge: false (two pipes, one file), time",
        unit: "s",
        digits: 2,
        values: { god: pick("god-separate", "seconds", median), pm2: null, supervisord: null, shell: null },
      },
      {
        id: "logs-faults-separate",
        label: "… god with merge: false, lost / duplicated / torn; reordered within out / err; across",
        unit: "",
        text: true,
        values: {
          god: `${faults("god-separate").god}; ${reorderedWithin("god-separate").god}; ${fmt(pick("god-separate", "reorderedRelative", max))}`,
          pm2: null,
          supervisord: null,
          shell: null,
        },
      },
    );
  }
  return {
    rows: out,
    notes: [...failures.map((f) => `${f.key}: ${f.reason}`), ...incomplete],
    raw: { samples },
  };
}

function fmt(n) {
  return n === null || n === undefined ? "?" : n.toLocaleString("en");
}
