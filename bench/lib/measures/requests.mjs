import { fileURLToPath } from "node:url";
import { sleep, until } from "../clock.mjs";
import { freePort, httpOk } from "../ports.mjs";
import { max, median, push } from "../stats.mjs";
import { startWrk } from "../wrk.mjs";
import { rotate, startAll, stopAll } from "./systems.mjs";

const SERVER = fileURLToPath(new URL("../jobs/server.cjs", import.meta.url));

// supervisord has no reload, so its restart stands in both rows; the shell column is the server under the same
// load with no restart at all: the noise floor of the gap.
const VARIANTS = [
  { key: "god-reload", id: "god", action: "reload", column: "god", rows: ["reload"] },
  { key: "god-reload-ready", id: "god", action: "reload", column: "god", rows: ["ready"], ready: true },
  {
    key: "pm2-cluster-reload",
    id: "pm2",
    action: "reload",
    mode: "cluster",
    column: "pm2",
    rows: ["reload", "ready"],
  },
  {
    key: "supervisord-restart",
    id: "supervisord",
    action: "restart",
    column: "supervisord",
    rows: ["reload", "restart"],
  },
  { key: "god-restart", id: "god", action: "restart", column: "god", rows: ["restart"] },
  { key: "pm2-fork-restart", id: "pm2", action: "restart", mode: "fork", column: "pm2", rows: ["restart"] },
  { key: "no-restart", id: "shell", action: null, column: "shell", rows: ["reload", "ready", "restart"] },
];

export async function requests(ctx) {
  const variants = VARIANTS.filter((v) => ctx.systems.has(v.id));
  const samples = {};
  const failures = [];
  for (let repeat = 0; repeat < ctx.opts.repeats; repeat++) {
    for (const v of rotate(variants, repeat)) {
      const what = v.action ? `${ctx.opts.actions} × ${v.action}` : "no restart";
      ctx.progress(`requests: ${v.key}, ${what} under wrk, repeat ${repeat + 1}/${ctx.opts.repeats}`);
      try {
        push(samples, v.key, await loadOnce(ctx, v, repeat, failures));
      } catch (error) {
        failures.push({ key: v.key, reason: error.message });
        ctx.progress(`  ${v.key}: ${error.message}`);
      }
    }
  }
  return rows(ctx, samples, failures);
}

/** The job "web": the bench's server on `port`, for any system (mode: PM2's fork or cluster; ready: ready {fd}). */
export function serverJob(port, { mode = "fork", ready = false } = {}) {
  return {
    name: "web",
    argv: [process.execPath, SERVER],
    env: { BENCH_PORT: String(port) },
    restart: true,
    server: { port, script: SERVER, mode, ready },
  };
}

async function loadOnce(ctx, v, repeat, failures) {
  const port = await freePort();
  const job = serverJob(port, { mode: v.mode ?? "fork", ready: v.ready === true });
  const [started] = await startAll(ctx, [{ ...v, jobs: [job] }], `requests-${repeat}`, failures);
  if (!started) throw new Error("did not start");
  let wrk = null;
  try {
    await until(`the server of ${v.key} to answer on port ${port}`, () => httpOk(port), {
      timeoutMs: 20_000,
    });
    wrk = startWrk(`http://127.0.0.1:${port}/`, { threads: 1, connections: 8, maxSeconds: 150 });
    await sleep(1000);
    const actionMs = [];
    const actionErrors = [];
    const deadline = Date.now() + 120_000;
    for (let i = 0; v.action && i < ctx.opts.actions && Date.now() < deadline; i++) {
      const t0 = performance.now();
      try {
        await started.system[v.action]("web");
      } catch (error) {
        actionErrors.push(error.message.split("\n")[0]);
      }
      actionMs.push(performance.now() - t0);
      await sleep(300);
    }
    // With no action, wrk runs about as long as the restarts would take: 10 × ~0.6 s.
    await sleep(v.action ? 1000 : ctx.opts.actions * 600);
    const result = await wrk.stop();
    wrk = null;
    return { ...result, actions: actionMs.length, actionMs: median(actionMs), actionErrors };
  } finally {
    if (wrk) await wrk.stop().catch(() => {});
    await stopAll([started]);
  }
}

