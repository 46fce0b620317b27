// Where god's idle bytes and milliseconds go (issue 17): starts god from one or more builds with N `sleep` jobs,
// side by side, and prints for each its RSS (anonymous and file-backed, from /proc/PID/status), the biggest
// mappings (smaps), its CPU time (all threads, schedstat ns) over a window, and its syscalls over the window
// with --strace. Builds run at the same time, so a busy machine weighs on them alike; --rounds alternates
// the start order and prints medians.
//
// Usage: node bench/footprint.mjs [--dist DIR]... [--jobs N (200)] [--settle S (5)] [--seconds S (30)]
//                                 [--rounds N (1)] [--node-flags="FLAGS"] [--smaps] [--strace] [--keep]
//   --dist: a build's dist directory (default ./dist); repeat to compare builds (e.g. main's, built elsewhere).
//   --node-flags=...: passed to node before god's CLI (e.g. --node-flags="--cpu-prof --cpu-prof-dir=/tmp/prof").
//   --timeline: prints god's CPU ms in each second from ready to the end of the window, and its RSS at each
//   second (the window is then measured after it, once more).
//   --keep: leaves the gods running after the figures and prints their pids and homes (end them yourself).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeHelloLoader } from "./lib/hello-loader.mjs";
import { cpuNs, run } from "./lib/proc.mjs";

const { values } = parseArgs({
  options: {
    dist: { type: "string", multiple: true },
    jobs: { type: "string", default: "200" },
    settle: { type: "string", default: "5" },
    seconds: { type: "string", default: "30" },
    rounds: { type: "string", default: "1" },
    "node-flags": { type: "string", default: "" },
    smaps: { type: "boolean", default: false },
    strace: { type: "boolean", default: false },
    keep: { type: "boolean", default: false },
    timeline: { type: "boolean", default: false },
  },
});
const dists = (values.dist ?? [fileURLToPath(new URL("../dist", import.meta.url))]).map((d) => resolve(d));
const JOBS = Number(values.jobs);
const SETTLE_MS = Number(values.settle) * 1000;
const WINDOW_MS = Number(values.seconds) * 1000;
const ROUNDS = Number(values.rounds);
const nodeFlags = values["node-flags"].split(" ").filter(Boolean);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** `god ARGS --home HOME` to its end; its stdout, or null when it failed. */
async function ctl(cli, home, args) {
  const r = await run([process.execPath, cli, ...args, "--home", home], { timeoutMs: 60_000 });
  return r.code === 0 ? r.stdout : null;
}

function status(pid) {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(text)?.[1] ?? Number.NaN);
  return { rss: kib("VmRSS"), anon: kib("RssAnon"), file: kib("RssFile"), hwm: kib("VmHWM") };
}

