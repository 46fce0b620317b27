// Random kills of jobs and loaders with reloads and restarts mixed in: kill -9 of an instance or a loader,
// restart, reload, stop then start, scale, check, reload-loaders, SIGHUP, and a loader deployed anew (its spec
// changed, so its jobs are replaced), many at once. At the end every job is started, god's fds are compared
// with the start, every job is stopped and its numbered lines are checked.
import { renameSync } from "node:fs";
import { join } from "node:path";
import { ChaosGod, numberedJob, shLoader } from "../lib/god.mjs";
import { checkJobs } from "../lib/lines.mjs";
import { killGroup, sleep } from "../lib/proc.mjs";

export const name = "kills";
export const about = "random kills of jobs and loaders, restarts, reloads, scale, reload-loaders, deploys";

const LIB = (root) => join(root, "dist/src/lib/index.js");

export async function run({ seconds, rng, root, say, short }) {
  const god = new ChaosGod(name);
  const jobsOf = (loader, generation) =>
    [0, 1, 2].map((i) => numberedJob(`${loader}-${i}`, 50, { env: { GENERATION: String(generation) } }));
  const loaders = ["a", "b", "c"];
  const generation = new Map(loaders.map((l) => [l, 0]));
  for (const loader of loaders) god.write(loader, shLoader(loader, jobsOf(loader, 0)));
  // A library loader whose jobs god checks through it (requests both ways on its stdin and stdout).
  god.write(
    "lib",
    `#!/usr/bin/env node\nimport { job, init } from ${JSON.stringify(LIB(root))};\n` +
      `job("lib-0", { exec: ${JSON.stringify(numberedJob("x", 50).exec)}, auto: true, stop: { timeout: "3s" },` +
      ` check: { every: "300ms", timeout: "1s", run: () => "ok" } });\nawait init();\n`,
  );
  try {
    await god.start();
    const declared = [...loaders.flatMap((l) => jobsOf(l, 0).map((j) => j.name)), "lib-0"];
    const notRunning = await god.allRunning(60_000, declared);
    if (notRunning.length > 0) throw new Error(`kills: not running at the start: ${notRunning.join(", ")}`);
    const fdsBefore = await god.baselineFds();
    // Memory is compared under the same load, before and after: every job running and writing, god left alone
    // for a while (V8 grows its young generation under a steady load, and gives back what it no longer needs
    // once the load is steady again).
    const quietMs = short ? 5000 : 60_000;
    const rssBefore = await god.quietRss(quietMs);
    let rssPeak = rssBefore;
    const names = (await god.status()).map((j) => j.name);
    const counts = {};
    const inFlight = new Set();
    const fire = (what, promise) => {
      counts[what] = (counts[what] ?? 0) + 1;
      const p = promise.finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline && !god.crashed) {
      rssPeak = Math.max(rssPeak, god.rss() ?? 0);
      if (inFlight.size >= 16) {
        await Promise.race(inFlight);
        continue;
      }
      const job = rng.pick(names);
      const action = rng.pick([
        "kill-job",
        "kill-job",
        "kill-loader",
        "restart",
        "reload",
        "stop-start",
        "scale",
        "check",
        "reload-loaders",
        "deploy",
        "sighup",
      ]);
      switch (action) {
        case "kill-job": {
          const jobs = await god.status();
          const live = jobs.flatMap((j) => (j.instances ?? []).map((i) => i.pid)).filter((p) => p !== null);
          if (live.length > 0) {
            killGroup(rng.pick(live));
            counts[action] = (counts[action] ?? 0) + 1;
          }
          break;
        }
        case "kill-loader": {
          const up = (await god.loaders()).filter((l) => l.pid !== null);
          if (up.length > 0) {
            killGroup(rng.pick(up).pid);
            counts[action] = (counts[action] ?? 0) + 1;
          }
          break;
        }
        case "stop-start":
          fire(action, Promise.all([god.call("stop", { job }), god.call("start", { job })]));
          break;
        case "scale":
          fire(action, god.call("scale", { job, count: rng.pick(["2", "1"]) }));
          break;
        case "reload-loaders":
          fire(action, god.call("reload-loaders", {}));
          break;
        case "deploy": {
          const loader = rng.pick(loaders);
          generation.set(loader, generation.get(loader) + 1);
          // As a deploy tool does it: the new file renamed over the old, never written in place (a loader
          // file being written cannot be executed: ETXTBSY).
          god.write(`${loader}.new`, shLoader(loader, jobsOf(loader, generation.get(loader))), false);
          renameSync(join(god.root, `${loader}.new`), join(god.dir, loader));
          counts[action] = (counts[action] ?? 0) + 1;
          break;
        }
        case "sighup":
          god.process.kill("SIGHUP");
          counts[action] = (counts[action] ?? 0) + 1;
          break;
        default:
          fire(action, god.call(action, { job }));
      }
      await sleep(rng.int(20, 250));
    }
    await Promise.all(inFlight);
    say(`  actions: ${JSON.stringify(counts)}`);
    say(`  RSS is taken after ${quietMs / 1000} s of the jobs running with no chaos, before and after`);
    // Back to the start: one instance of every job, each running.
    await Promise.all(names.map((job) => god.call("scale", { job, count: "1" })));
    await Promise.all(names.map((job) => god.call("start", { job })));
    const left = await god.allRunning(90_000);
    const fdsAfter = await god.settleFds(fdsBefore);
    const rssEnd = god.rss();
    const rssAfter = await god.quietRss(quietMs);
    await Promise.all(names.map((job) => god.call("stop", { job })));
    const lines = checkJobs(god.logs, names);
    return {
      rssBefore,
      rssPeak,
      rssAfter,
      fdsBefore,
      fdsAfter,
      ...god.tally(),
      ...lines,
      notes: [`RSS when the chaos stopped: ${(rssEnd / 2 ** 20).toFixed(1)} MB`],
      problems: left.length > 0 ? [`not running after the chaos: ${left.join(", ")}`] : [],
    };
  } finally {
    await god.stop();
    god.cleanup();
  }
}
