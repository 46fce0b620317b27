// Measures 1 to 3, on daemons that sit idle with N `sleep` jobs: the RSS of each supervisor's own processes
// (1, 50 and 200 jobs), their CPU time over a window with 200 jobs (god also with a tcp check every 5 s on each),
// and the wall time of the status command with 50 jobs next to `node -e 0`. The systems of one size run side by
// side, so each sample of an idle figure is taken over the same seconds for all of them; status commands are
// run in turns, in an order that rotates each round.

import { track } from "../cleanup.mjs";
import { sleep } from "../clock.mjs";
import { acceptAndClose } from "../ports.mjs";
import { cpuNs, rssKiB, rssParts, run, signalGroup, spawnGroup } from "../proc.mjs";
import { median, push } from "../stats.mjs";
import { rotate, startAll, stopAll } from "./systems.mjs";

const PEERS = ["god", "pm2", "supervisord"];

function sleepJobs(count, check) {
  return Array.from({ length: count }, (_, i) => ({
    name: `sleep-${i + 1}`,
    argv: ["sleep", "100000"],
    restart: true,
    ...(check ? { check } : {}),
  }));
}

/** wants: { memory, cpu, status } booleans. */
export async function idle(ctx, wants) {
  const sizes = [
    ...new Set([
      ...(wants.memory ? [1, 50, 200] : []),
      ...(wants.status ? [50] : []),
      ...(wants.cpu ? [200] : []),
    ]),
  ].sort((a, b) => a - b);
  const rss = {};
  const cpu = {};
  const statusMs = {};
  const failures = [];
  const roundsPerRepeat = Math.ceil(ctx.opts.statusRuns / ctx.opts.repeats);
  const bareNode = [];
  const parts = {};
  for (let repeat = 0; repeat < ctx.opts.repeats; repeat++) {
    for (const size of sizes) {
      const probe = size === 200 && wants.cpu && ctx.systems.has("god") ? await acceptAndClose() : null;
      const variants = PEERS.filter((id) => ctx.systems.has(id)).map((id) => ({
        key: id,
        id,
        jobs: sleepJobs(size),
      }));
      if (probe)
        variants.push({
          key: "god-check",
          id: "god",
          jobs: sleepJobs(size, { intervalMs: 5000, tcpPort: probe.port }),
        });
      ctx.progress(`idle: ${size} job(s), repeat ${repeat + 1}/${ctx.opts.repeats}`);
      const started = await startAll(ctx, rotate(variants, repeat), `idle-${size}-${repeat}`, failures);
      // For scale: an idle Node process that loads nothing, sampled the same way.
      const node = size === 1 ? spawnGroup([process.execPath, "-e", "setInterval(() => {}, 1e9)"]) : null;
      if (node) track(node.pid);
      try {
        await sleep(ctx.opts.settleMs);
        if (node) bareNode.push(rssParts(node.pid));
        const pids = new Map();
        for (const v of started) pids.set(v.key, await v.system.daemonPids());
        await sleep(1000);
        if (wants.memory || size === 200) {
          for (const v of started) {
            const kib = pids.get(v.key).reduce((sum, pid) => sum + (rssKiB(pid) ?? 0), 0);
            rss[v.key] = rss[v.key] ?? {};
            push(rss[v.key], size, kib);
            if (size === 200 && repeat === 0) parts[v.key] = pids.get(v.key).map(rssParts);
          }
        }
        if (wants.status && size === 50) {
          const commands = started
            .filter((v) => v.key !== "god-check")
            .map((v) => ({ key: v.key, ...v.system.statusCommand() }));
          commands.push({ key: "node", argv: [process.execPath, "-e", "0"], env: process.env });
          let turns = commands;
          for (let round = 0; round < roundsPerRepeat; round++) {
            for (const c of rotate(turns, round)) {
              const result = await run(c.argv, { env: c.env, capture: false, timeoutMs: 30_000 });
              if (result.code === 0) push(statusMs, c.key, result.ms);
              else {
                // A status command that fails is no figure: report it and leave that system out.
                failures.push({
                  key: c.key,
                  reason: `${c.argv.join(" ")} exited ${result.code}: ${result.stderr.trim()}`,
                });
                turns = turns.filter((t) => t !== c);
              }
            }
          }
        }
        // The 1-job reading again once the start's garbage is collected: the per-job figure compares it with
        // 200 jobs' at the same age.
        if ((wants.memory && size === 1) || ((wants.cpu || wants.memory) && size === 200)) {
          ctx.progress(`idle: ${ctx.opts.quietMs / 1000} s more with ${size} job(s), then RSS again`);
          await sleep(ctx.opts.quietMs);
          for (const v of started) {
            const kib = pids.get(v.key).reduce((sum, pid) => sum + (rssKiB(pid) ?? 0), 0);
            rss[v.key] = rss[v.key] ?? {};
            push(rss[v.key], `${size}-quiet`, kib);
          }
        }
        if (wants.cpu && size === 200) {
          const before = new Map(started.map((v) => [v.key, pids.get(v.key).map(cpuNs)]));
          ctx.progress(`idle: CPU over ${ctx.opts.cpuSeconds} s with 200 jobs`);
          await sleep(ctx.opts.cpuSeconds * 1000);
          for (const v of started) {
            const after = pids.get(v.key).map(cpuNs);
            const used = after.reduce((sum, ns, i) => sum + (ns ?? 0) - (before.get(v.key)[i] ?? 0), 0);
            push(cpu, v.key, used / 1e9);
          }
        }
      } finally {
        if (node) signalGroup(node.pid, "SIGKILL");
        await stopAll(started);
        await probe?.close();
      }
    }
  }
  return rows(ctx, wants, { rss, cpu, statusMs, failures, bareNode, parts });
}

