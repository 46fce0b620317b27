// Measures (does not assert) checks at scale: 500 jobs (`sleep 100000`) each checked every second, once by one
// library loader's function checks and once by god's own TCP probes. Over a window (default 30 s) it reports
// god's CPU and the loader's (utime+stime from /proc/PID/stat, as % of one core), the check latency p50/p99,
// the checks done, and the RSS of god plus its loaders.
//
// Latency is seen from the checked side, because god does not time its checks: every check request reaching the
// loader (function mode), or every connection reaching this script's listener for that job (probe mode), is
// timestamped; the gap between two consecutive checks of one job minus the 1000 ms interval is how late the
// check came. god arms the next check only once the previous result is in, so that overrun holds the whole
// previous check (god -> loader -> god, or connect and close) plus timer and event-loop delay.
//
// The probe is TCP, the cheapest honest one: a connect god makes itself, to a socket this script holds (one
// listening port per job, so each job's checks are told apart). An exec probe would measure 500 spawns a second.
//
// Usage: node bench/checks-500.mjs [--jobs N (500)] [--seconds N (30)] [--warmup N (5)] [--mode function|probe|both]
//                                  [--dist DIR]   (the compiled tree holding src/; default dist/)
import { execFile, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "500" },
    seconds: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    mode: { type: "string", default: "both" },
    dist: { type: "string", default: fileURLToPath(new URL("../dist", import.meta.url)) },
  },
});
const JOBS = Number(values.jobs);
const WINDOW_MS = Number(values.seconds) * 1000;
const WARMUP_MS = Number(values.warmup) * 1000;
const INTERVAL_MS = 1000;
const dist = resolve(values.dist);
const CLI = join(dist, "src/cli/main.js");
const LIB = join(dist, "src/lib/index.js");
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ctl(home, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, "--home", home], { maxBuffer: 64 << 20 }, (error, stdout) =>
      resolve(error ? null : stdout),
    );
  });
}

