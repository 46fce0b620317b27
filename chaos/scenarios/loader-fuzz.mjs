// Loaders that misbehave in every way fixtures/fuzz-loader.mjs knows (garbage, lines over 1 MiB, random
// JSON-RPC, a loader that never reads what god writes, one that never answers its checks, broken hellos,
// silence, sudden exits, a legacy loader with wrong answers), each restarted by god again and again, beside a
// well-behaved loader whose jobs are controlled and checked meanwhile. Then the fuzz loaders are removed:
// god's fds must be back where they were before they came.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { ChaosGod, FIXTURES, numberedJob, shLoader } from "../lib/god.mjs";
import { checkJobs } from "../lib/lines.mjs";
import { sleep } from "../lib/proc.mjs";

export const name = "loader-fuzz";
export const about =
  "loaders sending garbage, huge lines, random JSON-RPC; deaf, slow, silent, dying loaders";

const MODES = ["garbage", "huge", "rpc", "deaf", "slow", "badhello", "silent", "exit", "legacy"];

export async function run({ seconds, rng }) {
  const god = new ChaosGod(name);
  const good = ["good-0", "good-1"];
  god.write(
    "good",
    shLoader(
      "good",
      good.map((job) => numberedJob(job, 50)),
    ),
  );
  try {
    await god.start();
    const notRunning = await god.allRunning();
    if (notRunning.length > 0) throw new Error(`not running at the start: ${notRunning.join(", ")}`);
    const fdsBefore = await god.baselineFds();
    const rssBefore = god.rss();
    let rssPeak = rssBefore;
    const seed = rng.int(1, 1e9);
    const paths = MODES.map((mode) =>
      god.write(
        `fuzz-${mode}`,
        `#!/bin/sh\nexec "${process.execPath}" "${join(FIXTURES, "fuzz-loader.mjs")}" ${mode} ${seed} "$@"\n`,
      ),
    );
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline && !god.crashed) {
      rssPeak = Math.max(rssPeak, god.rss() ?? 0);
      const job = rng.pick(good);
      await rng.pick([
        () => god.call("restart", { job }),
        () => god.call("check", { job }),
        () => god.status(),
        () => god.loaders(),
      ])();
      await sleep(rng.int(100, 400));
    }
    const loaders = await god.loaders();
    const notes = loaders
      .filter((l) => l.path.split("/").pop().startsWith("fuzz-"))
      .map(
        (l) =>
          `${l.path.split("/").pop()}: ${l.state}, ${l.restarts} restart(s); ${(l.lastError ?? "no error").slice(0, 140)}`,
      );
    for (const path of paths) rmSync(path, { force: true });
    // god removes them (its directory watch): wait until only the good loader is left.
    for (let i = 0; i < 300 && (await god.loaders()).length > 1; i++) await sleep(100);
    const left = await god.allRunning(60_000);
    const fdsAfter = await god.settleFds(fdsBefore);
    const rssAfter = god.rss();
    await Promise.all(good.map((job) => god.call("stop", { job })));
    const lines = checkJobs(god.logs, good);
    return {
      rssBefore,
      rssPeak,
      rssAfter,
      fdsBefore,
      fdsAfter,
      ...god.tally(),
      ...lines,
      notes,
      problems: left.length > 0 ? [`not running after the fuzz: ${left.join(", ")}`] : [],
    };
  } finally {
    await god.stop();
    god.cleanup();
  }
}
