// Measures (does not assert) what the memory rule costs god (SPEC 15, issue 16): N jobs (`sleep 100000`, default
// 200) under one god, once with `maxMemory` set on every job and once without, god's CPU (utime+stime from
// /proc/PID/stat, as % of one core) and RSS over a window (default 30 s). The usage sampler reads /proc once a
// second whenever instances live (for status, god top and the dashboard too), so "without" still pays for the
// reading; the third figure isolates it: one reading of the N process groups, timed in this process with the
// same code god runs (process/group-usage.ts), and the number of processes on the machine it had to scan.
// With --baseline DIR, the same N jobs under a god compiled elsewhere (say a build from before the sampler).
//
// Usage: node bench/rules-memory.mjs [--jobs N (200)] [--seconds N (30)] [--warmup N (5)] [--dist DIR]
//                                    [--baseline DIR]
import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeHelloLoader } from "./lib/hello-loader.mjs";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "200" },
    seconds: { type: "string", default: "30" },
    warmup: { type: "string", default: "5" },
    dist: { type: "string", default: fileURLToPath(new URL("../dist", import.meta.url)) },
    baseline: { type: "string" },
  },
});
const JOBS = Number(values.jobs);
const WINDOW_MS = Number(values.seconds) * 1000;
const WARMUP_MS = Number(values.warmup) * 1000;
const TICKS_PER_SECOND = 100; // getconf CLK_TCK on Linux

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function ctl(cli, home, args) {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args, "--home", home], { maxBuffer: 64 << 20 }, (error, stdout) =>
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

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    const value = await probe();
    if (value) return value;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Starts god with N sleep jobs, waits for all to run, measures god over the window, shuts it down. */
async function measure(dist, label, maxMemory) {
  const cli = join(dist, "src/cli/main.js");
  const root = mkdtempSync(join(tmpdir(), "god-bench-rules-"));
  const home = join(root, "home");
  const dir = join(root, "loaders");
  mkdirSync(dir);
  const jobs = Array.from({ length: JOBS }, (_, i) => ({
    name: `j${i}`,
    exec: ["sleep", "100000"],
    auto: true,
    ...(maxMemory ? { maxMemory: "256M" } : {}),
  }));
  writeHelloLoader(root, join(dir, "fleet"), jobs);
  const god = spawn(process.execPath, [cli, "run", "--dir", dir, "--home", home], {
    stdio: "ignore",
    detached: true,
  });
  try {
    let pgids = [];
    await until(
      `${JOBS} running jobs`,
      async () => {
        const out = await ctl(cli, home, ["status", "--json"]);
        if (!out) return false;
        const running = JSON.parse(out).jobs.filter((j) => j.state === "running");
        pgids = running.map((j) => j.pid);
        return running.length === JOBS;
      },
      120_000,
    );
    await sleep(WARMUP_MS);
    const ticks = cpuTicks(god.pid);
    await sleep(WINDOW_MS);
    const godCpu = ((cpuTicks(god.pid) - ticks) / TICKS_PER_SECOND / (WINDOW_MS / 1000)) * 100;
    const reading = maxMemory ? await oneReading(dist, pgids) : null;
    return { label, godCpu, godRssMb: rssKb(god.pid) / 1024, reading };
  } finally {
    await ctl(cli, home, ["shutdown"]);
    await sleep(200);
    try {
      process.kill(-god.pid, "SIGKILL");
    } catch {
      // gone already
    }
    rmSync(root, { recursive: true, force: true });
  }
}

/** One reading of these process groups with god's own code, timed in CPU ms over 30 repeats. */
async function oneReading(dist, pgids) {
  const { groupUsage } = await import(join(dist, "src/process/group-usage.js"));
  const groups = new Set(pgids);
  groupUsage(groups);
  const repeats = 30;
  const before = process.cpuUsage();
  for (let i = 0; i < repeats; i++) groupUsage(groups);
  const used = process.cpuUsage(before);
  const processes = readdirSync("/proc").filter((n) => /^\d+$/.test(n)).length;
  return { cpuMs: (used.user + used.system) / 1000 / repeats, processes };
}

const runs = [
  [resolve(values.dist), "maxMemory on every job", true],
  [resolve(values.dist), "no maxMemory", false],
];
if (values.baseline) runs.push([resolve(values.baseline), "baseline build, no maxMemory", false]);
console.log(
  `rules-memory: ${JOBS} jobs (sleep), god's CPU over ${WINDOW_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up`,
);
for (const [dist, label, maxMemory] of runs) {
  const r = await measure(dist, label, maxMemory);
  console.log(
    `  ${label.padEnd(30)} god CPU ${r.godCpu.toFixed(2)}% of one core, RSS ${r.godRssMb.toFixed(1)} MB`,
  );
  if (r.reading) {
    console.log(
      `  ${"one reading of the groups".padEnd(30)} ${r.reading.cpuMs.toFixed(2)} ms CPU (${r.reading.processes} processes in /proc), once a second: ${(r.reading.cpuMs / 10).toFixed(2)}% of one core`,
    );
  }
}
