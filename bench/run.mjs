// `npm run bench`: god side by side with PM2, supervisord and a bare shell loop, on this machine, in one run
// (issue 8). Eight measures, each taken the same way for every system, systems alternating, medians of repeats;
// one table with god's ratio to each peer, printed and written to docs/benchmarks.md (this script's section).
// Usage: node bench/run.mjs [--only NAME[,NAME]] [--repeats N] [--quick] [--god-cli PATH] [--no-docs]
//                           [--report-only]
//   NAME: memory, cpu, status, restart, logs, reload, instances, survive (default: all). --quick: one repeat and fewer samples, a
//   smoke run that does not touch the docs. --god-cli: the compiled `god` bin (default
//   dist/src/cli/bundle/god.cjs).
//   --report-only: measure nothing; rewrite the docs section from bench/results/latest.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { godAdapter, settings as godSettings } from "./adapters/god.mjs";
import { pm2Adapter, settings as pm2Settings } from "./adapters/pm2.mjs";
import { shellAdapter, settings as shellSettings } from "./adapters/shell.mjs";
import { supervisordAdapter, settings as supervisordSettings } from "./adapters/supervisord.mjs";
import { cleanupAll } from "./lib/cleanup.mjs";
import { gitCommit, machine, wrkVersion } from "./lib/machine.mjs";
import { crash } from "./lib/measures/crash.mjs";
import { idle } from "./lib/measures/idle.mjs";
import { instances } from "./lib/measures/instances.mjs";
import { logs } from "./lib/measures/logs.mjs";
import { requests } from "./lib/measures/requests.mjs";
import { survive } from "./lib/measures/survive.mjs";
import { run } from "./lib/proc.mjs";
import { renderTable, verdict, writeSection } from "./lib/report.mjs";

const BENCH = fileURLToPath(new URL(".", import.meta.url));
const ROOT = resolve(BENCH, "..");
const MEASURES = ["memory", "cpu", "status", "restart", "logs", "reload", "instances", "survive"];
const ALIASES = { rss: "memory", crash: "restart", requests: "reload", wrk: "reload", adopt: "survive" };
/** Which measure each table row belongs to (rows of a measure are replaced together when it is re-run). */
const ROW_MEASURE = [
  [/^rss-/, "memory"],
  [/^cpu-/, "cpu"],
  [/^status$/, "status"],
  [/^restart-(median|max|god-cold|node-floor)$/, "restart"],
  [/^logs-/, "logs"],
  [/^(reload|ready|restart)-(failed|gap|p99)$/, "reload"],
  [/^inst-/, "instances"],
  [/^survive-/, "survive"],
];

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    repeats: { type: "string" },
    quick: { type: "boolean", default: false },
    "god-cli": { type: "string", default: "dist/src/cli/bundle/god.cjs" },
    "no-docs": { type: "boolean", default: false },
    "report-only": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    readFileSync(fileURLToPath(import.meta.url), "utf8")
      .split("\nimport")[0]
      .replace(/^\/\/ ?/gm, "")
      .concat("\n"),
  );
  process.exit(0);
}
const wanted = new Set(
  (values.only ?? MEASURES.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => ALIASES[s] ?? s),
);
for (const name of wanted) {
  if (!MEASURES.includes(name)) {
    process.stderr.write(`bench: unknown measure "${name}"; choose from ${MEASURES.join(", ")}\n`);
    process.exit(2);
  }
}
const quick = values.quick;
const repeats = values.repeats === undefined ? (quick ? 1 : 3) : Number(values.repeats);
if (!Number.isInteger(repeats) || repeats < 1 || repeats > 20) {
  process.stderr.write("bench: --repeats takes a whole number from 1 to 20\n");
  process.exit(2);
}
const opts = {
  repeats,
  quick,
  settleMs: quick ? 2000 : 5000,
  statusRuns: quick ? 5 : 20,
  cpuSeconds: quick ? 10 : 30,
  // With 200 jobs, the RSS and the CPU window are taken again once every system has been idle this long: a
  // daemon's first full GC after starting its jobs (V8's, for god and PM2) is no idle cost (docs/benchmarks.md).
  quietMs: quick ? 5000 : 60_000,
  kills: quick ? 5 : 20,
  lines: quick ? 200_000 : 1_000_000,
  actions: quick ? 3 : 10,
  survivals: quick ? 3 : 10,
};
const godCli = resolve(ROOT, values["god-cli"]);
const began = Date.now();
const progress = (msg) =>
  process.stderr.write(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);

