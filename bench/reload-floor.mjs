// What a reload costs the latency of a loaded server when no supervisor is involved at all: the bench's server
// (bench/lib/jobs/server.cjs) under `wrk -t1 -c8`, once left alone and once while a second copy of it starts,
// serves on another port for 250 ms and exits, 10 times, 300 ms apart (what a reload's new instance costs the
// machine, without the handover). Prints wrk's p99 and longest gap for each, medians of --repeats runs taking
// turns. The floor under the reload rows of docs/benchmarks.md on a machine with few cores.
//
// Usage: node bench/reload-floor.mjs [--repeats N (3)] [--seconds S (6)]
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { cleanupAll, track } from "./lib/cleanup.mjs";
import { freePort } from "./lib/ports.mjs";
import { signalGroup, spawnGroup, waitExit } from "./lib/proc.mjs";
import { startWrk } from "./lib/wrk.mjs";

const { values } = parseArgs({
  options: { repeats: { type: "string", default: "3" }, seconds: { type: "string", default: "6" } },
});
const REPEATS = Number(values.repeats);
const SECONDS = Number(values.seconds);
const SERVER = fileURLToPath(new URL("./lib/jobs/server.cjs", import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function startServer(port) {
  const child = spawnGroup([process.execPath, SERVER], { env: { ...process.env, BENCH_PORT: String(port) } });
  track(child.pid);
  return child;
}

async function run(withStarts) {
  const port = await freePort();
  const server = startServer(port);
  await sleep(500);
  const wrk = startWrk(`http://127.0.0.1:${port}/`, { maxSeconds: SECONDS + 30 });
  await sleep(1000);
  for (let i = 0; i < 10 && withStarts; i++) {
    const other = startServer(await freePort());
    await sleep(250);
    signalGroup(other.pid, "SIGKILL");
    await waitExit(other, 5000);
    await sleep(50);
  }
  if (!withStarts) await sleep(3000);
  const figures = await wrk.stop();
  signalGroup(server.pid, "SIGKILL");
  await waitExit(server, 5000);
  return figures;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = { alone: [], starts: [] };
try {
  for (let r = 0; r < REPEATS; r++) {
    for (const kind of r % 2 === 0 ? ["alone", "starts"] : ["starts", "alone"]) {
      results[kind].push(await run(kind === "starts"));
    }
  }
} finally {
  await cleanupAll();
}
for (const [kind, runs] of Object.entries(results)) {
  const p99 = median(runs.map((f) => f.p99Ms));
  const gap = median(runs.map((f) => f.longestGapMs));
  const failed = runs.reduce((sum, f) => sum + f.failed, 0);
  const label = kind === "alone" ? "server alone" : "a second server starting 10 times";
  console.log(
    `${label}: p99 ${p99.toFixed(1)} ms, longest gap ${gap} ms, ${failed} failed (median of ${runs.length})`,
  );
}
