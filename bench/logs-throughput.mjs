// Measures (does not assert) the log pipeline's throughput: a job writing N numbered lines, a write(2) a line,
// stdout and stderr interleaved, through a JobLog (timestamps on, text format) into one file, against the same
// job with a bare shell redirect (`job > file 2>&1`) in the same run. Runs are interleaved so that drift in the
// machine's load hits all alike; medians are printed.
// Usage: node bench/logs-throughput.mjs [--lines N] [--runs N] [--format text|json] [--dist DIR]
//   --dist: the compiled tree holding src/ and test/fixtures/ (default dist/).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    lines: { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    format: { type: "string", default: "text" },
    dist: { type: "string", default: fileURLToPath(new URL("../dist", import.meta.url)) },
  },
});
const lines = Number(values.lines);
const runs = Number(values.runs);
const dist = resolve(values.dist);
const flood = join(dist, "test/fixtures/logs-flood.js");
const { JobLog } = await import(join(dist, "src/logs/job-log.js"));
const { createPipes } = await import(join(dist, "src/logs/output-pipe.js"));
const logs = { timestamps: true, format: values.format, redact: [], maxLineBytes: 65536, merge: false };
// The bytes the job writes: "out 0\n", "err 1\n", ...
let jobBytes = 0;
for (let i = 0; i < lines; i++) jobBytes += 5 + String(i).length;

function exited(child) {
  return new Promise((resolveExit, reject) => {
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolveExit() : reject(new Error(`the job exited with ${code}`)),
    );
  });
}

async function bare(dir) {
  const file = join(dir, "bare.log");
  const started = performance.now();
  const shell = spawn(
    "sh",
    ["-c", `exec "$0" "$1" "$2" both > "$3" 2>&1`, process.execPath, flood, String(lines), file],
    {
      stdio: "ignore",
    },
  );
  await exited(shell);
  return { ms: performance.now() - started, fileBytes: statSync(file).size, cpuMs: 0 };
}

async function jobLog(dir, kind) {
  const log = new JobLog({ job: "flood", dir, logs, rotate: { maxBytes: 2 ** 40, keep: 1 } });
  const cpu = process.cpuUsage();
  const started = performance.now();
  let child;
  let streams;
  if (kind === "node") {
    child = spawn(process.execPath, [flood, String(lines), "both"], { stdio: ["ignore", "pipe", "pipe"] });
    streams = { out: child.stdout, err: child.stderr };
  } else {
    const [out, err] = await createPipes(2);
    child = spawn(process.execPath, [flood, String(lines), "both"], {
      stdio: ["ignore", out.writeFd, err.writeFd],
    });
    out.closeWriteEnd();
    err.closeWriteEnd();
    streams = { out: out.readable, err: err.readable };
  }
  const done = exited(child);
  await log.attach(child.pid, streams);
  await done;
  await log.close();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { ms, fileBytes: statSync(log.path).size, cpuMs: (used.user + used.system) / 1000 };
}

const variants = {
  "job > file (shell redirect)": (dir) => bare(dir),
  "JobLog, god's pipes": (dir) => jobLog(dir, "pipes"),
  "JobLog, Node stdio pipes": (dir) => jobLog(dir, "node"),
};
const results = Object.fromEntries(Object.keys(variants).map((name) => [name, []]));
for (let run = 0; run < runs; run++) {
  for (const [name, measure] of Object.entries(variants)) {
    const dir = mkdtempSync(join(tmpdir(), "god-bench-logs-"));
    try {
      results[name].push(await measure(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `${lines.toLocaleString("en")} lines (${(jobBytes / 1e6).toFixed(1)} MB), a write a line, stdout and stderr interleaved; ` +
    `timestamps, ${values.format} format; median of ${runs} (node ${process.version}, ${process.platform})`,
);
console.log("variant                          time ms   lines/s      job MB/s   file MB  god CPU ms");
for (const [name, samples] of Object.entries(results)) {
  const ms = median(samples.map((s) => s.ms));
  const cpu = median(samples.map((s) => s.cpuMs));
  const file = median(samples.map((s) => s.fileBytes));
  console.log(
    `${name.padEnd(32)} ${ms.toFixed(0).padStart(7)}   ${Math.round(lines / (ms / 1000))
      .toLocaleString("en")
      .padStart(
        10,
      )}   ${(jobBytes / 1e6 / (ms / 1000)).toFixed(1).padStart(7)}   ${(file / 1e6).toFixed(1).padStart(7)}   ${
      cpu === 0 ? "-" : cpu.toFixed(0)
    }`,
  );
}
