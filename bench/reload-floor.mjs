// What a reload costs the latency of a loaded server, step by step down to no supervisor at all: the bench's
// server (bench/lib/jobs/server.cjs) under `wrk -t1 -c8`, in five ways, medians of --repeats runs taking turns:
//   alone     the server left alone (the no-reload floor);
//   starts    a second copy starts, serves on another port for 250 ms and exits, 10 times 300 ms apart: what a
//             new process costs the machine, with no handover;
//   handover  10 handovers with no supervisor logic (bench/lib/handover.py): the new copy gets the same listening
//             socket and a ready fd, says ready, the old one gets SIGTERM and drains: what moving the
//             connections to a cold process costs;
//   god       10 `reload` requests on god's control socket, the server saying ready on its fd (ready {fd: 4});
//   god-cli   the same through `god reload web`, which also starts the CLI's own Node process each time (the
//             bench's reload rows).
// Prints wrk's p99 and longest gap for each. The floor under the reload rows of docs/benchmarks.md.
//
// Usage: node bench/reload-floor.mjs [--repeats N (3)] [--seconds S (6)] [--only KIND[,KIND]]
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { godAdapter } from "./adapters/god.mjs";
import { cleanupAll, onCleanup, track } from "./lib/cleanup.mjs";
import { sleep, until } from "./lib/clock.mjs";
import { serverJob } from "./lib/measures/requests.mjs";
import { freePort, httpOk } from "./lib/ports.mjs";
import { signalGroup, spawnGroup, waitExit } from "./lib/proc.mjs";
import { startWrk } from "./lib/wrk.mjs";

const KINDS = ["alone", "starts", "handover", "god", "god-cli"];
const { values } = parseArgs({
  options: {
    repeats: { type: "string", default: "3" },
    seconds: { type: "string", default: "6" },
    only: { type: "string", default: KINDS.join(",") },
  },
});
const REPEATS = Number(values.repeats);
const SECONDS = Number(values.seconds);
const ONLY = values.only.split(",").filter((k) => KINDS.includes(k));
const SERVER = fileURLToPath(new URL("./lib/jobs/server.cjs", import.meta.url));
const HANDOVER = fileURLToPath(new URL("./lib/handover.py", import.meta.url));
const GOD_CLI = resolve(fileURLToPath(new URL("..", import.meta.url)), "dist/src/cli/bundle/god.cjs");
const RELOADS = 10;

function startServer(port) {
  const child = spawnGroup([process.execPath, SERVER], { env: { ...process.env, BENCH_PORT: String(port) } });
  track(child.pid);
  return child;
}

/** The handover holder: `reload()` resolves once the new copy said ready and the old one got SIGTERM. */
async function startHandover(port) {
  const child = spawn("python3", [HANDOVER, String(port), process.execPath, SERVER], {
    stdio: ["pipe", "pipe", "inherit"],
    detached: true,
  });
  track(child.pid);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const expect = async (word) => {
    const { value, done } = await lines.next();
    if (done || value !== word) throw new Error(`handover.py said ${done ? "nothing" : value}, not ${word}`);
  };
  await expect("ready");
  return {
    async reload() {
      child.stdin.write("reload\n");
      await expect("reloaded");
    },
    async stop() {
      child.stdin.end("quit\n");
      if (!(await waitExit(child, 10_000))) signalGroup(child.pid, "SIGKILL");
    },
  };
}

async function startGod(port, viaCli) {
  const dir = mkdtempSync(join(tmpdir(), "god-reload-floor-"));
  const system = await godAdapter(GOD_CLI).start([serverJob(port, { ready: true })], dir);
  return {
    reload: () => (viaCli ? system.reload("web") : system.reloadBySocket("web")),
    async stop() {
      await system.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function run(kind) {
  const port = await freePort();
  let target;
  if (kind === "handover") target = await startHandover(port);
  else if (kind === "god" || kind === "god-cli") target = await startGod(port, kind === "god-cli");
  else {
    const server = startServer(port);
    target = {
      reload: null,
      async stop() {
        signalGroup(server.pid, "SIGKILL");
        await waitExit(server, 5000);
      },
    };
  }
  const undo = onCleanup(() => target.stop());
  try {
    await until(`the server to answer on port ${port}`, () => httpOk(port), {
      timeoutMs: 10_000,
      everyMs: 50,
    });
    const wrk = startWrk(`http://127.0.0.1:${port}/`, { maxSeconds: SECONDS + 30 });
    await sleep(1000);
    for (let i = 0; i < RELOADS && kind !== "alone"; i++) {
      if (kind === "starts") {
        const other = startServer(await freePort());
        await sleep(250);
        signalGroup(other.pid, "SIGKILL");
        await waitExit(other, 5000);
        await sleep(50);
      } else {
        await target.reload();
        await sleep(300);
      }
    }
    if (kind === "alone") await sleep(3000);
    else await sleep(1000);
    return await wrk.stop();
  } finally {
    undo();
    await target.stop();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = Object.fromEntries(ONLY.map((k) => [k, []]));
try {
  for (let r = 0; r < REPEATS; r++) {
    // Taking turns: each kind runs first in some repeat.
    const order = ONLY.map((_, i) => ONLY[(i + r) % ONLY.length]);
    for (const kind of order) results[kind].push(await run(kind));
  }
} finally {
  await cleanupAll();
}
const LABELS = {
  alone: "server alone",
  starts: "a second server starting 10 times",
  handover: "10 handovers, no supervisor (handover.py)",
  god: "10 god reloads, ready {fd}, control socket",
  "god-cli": "10 god reloads, ready {fd}, `god reload`",
};
for (const [kind, runs] of Object.entries(results)) {
  const p99 = median(runs.map((f) => f.p99Ms));
  const gap = median(runs.map((f) => f.longestGapMs));
  const failed = runs.reduce((sum, f) => sum + f.failed, 0);
  console.log(
    `${LABELS[kind]}: p99 ${p99.toFixed(1)} ms, longest gap ${gap} ms, ${failed} failed (median of ${runs.length}; p99s ${runs.map((f) => f.p99Ms.toFixed(1)).join(", ")})`,
  );
}