/** The mappings with the most RSS, summed by name ([anon] for unnamed ones). */
function topMappings(pid, count = 12) {
  const sums = new Map();
  let name = "";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[1] || "[anon]";
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) sums.set(name, (sums.get(name) ?? 0) + Number(rss[1]));
  }
  return [...sums.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
    if (await probe()) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function start(dist) {
  const cli = join(dist, "src/cli/main.js");
  const root = mkdtempSync(join(tmpdir(), "god-footprint-"));
  const home = join(root, "home");
  const dir = join(root, "loaders");
  mkdirSync(dir);
  const jobs = Array.from({ length: JOBS }, (_, i) => ({
    name: `j${i}`,
    exec: ["sleep", "100000"],
    auto: true,
  }));
  writeHelloLoader(root, join(dir, "fleet"), jobs);
  const god = spawn(process.execPath, [...nodeFlags, cli, "run", "--dir", dir, "--home", home], {
    stdio: "ignore",
    detached: true,
    cwd: root,
  });
  return { dist, cli, root, home, god, startedMs: Date.now(), readyMs: Number.NaN };
}

async function ready(g) {
  await until(
    `${JOBS} running jobs under ${g.dist}`,
    async () => {
      const out = await ctl(g.cli, g.home, ["status", "--json"]);
      return out !== null && JSON.parse(out).jobs.filter((j) => j.state === "running").length === JOBS;
    },
    180_000,
  );
  g.readyMs = Date.now() - g.startedMs;
}

async function stop(g) {
  // Each job runs in a process group of its own (jobs outlive god): a god killed before its shutdown is done
  // would leave them running, so their groups are ended here too.
  const status = await ctl(g.cli, g.home, ["status", "--json"]);
  const pids = status === null ? [] : JSON.parse(status).jobs.flatMap((j) => j.instances.map((i) => i.pid));
  await ctl(g.cli, g.home, ["shutdown"]);
  for (let i = 0; i < 40 && g.god.exitCode === null && g.god.signalCode === null; i++) await sleep(100);
  for (const pid of [g.god.pid, ...pids.filter((p) => Number.isInteger(p))]) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
  rmSync(g.root, { recursive: true, force: true });
}

function straceOf(pid, ms) {
  return new Promise((done) => {
    const child = spawn("strace", ["-c", "-f", "-p", String(pid)], { stdio: ["ignore", "ignore", "pipe"] });
    let text = "";
    child.stderr.on("data", (d) => {
      text += d;
    });
    setTimeout(() => child.kill("SIGINT"), ms);
    child.on("close", () => done(text));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = new Map(dists.map((d) => [d, []]));
for (let round = 0; round < ROUNDS; round++) {
  const order = dists.map((_, i) => dists[(i + round) % dists.length]);
  const gods = [];
  try {
    for (const dist of order) gods.push(await start(dist));
    // In parallel, so each god's time to ready is its own (status polled every 250 ms).
    await Promise.all(gods.map(ready));
    if (values.timeline) {
      // CPU per second from the moment every job runs, through the settle time and the window.
      const last = gods.map((g) => cpuNs(g.god.pid));
      const rows = gods.map(() => []);
      const rss = gods.map(() => []);
      for (let s = 0; s < (SETTLE_MS + WINDOW_MS) / 1000; s++) {
        await sleep(1000);
        gods.forEach((g, i) => {
          const now = cpuNs(g.god.pid);
          rows[i].push(((now - last[i]) / 1e6).toFixed(1));
          rss[i].push((status(g.god.pid).rss / 1024).toFixed(1));
          last[i] = now;
        });
      }
      gods.forEach((g, i) => {
        console.log(`timeline ${g.dist} (CPU ms in each second from ready): ${rows[i].join(" ")}`);
        console.log(`timeline ${g.dist} (RSS MiB at each second from ready): ${rss[i].join(" ")}`);
      });
    } else await sleep(SETTLE_MS);
    const before = gods.map((g) => cpuNs(g.god.pid));
    const traces = values.strace ? gods.map((g) => straceOf(g.god.pid, WINDOW_MS)) : [];
    await sleep(WINDOW_MS);
    const texts = await Promise.all(traces);
    gods.forEach((g, i) => {
      const r = { ...status(g.god.pid), cpuMs: (cpuNs(g.god.pid) - before[i]) / 1e6, readyMs: g.readyMs };
      results.get(g.dist).push(r);
      console.log(
        `round ${round + 1} ${g.dist}: pid ${g.god.pid} RSS ${(r.rss / 1024).toFixed(1)} MiB (anon ${(r.anon / 1024).toFixed(1)}, file ${(r.file / 1024).toFixed(1)}; peak ${(r.hwm / 1024).toFixed(1)}), CPU ${r.cpuMs.toFixed(1)} ms over ${WINDOW_MS / 1000} s; every job running ${(r.readyMs / 1000).toFixed(2)} s after the start`,
      );
      if (values.smaps)
        for (const [name, kib] of topMappings(g.god.pid))
          console.log(`    ${String(kib).padStart(7)} KiB  ${name}`);
      if (texts[i]) console.log(texts[i]);
    });
    if (values.keep) {
      for (const g of gods) console.log(`kept: pid ${g.god.pid} home ${g.home}`);
      process.exit(0);
    }
  } finally {
    if (!values.keep) for (const g of gods) await stop(g);
  }
}
if (ROUNDS > 1) {
  for (const [dist, rs] of results) {
    console.log(
      `median of ${rs.length}, ${dist}: RSS ${(median(rs.map((r) => r.rss)) / 1024).toFixed(1)} MiB (anon ${(median(rs.map((r) => r.anon)) / 1024).toFixed(1)}, file ${(median(rs.map((r) => r.file)) / 1024).toFixed(1)}), CPU ${median(rs.map((r) => r.cpuMs)).toFixed(1)} ms over ${WINDOW_MS / 1000} s; every job running ${(median(rs.map((r) => r.readyMs)) / 1000).toFixed(2)} s after the start`,
    );
  }
}
