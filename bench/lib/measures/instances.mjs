// Measure 7 (issue 13): instances. A CPU-bound HTTP server (jobs/cpu-server.cjs, ~3 ms of work a request) under
// wrk: requests per second with 1 and 2 instances under god and with PM2's cluster mode `-i 2`, same run; then
// a rolling reload of 2 and of 4 instances under load (failed requests, longest gap); and god's RSS per extra
// instance beside its RSS per extra job (1 job of 100 instances vs 100 jobs, `sleep` each).
import { fileURLToPath } from "node:url";
import { sleep, until } from "../clock.mjs";
import { freePort, httpOk } from "../ports.mjs";
import { rssKiB } from "../proc.mjs";
import { median, push } from "../stats.mjs";
import { startWrk } from "../wrk.mjs";
import { rotate, startAll, stopAll } from "./systems.mjs";

const SERVER = fileURLToPath(new URL("../jobs/cpu-server.cjs", import.meta.url));
const THROUGHPUT = [
  { key: "god-1", id: "god", instances: 1 },
  { key: "god-2", id: "god", instances: 2 },
  { key: "pm2-cluster-2", id: "pm2", instances: 2, mode: "cluster" },
];

function serverJob(port, instances, mode) {
  return {
    name: "web",
    argv: [process.execPath, SERVER],
    env: { BENCH_PORT: String(port) },
    restart: true,
    instances,
    server: { port, script: SERVER, mode: mode ?? "fork", ready: true },
  };
}

async function loaded(ctx, v, seconds, failures, act) {
  const port = await freePort();
  const [started] = await startAll(
    ctx,
    [{ ...v, jobs: [serverJob(port, v.instances, v.mode)] }],
    v.key,
    failures,
  );
  if (!started) throw new Error("did not start");
  let wrk = null;
  try {
    await until(`${v.key} to answer on ${port}`, () => httpOk(port), { timeoutMs: 30_000 });
    wrk = startWrk(`http://127.0.0.1:${port}/`, { threads: 2, connections: 16, maxSeconds: seconds + 60 });
    const t0 = performance.now();
    const actions = act ? await act(started.system) : [];
    const left = seconds * 1000 - (performance.now() - t0);
    if (left > 0) await sleep(left);
    const result = await wrk.stop();
    wrk = null;
    const elapsed = (performance.now() - t0) / 1000;
    return { ...result, rps: result.requests / elapsed, actions };
  } finally {
    if (wrk) await wrk.stop().catch(() => {});
    await stopAll([started]);
  }
}