function rows(ctx, wants, { rss, cpu, statusMs, failures, bareNode, parts }) {
  const out = [];
  const mib = (key, size) => {
    const m = median(rss[key]?.[size] ?? []);
    return m === null ? undefined : m / 1024;
  };
  const cpuLabel = `${ctx.opts.cpuSeconds} s`;
  if (wants.memory) {
    for (const size of [1, 50, 200]) {
      out.push({
        id: `rss-${size}`,
        label: `Daemon RSS, ${size} sleep job${size === 1 ? "" : "s"}`,
        unit: "MiB",
        digits: 1,
        values: {
          god: mib("god", size),
          pm2: mib("pm2", size),
          supervisord: mib("supervisord", size),
          shell: null,
        },
      });
    }
    out.push({
      id: "rss-200-quiet",
      label: `… 200 sleep jobs, ${ctx.opts.quietMs / 1000} s later (after the start's full GC)`,
      unit: "MiB",
      digits: 1,
      values: {
        god: mib("god", "200-quiet"),
        pm2: mib("pm2", "200-quiet"),
        supervisord: mib("supervisord", "200-quiet"),
        shell: null,
      },
      target: { max: 52, text: "≤ 52 MiB" },
    });
    const perJob = (key, one, many) => {
      const a = mib(key, one);
      const b = mib(key, many);
      return a === undefined || b === undefined ? undefined : ((b - a) * 1024) / 199;
    };
    const perJobValues = (one, many) => ({
      god: perJob("god", one, many),
      pm2: perJob("pm2", one, many),
      supervisord: perJob("supervisord", one, many),
      shell: null,
    });
    out.push({
      id: "rss-per-job",
      label: `Daemon RSS per extra job, (200 − 1) / 199, both ${ctx.opts.quietMs / 1000} s later`,
      unit: "KiB",
      digits: 0,
      values: perJobValues("1-quiet", "200-quiet"),
      target: { max: 30, text: "≤ 30 KiB" },
    });
    out.push({
      id: "rss-per-job-start",
      label: `… both ${ctx.opts.settleMs / 1000 + 1} s after the start (the start's garbage not yet collected)`,
      unit: "KiB",
      digits: 0,
      values: perJobValues(1, 200),
    });
  }
  if (wants.cpu) {
    const c = (key) => {
      const m = median(cpu[key] ?? []);
      return m === null ? undefined : m * 1000;
    };
    out.push({
      id: "cpu-idle",
      label: `Daemon CPU over ${cpuLabel} idle, 200 jobs (from ${ctx.opts.quietMs / 1000} s after they run)`,
      unit: "ms",
      digits: 1,
      values: { god: c("god"), pm2: c("pm2"), supervisord: c("supervisord"), shell: null },
      // Issue 17: no more than supervisord's, over the same seconds.
      ...(c("supervisord") !== undefined
        ? { target: { max: c("supervisord"), text: "≤ supervisord's" } }
        : {}),
    });
    out.push({
      id: "cpu-check",
      label: "… god with a tcp check every 5 s on each job (40 probes/s)",
      unit: "ms",
      digits: 1,
      values: { god: c("god-check"), pm2: null, supervisord: null, shell: null },
      note: "PM2 and supervisord have no checks of their own",
    });
  }
  if (wants.status) {
    const s = (key) => median(statusMs[key] ?? []) ?? undefined;
    const n = statusMs.node?.length ?? 0;
    out.push({
      id: "status",
      label: `Status command, 50 jobs (median of ${n}): god status, pm2 jlist, supervisorctl status; shell column: node -e 0`,
      unit: "ms",
      digits: 0,
      values: { god: s("god"), pm2: s("pm2"), supervisord: s("supervisord"), shell: s("node") },
      // Issue 17: within 8 ms of starting Node itself, in the same run.
      ...(s("node") !== undefined ? { target: { max: s("node") + 8, text: "≤ node -e 0 + 8 ms" } } : {}),
    });
  }
  const notes = failures.map((f) => `${f.key}: ${f.reason}`);
  const mb = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
  const node = bareNode.find((p) => p !== null);
  if (wants.memory && node) {
    notes.push(
      `for scale: an idle \`node -e "setInterval(() => {}, 1e9)"\` (${process.version}) has an RSS of ${mb(node.anon + node.file)} here: ${mb(node.anon)} anonymous, ${mb(node.file)} file-backed (the node binary, shared)`,
    );
  }
  for (const [key, list] of Object.entries(parts)) {
    const sum = (f) => list.reduce((s, p) => s + (p?.[f] ?? 0), 0);
    notes.push(
      `${key} with 200 jobs (first repeat): RSS ${mb(sum("anon"))} anonymous + ${mb(sum("file"))} file-backed`,
    );
  }
  return { rows: out, notes, raw: { rss, cpu, statusMs, bareNode } };
}
