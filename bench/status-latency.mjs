// Measures (does not assert) the wall time of `god status` against `node -e 0`: the median of N runs each,
// interleaved so that drift in the machine's load hits both alike.
// Usage: node bench/status-latency.mjs [--home DIR] [--runs N] [--jobs N] [--cli PATH]
//   without --home: a fake daemon in a temp home answers `status` with N jobs (default 50);
//   with --home: the real daemon there is asked.
//   --cli: the compiled CLI (default: the package's bin, dist/src/cli/bundle/god.cjs; dist/src/cli/main.js
//   loads the same bin from an ES module, which starts Node's ESM loader first).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    home: { type: "string" },
    runs: { type: "string", default: "20" },
    jobs: { type: "string", default: "50" },
    cli: {
      type: "string",
      default: fileURLToPath(new URL("../dist/src/cli/bundle/god.cjs", import.meta.url)),
    },
  },
});
const runs = Number(values.runs);
const jobCount = Number(values.jobs);

function fakeStatus(n) {
  const jobs = [];
  for (let i = 0; i < n; i++) {
    jobs.push({
      name: `job-${i}`,
      state: i % 7 === 0 ? "backoff" : "running",
      want: "up",
      pid: i % 7 === 0 ? null : 10_000 + i,
      instance: i,
      restarts: i % 3,
      uptimeMs: i * 61_000,
      loader: `/etc/god/loader-${i % 5}.js`,
      check: {
        status: i % 11 === 0 ? "fail" : "ok",
        message: i % 11 === 0 ? "connect ECONNREFUSED" : null,
        at: new Date().toISOString(),
      },
      lastExit: null,
      reason: i % 7 === 0 ? "exited with code 1; next start in 400 ms" : null,
    });
  }
  return { jobs };
}

/** A control socket that answers every request with the status of `n` jobs. */
async function startFake(n) {
  const home = mkdtempSync(join(tmpdir(), "god-bench-"));
  const answer = fakeStatus(n);
  const server = createServer((socket) => {
    let buffered = "";
    socket.on("error", () => {});
    socket.on("data", (chunk) => {
      buffered += chunk.toString("utf8");
      let nl = buffered.indexOf("\n");
      while (nl !== -1) {
        const request = JSON.parse(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        socket.write(JSON.stringify({ jsonrpc: "2.0", id: request.id, result: answer }) + "\n");
        nl = buffered.indexOf("\n");
      }
    });
  });
  await new Promise((resolve) => server.listen(join(home, "god.sock"), resolve));
  return {
    home,
    stop: () =>
      new Promise((resolve) => {
        server.close(() => {
          rmSync(home, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}

/** Wall time of one child from spawn to exit, in ms; the child must exit 0. */
function timeOnce(args) {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code === 0) resolve(ms);
      else reject(new Error(`node ${args.join(" ")} exited with ${code}: ${stderr.trim()}`));
    });
  });
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fake = values.home === undefined ? await startFake(jobCount) : null;
const home = values.home ?? fake.home;
try {
  const node = [];
  const god = [];
  // One warm-up each, so that the first run's disk reads do not count.
  await timeOnce(["-e", "0"]);
  await timeOnce([values.cli, "status", "--home", home]);
  for (let i = 0; i < runs; i++) {
    node.push(await timeOnce(["-e", "0"]));
    god.push(await timeOnce([values.cli, "status", "--home", home]));
  }
  const target = fake === null ? `the daemon at ${home}` : `a fake daemon with ${jobCount} jobs`;
  console.log(`node -e 0:   median ${median(node).toFixed(1)} ms over ${runs} runs`);
  console.log(`god status:  median ${median(god).toFixed(1)} ms over ${runs} runs (${target})`);
  console.log(`difference:  ${(median(god) - median(node)).toFixed(1)} ms (node ${process.version})`);
} finally {
  await fake?.stop();
}
