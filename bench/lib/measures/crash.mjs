// Measure 4: kill -9 to restarted. Each system runs one job (jobs/crash-job.sh) that appends "PID EPOCH_NS" to
// its stamp file at start. The bench takes the time, SIGKILLs the pid of the last stamp, and waits for the next
// stamp: the latency is the new stamp minus the time of the kill. The systems run side by side and take turns,
// one kill at a time, in an order that rotates each round.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { epochNs, sleep, until } from "../clock.mjs";
import { startTime } from "../proc.mjs";
import { max, median, push } from "../stats.mjs";
import { rotate, startAll, stopAll } from "./systems.mjs";

const CRASH_JOB = fileURLToPath(new URL("../jobs/crash-job.sh", import.meta.url));
const NODE_RESPAWN = fileURLToPath(new URL("../jobs/node-respawn.mjs", import.meta.url));

function stamps(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((line) => /^\d+ \d+$/.test(line))
    .map((line) => {
      const [pid, ns] = line.split(" ");
      return { pid: Number(pid), ns: BigInt(ns) };
    });
}

/** One kill of v's job; resolves the ms from the kill to the next stamp. */
async function killOnce(v, round) {
  // Let the job run a while first: every peer then treats the exit as a crash of a settled process.
  await sleep(150);
  const before = stamps(v.stampFile);
  const last = before.at(-1);
  if (startTime(last.pid) === null) throw new Error(`its job (pid ${last.pid}) is not running`);
  const killedNs = epochNs();
  process.kill(last.pid, "SIGKILL");
  const next = await until(
    `a restart of the job after kill ${round + 1}`,
    () => stamps(v.stampFile)[before.length],
    {
      timeoutMs: 10_000,
      everyMs: 2,
    },
  );
  return Number(next.ns - killedNs) / 1e6;
}

export async function crash(ctx) {
  const ids = ["god", "pm2", "supervisord", "shell"].filter((id) => ctx.systems.has(id));
  const variants = ids.map((id) => ({ key: id, id, stampFile: "" }));
  // The floor of a Node supervisor, taking its turns with the others: a bare respawn loop in Node, which the
  // shell adapter runs as a plain process (no restart of its own).
  if (ctx.systems.has("shell")) variants.push({ key: "node", id: "shell", stampFile: "" });
  // god without warm starts: every restart forks god, as the first restart of any job does (with them, god
  // forks the next process ahead after a restart, and a crash only execs it: docs/processes.md).
  if (ctx.systems.has("god"))
    variants.push({ key: "god-cold", id: "god", stampFile: "", runArgs: ["--warm-starts", "0"] });
  const failures = [];
  const latencies = {};
  for (const v of variants) {
    v.stampFile = `${ctx.tmp}/crash-stamps-${v.key}`;
    const argv = ["bash", CRASH_JOB, v.stampFile];
    v.jobs =
      v.key === "node"
        ? [{ name: "crash", argv: [process.execPath, NODE_RESPAWN, ...argv] }]
        : [{ name: "crash", argv, restart: true, fastRestart: true }];
  }
  ctx.progress(
    `restart: ${variants.map((v) => v.key).join(", ")} side by side, ${ctx.opts.kills} kills each`,
  );
  const started = await startAll(ctx, variants, "crash", failures);
  try {
    for (const v of started) {
      await until(`the first stamp of ${v.key}'s crash job`, () => stamps(v.stampFile).length > 0, {
        timeoutMs: 30_000,
        everyMs: 20,
      });
    }
    let active = started;
    for (let round = 0; round < ctx.opts.kills; round++) {
      for (const v of rotate(active, round)) {
        try {
          push(latencies, v.key, await killOnce(v, round));
        } catch (error) {
          failures.push({ key: v.key, reason: error.message });
          ctx.progress(`  ${v.key}: ${error.message}`);
          active = active.filter((a) => a !== v);
          delete latencies[v.key];
        }
      }
    }
  } finally {
    await stopAll(started);
  }
  const value = (key, reduce) => (latencies[key] ? reduce(latencies[key]) : undefined);
  const n = ctx.opts.kills;
  return {
    rows: [
      {
        id: "restart-median",
        label: `kill -9 to restarted, median of ${n}`,
        unit: "ms",
        digits: 1,
        values: Object.fromEntries(["god", "pm2", "supervisord", "shell"].map((k) => [k, value(k, median)])),
        target: { max: 4, text: "≤ 4 ms" },
      },
      {
        id: "restart-max",
        label: `kill -9 to restarted, slowest of ${n}`,
        unit: "ms",
        digits: 1,
        values: Object.fromEntries(["god", "pm2", "supervisord", "shell"].map((k) => [k, value(k, max)])),
      },
      {
        id: "restart-god-cold",
        label: `… god column: with \`god run --warm-starts 0\`, every restart a fork of god (as a job's first restart), median of ${n}`,
        unit: "ms",
        digits: 1,
        values: { god: value("god-cold", median), pm2: null, supervisord: null, shell: null },
      },
      {
        id: "restart-node-floor",
        label: `… shell column: a bare Node respawn loop (\`bench/lib/jobs/node-respawn.mjs\`), the floor of a Node supervisor, median of ${n}`,
        unit: "ms",
        digits: 1,
        values: { god: null, pm2: null, supervisord: null, shell: value("node", median) },
      },
    ],
    notes: failures.map((f) => `${f.key}: ${f.reason}`),
    raw: { latencies },
  };
}