export async function instances(ctx) {
  const failures = [];
  const samples = {};
  const seconds = ctx.opts.quick ? 5 : 10;
  for (let repeat = 0; repeat < ctx.opts.repeats; repeat++) {
    for (const v of rotate(
      THROUGHPUT.filter((x) => ctx.systems.has(x.id)),
      repeat,
    )) {
      ctx.progress(
        `instances: ${v.key} under wrk -t2 -c16 for ${seconds} s, repeat ${repeat + 1}/${ctx.opts.repeats}`,
      );
      try {
        push(samples, v.key, await loaded(ctx, v, seconds, failures));
      } catch (error) {
        failures.push({ key: v.key, reason: error.message });
      }
    }
    for (const n of [2, 4]) {
      const v = { key: `god-roll-${n}`, id: "god", instances: n };
      ctx.progress(
        `instances: god reload of ${n} instances under wrk, repeat ${repeat + 1}/${ctx.opts.repeats}`,
      );
      try {
        push(
          samples,
          v.key,
          await loaded(ctx, v, seconds, failures, async (system) => {
            await sleep(1000);
            const t0 = performance.now();
            await system.reload("web");
            return [performance.now() - t0];
          }),
        );
      } catch (error) {
        failures.push({ key: v.key, reason: error.message });
      }
    }
  }
  const perExtra = await rssPerExtra(ctx, failures);
  const rps = (key) => (samples[key] ? median(samples[key].map((s) => s.rps)) : undefined);
  const god1 = rps("god-1");
  const god2 = rps("god-2");
  const pm2 = rps("pm2-cluster-2");
  const roll = (n, field) =>
    samples[`god-roll-${n}`] ? median(samples[`god-roll-${n}`].map((s) => s[field])) : undefined;
  const notes = failures.map((f) => `${f.key}: ${f.reason}`);
  for (const [key, s] of Object.entries(samples)) {
    notes.push(
      `${key}: ${s.map((x) => `${Math.round(x.rps)} req/s, ${x.failed} failed, gap ${x.longestGapMs} ms${x.actions.length ? `, reload took ${Math.round(x.actions[0])} ms` : ""}`).join("; ")}`,
    );
  }
  return {
    rows: [
      {
        id: "inst-rps-1",
        label: "CPU-bound server (~3 ms/request), wrk -t2 -c16: requests/s, 1 instance (PM2: cluster -i 2)",
        unit: "req/s",
        digits: 0,
        values: { god: god1, pm2: null, supervisord: null, shell: null },
      },
      {
        id: "inst-rps-2",
        label: "… 2 instances (god) vs PM2 cluster -i 2",
        unit: "req/s",
        digits: 0,
        values: { god: god2, pm2, supervisord: null, shell: null },
        target: { min: pm2 ?? 0, text: ">= PM2 and >= 1.7x one instance" },
      },
      {
        id: "inst-scaling",
        label: "… god 2 instances ÷ god 1 instance",
        unit: "x",
        digits: 2,
        values: { god: god1 && god2 ? god2 / god1 : undefined, pm2: null, supervisord: null, shell: null },
        target: { min: 1.7, text: ">= 1.7x" },
      },
      {
        id: "inst-roll-2",
        label: "Failed requests during a rolling reload of 2 instances under wrk",
        unit: "",
        digits: 0,
        values: { god: roll(2, "failed"), pm2: null, supervisord: null, shell: null },
        target: { max: 0, text: "0" },
      },
      {
        id: "inst-roll-4",
        label: "Failed requests during a rolling reload of 4 instances under wrk",
        unit: "",
        digits: 0,
        values: { god: roll(4, "failed"), pm2: null, supervisord: null, shell: null },
        target: { max: 0, text: "0" },
      },
      {
        id: "inst-rss",
        label: "god's RSS per extra instance (1 job × 100 instances) vs per extra job (100 jobs), sleep each",
        unit: "KiB",
        digits: 0,
        values: { god: perExtra.instance, pm2: null, supervisord: null, shell: perExtra.job },
      },
    ],
    notes: [
      ...notes,
      `RSS per extra: ${perExtra.instance ?? "?"} KiB an instance, ${perExtra.job ?? "?"} KiB a job (shell column)`,
    ],
    raw: { samples, perExtra },
  };
}

/** god's RSS with 1 sleep job, with 1 job of 100 instances, and with 100 jobs: KiB per extra instance and job. */
async function rssPerExtra(ctx, failures) {
  const sleepJob = (name, instances) => ({ name, argv: ["sleep", "100000"], restart: true, instances });
  const measure = async (key, jobs) => {
    const [started] = await startAll(ctx, [{ key, id: "god", jobs }], key, failures);
    if (!started) return undefined;
    try {
      await sleep(ctx.opts.settleMs);
      const pids = await started.system.daemonPids();
      return rssKiB(pids[0]) ?? undefined;
    } finally {
      await stopAll([started]);
    }
  };
  ctx.progress("instances: god's RSS with 1 job, 1 job × 100 instances, 100 jobs");
  const one = await measure("rss-1", [sleepJob("s", 1)]);
  const many = await measure("rss-100-instances", [sleepJob("s", 100)]);
  const jobs = await measure(
    "rss-100-jobs",
    Array.from({ length: 100 }, (_, i) => sleepJob(`s${i}`, 1)),
  );
  return {
    instance: one && many ? (many - one) / 99 : undefined,
    job: one && jobs ? (jobs - one) / 99 : undefined,
  };
}