/** PM2 lives in bench/node_modules, installed on first use from bench/package.json (an exact version). */
async function ensurePm2() {
  if (existsSync(join(BENCH, "node_modules", "pm2", "package.json"))) return;
  progress("installing PM2 for the bench: npm install --prefix bench");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const result = await run([npm, "install", "--prefix", BENCH, "--no-audit", "--no-fund"], {
    timeoutMs: 300_000,
  });
  if (result.code !== 0)
    progress(`npm install failed: ${result.stderr.trim().split("\n").slice(-3).join(" ")}`);
}

async function main() {
  if (values["report-only"]) {
    const latest = JSON.parse(readFileSync(join(BENCH, "results", "latest.json"), "utf8"));
    const docs = join(ROOT, "docs", "benchmarks.md");
    writeSection(docs, section(latest));
    process.stdout.write(`${renderTable(rowsOf(latest), new Set())}\n`);
    progress(`wrote ${relative(process.cwd(), docs)} from bench/results/latest.json`);
    return;
  }
  await ensurePm2();
  const systems = new Map();
  const skipped = new Map();
  const versions = { node: process.version };
  for (const adapter of [godAdapter(godCli), pm2Adapter(BENCH), supervisordAdapter(), shellAdapter()]) {
    const probe = await adapter.probe();
    if (probe.ok) {
      systems.set(adapter.id, adapter);
      versions[adapter.id] = probe.version;
    } else {
      skipped.set(adapter.id, probe.reason);
      progress(`skipping ${adapter.label}: ${probe.reason}`);
    }
  }
  if (!systems.has("god")) throw new Error(skipped.get("god"));
  versions.godCommit = await gitCommit(ROOT);
  versions.godBuilt = statSync(godCli).mtime.toISOString();
  versions.wrk = await wrkVersion();
  const notes = {};
  for (const name of ["reload", "survive"]) {
    if (wanted.has(name) && !versions.wrk) {
      wanted.delete(name);
      notes[name] = ["skipped: wrk is not installed (Debian: apt-get install wrk)"];
      progress(`skipping the ${name} measure: wrk is not installed (Debian: apt-get install wrk)`);
    }
  }

  const loadBefore = machine().loadAverage;
  const tmp = mkdtempSync("/tmp/godbench-");
  const ctx = { systems, skipped, opts, tmp, progress };
  const rows = [];
  const raw = {};
  const onSignal = (signal) => {
    progress(`${signal}: stopping everything the bench started`);
    cleanupAll().finally(() => {
      rmSync(tmp, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const take = (name, result) => {
    rows.push(...result.rows);
    raw[name] = result.raw;
    for (const note of result.notes) progress(`note: ${note}`);
    return result.notes;
  };
  try {
    const idleWants = { memory: wanted.has("memory"), cpu: wanted.has("cpu"), status: wanted.has("status") };
    if (idleWants.memory || idleWants.cpu || idleWants.status) {
      const n = take("idle", await idle(ctx, idleWants));
      for (const m of ["memory", "cpu", "status"]) if (idleWants[m]) notes[m] = n;
    }
    if (wanted.has("restart")) notes.restart = take("restart", await crash(ctx));
    if (wanted.has("logs")) notes.logs = take("logs", await logs(ctx));
    if (wanted.has("reload")) notes.reload = take("reload", await requests(ctx));
    if (wanted.has("instances")) notes.instances = take("instances", await instances(ctx));
    if (wanted.has("survive")) notes.survive = take("survive", await survive(ctx));
  } finally {
    await cleanupAll();
    rmSync(tmp, { recursive: true, force: true });
  }

  const now = new Date(began).toISOString();
  const args = process.argv.slice(2).join(" ");
  const host = { ...machine(), loadBefore };
  const thisRun = {
    date: now,
    args,
    quick,
    opts,
    versions,
    machine: host,
    skipped: Object.fromEntries(skipped),
  };
  const table = renderTable(rows, skipped);
  process.stdout.write(`\n${table}\n\n`);
  for (const row of rows) {
    const v = verdict(row);
    if (v.startsWith("no")) process.stdout.write(`god misses "${row.label}": ${v}\n`);
  }
  const resultsDir = join(BENCH, "results");
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(
    join(resultsDir, `run-${now.replace(/[:.]/g, "-")}.json`),
    JSON.stringify({ ...thisRun, rows, notes, raw }, null, 1),
  );
  if (quick || values["no-docs"]) {
    progress(`${quick ? "a --quick run" : "--no-docs"}: docs/benchmarks.md left as it was`);
  } else {
    const merged = mergeLatest(join(resultsDir, "latest.json"), thisRun, rows, notes);
    const docs = join(ROOT, "docs", "benchmarks.md");
    writeSection(docs, section(merged));
    progress(`wrote ${relative(process.cwd(), docs)} (this script's section)`);
  }
  progress(`done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
}

/**
 * bench/results/latest.json keeps, per measure, the rows of the last full run that took it, so that
 * `--only reload` updates the reload rows of the docs and keeps the others (which say when they were taken).
 */
function mergeLatest(path, thisRun, rows, notes) {
  let latest = { measures: {} };
  try {
    latest = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    // first run
  }
  for (const measure of Object.keys(notes)) {
    latest.measures[measure] = {
      run: thisRun,
      notes: notes[measure],
      rows: rows.filter((r) => ROW_MEASURE.find(([re]) => re.test(r.id))?.[1] === measure),
    };
  }
  writeFileSync(path, JSON.stringify(latest, null, 1));
  return latest;
}

function rowsOf(latest) {
  return MEASURES.flatMap((m) => latest.measures[m]?.rows ?? []);
}

function section(latest) {
  const entries = MEASURES.map((m) => [m, latest.measures[m]]).filter(([, e]) => e);
  const runs = [...new Map(entries.map(([, e]) => [e.run.date, e.run])).values()].sort((a, b) =>
    a.date < b.date ? 1 : -1,
  );
  const newest = runs[0];
  const skipped = new Set(Object.keys(newest.skipped));
  const rows = rowsOf(latest);
  const v = newest.versions;
  const m = newest.machine;
  const lines = [
    "## Side by side with PM2 and supervisord (`npm run bench`)",
    "",
    "Written by `bench/run.mjs`; re-run it to replace this section (`npm run bench -- --only reload` re-takes one",
    "measure and keeps the others, which then say when they were taken). Figures from a single run on a shared",
    "machine: only the ratios measured in the same run mean much.",
    "",
    `- Machine: ${m.cores} × ${m.model}, ${m.ramGiB} GiB RAM, ${m.kernel}.`,
    `- Versions: Node ${v.node}; god ${v.god} (${v.godBuilt ? `CLI built ${v.godBuilt.replace("T", " ").slice(0, 16)} UTC; ` : ""}work tree at commit ${v.godCommit ?? "unknown"}); PM2 ${v.pm2 ?? "not installed"}; supervisord ${v.supervisord ?? "not installed"}; wrk ${v.wrk ?? "not installed"}.`,
    ...runs.map(
      (r) =>
        `- Run ${r.date.replace("T", " ").slice(0, 16)} UTC, \`node bench/run.mjs ${r.args}\`: ${entries
          .filter(([, e]) => e.run.date === r.date)
          .map(([name]) => name)
          .join(
            ", ",
          )}; ${r.opts.repeats} repeat(s); load average ${r.machine.loadBefore[0]} at the start, ${r.machine.loadAverage[0]} at the end (1 min).`,
    ),
    "",
    renderTable(rows, skipped),
    "",
    "Ratios are god ÷ peer: below 1, god is smaller or faster. `—`: the measure does not apply to that system.",
    "",
    "How each figure is taken:",
    "- **RSS**: VmRSS of the supervisor's own processes once it is idle with N `sleep 100000` jobs: god's process",
    "  plus every loader process still alive (a loader whose jobs need nothing after hello is released), PM2's",
    "  daemon (God) process, the supervisord process. The systems run side by side, 5 s after all jobs are up;",
    "  median of the repeats. With 1 and with 200 jobs the RSS is taken again after a further 60 s idle: by then",
    '  god\'s V8 has made the one full GC that follows a start (docs/benchmarks.md, "Footprint"), and the',
    "  targets are on those figures. Per extra job: (RSS with 200 − RSS with 1) / 199, from both 60-s readings,",
    "  and from both 5-s readings for comparison.",
    "- **CPU**: CPU time of the same processes, all their threads (`/proc/PID/task/*/schedstat`, ns; not their",
    "  children) over a window with 200 idle jobs that starts after those 60 s, the systems side by side over the",
    "  same seconds; median of the repeats. god also with a tcp probe on each job every 5 s, against a listener in",
    "  the bench.",
    "- **Status**: wall time from spawn to exit of `god status`, `pm2 jlist`, `supervisorctl status` with 50",
    "  jobs, and of `node -e 0`, taking turns in a rotating order; median of all runs.",
    "- **kill -9 to restarted**: the job (`bench/lib/jobs/crash-job.sh`) appends its pid and bash's",
    "  `$EPOCHREALTIME` (no fork) at start; the bench takes the time and SIGKILLs that pid; the figure is the next",
    "  stamp minus the kill. Systems side by side, one kill at a time in turns, each job up ≥ 150 ms before its kill.",
    "  Beside them, in turn, a bare Node respawn loop (`bench/lib/jobs/node-respawn.mjs`): the floor of a supervisor",
    "  written for Node, which god is; and god with `--warm-starts 0`. With warm starts (the default), the first",
    "  restart forks god and each later one execs a shell god forked ahead (docs/processes.md): of god's 20 kills,",
    "  the first is a cold restart.",
    "- **Logs**: the job (`bench/lib/jobs/flood.mjs`) writes numbered lines, one write(2) each, even numbers",
    "  as `out N` to stdout and odd as `err N` to stderr. It starts when the system is ready and the bench says go;",
    "  the time runs from the job's start stamp until the bench (polling every 10 ms) sees every line in the log",
    "  file and its rotations. Then every line is parsed: lost (never seen), duplicated, torn (does not parse as a",
    "  whole line of the job, or has the wrong stream), reordered (lines that must be removed to leave the rest in",
    "  order: within each stream, and across both in the one file, which only a shared pipe can keep).",
    "- **Requests**: a Node HTTP server job (`bench/lib/jobs/server.cjs`, drains on SIGTERM/SIGINT: stops",
    "  accepting, answers each open connection once more with `Connection: close`) under `wrk -t1 -c8` on",
    "  127.0.0.1; the bench runs the restart or reload command 10 times, one after another, 300 ms apart.",
    "  Failed: non-2xx answers plus wrk's socket errors (connect, read, write, timeout); gap: the longest span",
    "  with no 2xx answer on any connection (1 ms buckets). The shell column is the same server under the same",
    "  load with no restart: the noise floor. Medians of the repeats.",
    "- **Survive** (issue 14): each system runs two jobs, a log flood (`bench/lib/jobs/survive-flood.mjs`: lines",
    "  `n PID SEQ`, 20 in one write(2) every 10 ms, about 2,000 a second; each process notes in a file the last SEQ it",
    "  wrote) and the requests measure's server on a fixed 127.0.0.1 port (god: listen and ready {fd: 4}; PM2: cluster",
    "  mode), under `wrk -t1 -c8` for the whole run. 10 times: SIGKILL to the supervisor's daemon process alone, 3 s,",
    "  then a new one started the way its user would, and the bench waits until it lists both jobs running again",
    "  (god: until the status request that `god status --json` makes, sent on god.sock every 20 ms, shows every",
    "  instance `adopted: true`). Restarted: pids listed before a kill that are not the same processes after it;",
    "  strays: job processes still alive at the end that the supervisor does not list; lost: numbers missing from",
    "  each process's 1..last written; duplicated: extra copies; failed: as for requests, over the whole run (wrk",
    "  retries a refused connection at once, so a server that is down piles up failures: read the gap too). The",
    "  systems take turns, each alone with its load.",
    "",
    "What each peer does when its daemon is killed -9 (what the survive rows show):",
    "- PM2: the apps die with the daemon. The cluster-mode server exits when its IPC channel to its master (the",
    "  daemon) closes; the fork-mode flood dies of EPIPE at its next write to the pipe the daemon read, and its lines",
    "  still in that pipe are lost. Any `pm2` command spawns a new, empty daemon (`pm2 list` shows nothing); `pm2",
    "  resurrect` starts the saved apps anew, with new pids and restart counts at 0. Nothing answers on the port from",
    "  the kill until then. A fork-mode app that writes nothing keeps running, orphaned, and `pm2 resurrect` starts",
    "  a second copy beside it (seen with `sleep` outside the bench).",
    "- supervisord: the flood dies of EPIPE likewise (the lines in its pipe are lost). The server, which writes only",
    "  its start line, keeps running and serving, orphaned (so wrk sees no failure), but unsupervised: the new",
    "  supervisord starts a second server, which fails on EADDRINUSE, and (startsecs=0) starts it again about once a",
    "  second for as long as the orphan lives; `supervisorctl shutdown` leaves the orphan running (the bench ends it",
    "  by pid). supervisord clears its AUTO child logs when it starts, so the failed starts are counted from",
    "  supervisord.log.",
    "- god: the jobs keep running, their output waits in the FIFOs under GOD_HOME/pipes, the server keeps its",
    "  listening socket; the new god adopts them (same pids), reads their output on and takes the sockets back.",
    "",
    "Settings, each system's fastest legitimate restart and the log setup closest to god's:",
    `- god: ${godSettings.restart}; ${godSettings.logs}; ${godSettings.requests}; survive: ${godSettings.survive}.`,
    `- PM2: ${pm2Settings.restart}; ${pm2Settings.logs}; ${pm2Settings.requests}; survive: ${pm2Settings.survive}.`,
    `- supervisord: ${supervisordSettings.restart}; ${supervisordSettings.logs}; ${supervisordSettings.requests}; survive: ${supervisordSettings.survive}.`,
    `- shell loop: ${shellSettings.restart}; ${shellSettings.logs}.`,
  ];
  const skips = Object.entries(newest.skipped);
  if (skips.length > 0) lines.push("", "Skipped:", ...skips.map(([id, why]) => `- ${id}: ${why}`));
  const noted = entries.filter(([, e]) => e.notes.length > 0);
  if (noted.length > 0) {
    lines.push("", "Details and failures:");
    const seen = new Set();
    for (const [, e] of noted) {
      for (const note of e.notes) {
        if (seen.has(note)) continue;
        seen.add(note);
        lines.push(`- ${note}`);
      }
    }
  }
  return lines.join("\n");
}

main().catch(async (error) => {
  process.stderr.write(`bench: ${error.stack ?? error.message}\n`);
  await cleanupAll();
  process.exit(1);
});