/** utime + stime of one process, in clock ticks. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** How late each check came: per job, consecutive gaps minus the interval, inside the window. */
function overruns(arrivals, from, to) {
  const out = [];
  let checks = 0;
  for (const times of arrivals) {
    const inside = times.filter((t) => t >= from && t <= to);
    checks += inside.length;
    for (let i = 1; i < inside.length; i++) out.push(inside[i] - inside[i - 1] - INTERVAL_MS);
  }
  out.sort((a, b) => a - b);
  return { checks, p50: percentile(out, 50), p99: percentile(out, 99), max: out.at(-1) ?? Number.NaN };
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts god on a loader dir holding one loader, waits for every job to run, measures, shuts down. */
async function measure(mode) {
  const root = mkdtempSync(join(tmpdir(), `god-bench-checks-${mode}-`));
  const home = join(root, "home");
  const dir = join(root, "loaders");
  mkdirSync(dir);
  const arrivalsFile = join(root, "arrivals.json");
  const listeners = [];
  const accepted = Array.from({ length: JOBS }, () => []);
  let body;
  if (mode === "function") {
    body = `import { writeFileSync } from "node:fs";
const arrivals = {};
for (let i = 0; i < ${JOBS}; i++) {
  const name = "j" + i;
  arrivals[name] = [];
  job(name, { exec: ["sleep", "100000"], auto: true, check: { every: ${INTERVAL_MS}, run: () => { arrivals[name].push(Date.now()); return "ok"; } } });
}
process.on("SIGUSR2", () => writeFileSync(${JSON.stringify(arrivalsFile)}, JSON.stringify(arrivals)));`;
  } else {
    for (let i = 0; i < JOBS; i++) {
      const server = createServer((socket) => {
        accepted[i].push(Date.now());
        socket.on("error", () => {});
        socket.end();
      });
      await new Promise((r) => server.listen(0, "127.0.0.1", r));
      listeners.push(server);
    }
    const ports = listeners.map((s) => s.address().port);
    body = `const ports = ${JSON.stringify(ports)};
for (let i = 0; i < ${JOBS}; i++) {
  job("j" + i, { exec: ["sleep", "100000"], auto: true, check: { every: ${INTERVAL_MS}, probe: tcp("127.0.0.1", ports[i]) } });
}`;
  }
  const loaderPath = join(dir, "fleet");
  writeFileSync(
    loaderPath,
    `#!/usr/bin/env node\nimport { job, init, tcp } from ${JSON.stringify(LIB)};\n${body}\nawait init();\n`,
  );
  chmodSync(loaderPath, 0o755);
  const god = spawn(process.execPath, [CLI, "run", "--dir", dir, "--home", home], {
    stdio: "ignore",
    detached: true,
  });
  const started = Date.now();
  try {
    await until(
      `${JOBS} running jobs`,
      async () => {
        const out = await ctl(home, ["status", "--json"]);
        if (!out) return false;
        return JSON.parse(out).jobs.filter((j) => j.state === "running").length === JOBS;
      },
      120_000,
    );
    const readyMs = Date.now() - started;
    const loaders = JSON.parse(await ctl(home, ["loaders", "--json"])).loaders;
    const loader = loaders[0];
    await sleep(WARMUP_MS);
    const from = Date.now();
    const godTicks = cpuTicks(god.pid);
    const loaderTicks = loader.pid ? cpuTicks(loader.pid) : 0;
    await sleep(WINDOW_MS);
    const to = Date.now();
    const godCpu = ((cpuTicks(god.pid) - godTicks) / TICKS_PER_SECOND / (WINDOW_MS / 1000)) * 100;
    const loaderCpu = loader.pid
      ? ((cpuTicks(loader.pid) - loaderTicks) / TICKS_PER_SECOND / (WINDOW_MS / 1000)) * 100
      : 0;
    const godRss = rssKb(god.pid);
    const loaderRss = loader.pid ? rssKb(loader.pid) : 0;
    let arrivals = accepted;
    if (mode === "function") {
      process.kill(loader.pid, "SIGUSR2");
      await until("the loader's arrivals", () => existsSync(arrivalsFile), 10_000);
      await sleep(200);
      arrivals = Object.values(JSON.parse(readFileSync(arrivalsFile, "utf8")));
    }
    const late = overruns(arrivals, from, to);
    return {
      mode,
      readyMs,
      loaderState: loader.state,
      godCpu,
      loaderCpu,
      checksPerSecond: late.checks / (WINDOW_MS / 1000),
      p50: late.p50,
      p99: late.p99,
      max: late.max,
      godRssMb: godRss / 1024,
      loaderRssMb: loaderRss / 1024,
    };
  } finally {
    await ctl(home, ["shutdown"]);
    await sleep(200);
    try {
      process.kill(-god.pid, "SIGKILL");
    } catch {
      // gone already
    }
    for (const server of listeners) server.close();
    rmSync(root, { recursive: true, force: true });
  }
}

const modes = values.mode === "both" ? ["function", "probe"] : [values.mode];
console.log(
  `checks-500: ${JOBS} jobs, one check a second each, ${WINDOW_MS / 1000} s window after ${WARMUP_MS / 1000} s warm-up; ` +
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}`,
);
const rows = [];
for (const mode of modes) rows.push(await measure(mode));
const f = (n, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "-");
console.log(
  "| checks by | god CPU | loader CPU | checks/s | late p50 | late p99 | late max | god RSS | loader RSS | loader |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) {
  console.log(
    `| ${r.mode === "function" ? "loader function" : "god's tcp probe"} | ${f(r.godCpu)} % | ${f(r.loaderCpu)} % | ${f(r.checksPerSecond, 0)} | ${f(r.p50, 0)} ms | ${f(r.p99, 0)} ms | ${f(r.max, 0)} ms | ${f(r.godRssMb, 0)} MB | ${f(r.loaderRssMb, 0)} MB | ${r.loaderState} |`,
  );
}
