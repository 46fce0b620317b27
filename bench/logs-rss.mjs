// Measures (does not assert) god's memory through a sustained flood: this process holds a JobLog (default
// rotation: 10 MiB, 5 files) for a job that writes numbered lines as fast as it can, a write(2) a line, on stdout
// and stderr, restarted whenever it ends; optionally with a follower that never reads. The RSS of this process
// is sampled every few seconds; min / median / max must stay flat.
// Usage: node bench/logs-rss.mjs [--seconds N (600)] [--every N (5)] [--follower] [--dist DIR]
//   --dist: the compiled tree holding src/ and test/fixtures/ (default dist/).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "600" },
    every: { type: "string", default: "5" },
    follower: { type: "boolean", default: false },
    dist: { type: "string", default: fileURLToPath(new URL("../dist", import.meta.url)) },
  },
});
const seconds = Number(values.seconds);
const everyMs = Number(values.every) * 1000;
const dist = resolve(values.dist);
const flood = join(dist, "test/fixtures/logs-flood.js");
const { LogsService } = await import(join(dist, "src/logs/logs-service.js"));
const { createPipes } = await import(join(dist, "src/logs/output-pipe.js"));

const dir = mkdtempSync(join(tmpdir(), "god-bench-rss-"));
const service = new LogsService({ dir });
const logs = { timestamps: true, format: "text", redact: [], maxLineBytes: 65536, merge: false };
const log = service.jobLog("flood", logs);
let stopping = false;
let child = null;
let lines = 0;
let runs = 0;

if (values.follower) {
  // A follower that never reads: its unsent bytes grow until the bound drops it.
  let buffered = 0;
  service.follow([], {
    send: (record) => {
      buffered += record.msg.length + 80;
    },
    bufferedBytes: () => buffered,
    close: (reason) => console.log(`follower dropped: ${reason}`),
  });
}

async function floodForever() {
  // Each run writes 5,000,000 lines; a new run starts when one ends, until the time is up.
  const perRun = 5_000_000;
  while (!stopping) {
    const [out, err] = await createPipes(2);
    child = spawn(process.execPath, [flood, String(perRun), "both"], {
      stdio: ["ignore", out.writeFd, err.writeFd],
    });
    out.closeWriteEnd();
    err.closeWriteEnd();
    const exited = new Promise((resolveExit) => child.once("exit", (code) => resolveExit(code)));
    await log.attach(child.pid, { out: out.readable, err: err.readable });
    const code = await exited;
    if (code === 0) lines += perRun;
    runs++;
  }
}

const samples = [];
const started = performance.now();
const running = floodForever();
const sampler = setInterval(() => {
  const rss = process.memoryUsage().rss;
  samples.push(rss);
  const elapsed = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`${elapsed.padStart(5)} s  rss ${(rss / 2 ** 20).toFixed(1)} MiB`);
}, everyMs);
await new Promise((resolveWait) => setTimeout(resolveWait, seconds * 1000));
clearInterval(sampler);
stopping = true;
child?.kill("SIGKILL");
await running;
await service.closeAll();
rmSync(dir, { recursive: true, force: true });

const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);
const sorted = [...samples].sort((a, b) => a - b);
const elapsed = (performance.now() - started) / 1000;
console.log(
  `flood of ${elapsed.toFixed(0)} s: ${runs} job runs, at least ${lines.toLocaleString("en")} lines ` +
    `(${Math.round(lines / elapsed).toLocaleString("en")} lines/s counted from completed runs)`,
);
console.log(
  `rss over ${samples.length} samples: min ${mib(sorted[0])} MiB, median ${mib(sorted[Math.floor(sorted.length / 2)])} MiB, ` +
    `max ${mib(sorted[sorted.length - 1])} MiB (first sample ${mib(samples[0])}, last ${mib(samples[samples.length - 1])})`,
);