function rows(ctx, samples, failures) {
  // A column with no variant for the row does not apply ("—"); one whose variant gave no sample failed.
  const forRow = (row, field, reduce) =>
    Object.fromEntries(
      ["god", "pm2", "supervisord", "shell"].map((column) => {
        const v = VARIANTS.find((x) => x.rows.includes(row) && x.column === column);
        if (!v) return [column, null];
        const s = samples[v.key];
        return [column, s ? (reduce(s.map((x) => x[field])) ?? undefined) : undefined];
      }),
    );
  const n = ctx.opts.actions;
  const notes = failures.map((f) => `${f.key}: ${f.reason}`);
  for (const [key, s] of Object.entries(samples)) {
    const errors = s.flatMap((x) => x.actionErrors);
    const detail = s
      .map(
        (x) =>
          `${x.requests.toLocaleString("en")} requests, ${x.failed} failed (non-2xx ${x.non2xx}, connect ${x.connectErrors}, read ${x.readErrors}, write ${x.writeErrors}, timeout ${x.timeouts}), gap ${x.longestGapMs} ms, ${x.actions ? `${x.actions} commands of median ${Math.round(x.actionMs)} ms` : "no command"}`,
      )
      .join("; ");
    notes.push(
      `${key}: ${detail}${errors.length ? `; the command failed ${errors.length} time(s): ${errors[0]}` : ""}`,
    );
  }
  return {
    rows: [
      {
        id: "reload-failed",
        label: `Failed requests during ${n} reloads under wrk: god reload, pm2 reload (cluster), supervisorctl restart; shell column: no reload`,
        unit: "",
        digits: 0,
        values: forRow("reload", "failed", median),
        target: { max: 0, text: "0" },
      },
      {
        id: "reload-gap",
        label: "… longest time without a successful answer",
        unit: "ms",
        digits: 0,
        values: forRow("reload", "longestGapMs", median),
        // Issue 12/17: no more than the no-reload gap (the shell column: the same server, no command) + 5 ms.
        ...relativeTarget(
          forRow("reload", "longestGapMs", median),
          (none) => none + 5,
          "≤ no-reload gap + 5 ms",
        ),
      },
      {
        id: "reload-p99",
        label: "… latency p99 (wrk)",
        unit: "ms",
        digits: 1,
        values: forRow("reload", "p99Ms", median),
        ...relativeTarget(forRow("reload", "p99Ms", median), (none) => none * 2, "≤ 2× no-reload p99"),
      },
      {
        id: "ready-failed",
        label: `Failed requests during ${n} reloads, god's server saying itself when it accepts (ready {fd}); pm2 reload (cluster); shell: no reload`,
        unit: "",
        digits: 0,
        values: forRow("ready", "failed", median),
        target: { max: 0, text: "0" },
      },
      {
        id: "ready-gap",
        label: "… longest time without a successful answer",
        unit: "ms",
        digits: 0,
        values: forRow("ready", "longestGapMs", median),
        // Issue 12/17: no more than the no-reload gap (the shell column: the same server, no command) + 5 ms.
        ...relativeTarget(
          forRow("ready", "longestGapMs", median),
          (none) => none + 5,
          "≤ no-reload gap + 5 ms",
        ),
      },
      {
        id: "ready-p99",
        label: "… latency p99 (wrk)",
        unit: "ms",
        digits: 1,
        values: forRow("ready", "p99Ms", median),
        ...relativeTarget(forRow("ready", "p99Ms", median), (none) => none * 2, "≤ 2× no-reload p99"),
      },
      {
        id: "restart-failed",
        label: `Failed requests during ${n} restarts under wrk: god restart, pm2 restart (fork), supervisorctl restart; shell column: no restart`,
        unit: "",
        digits: 0,
        values: forRow("restart", "failed", median),
      },
      {
        id: "restart-gap",
        label: "… longest time without a successful answer",
        unit: "ms",
        digits: 0,
        values: forRow("restart", "longestGapMs", median),
      },
    ],
    notes,
    raw: {
      samples,
      worst: Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, max(s.map((x) => x.failed))])),
    },
  };
}

/** A target made from the shell column (the same server with no command) of the same run, when there is one. */
function relativeTarget(values, limit, text) {
  return typeof values.shell === "number" ? { target: { max: limit(values.shell), text } } : {};
}
