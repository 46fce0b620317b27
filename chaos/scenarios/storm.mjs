// A stop/start storm: many jobs, and in each round every job gets a stop and a start at once, then a restart
// and a reload at once, and some are scaled to 3 and back; every command must answer (its outcome or an error
// saying why), and at the end every job runs and its numbered lines are all there.
import { ChaosGod, numberedJob, shLoader } from "../lib/god.mjs";
import { checkJobs } from "../lib/lines.mjs";

export const name = "storm";
export const about = "stop and start, restart and reload of every job at once, scale up and down, in rounds";

export async function run({ seconds, rng, short }) {
  const god = new ChaosGod(name);
  const count = short ? 30 : 100;
  const names = Array.from({ length: count }, (_, i) => `s-${i}`);
  // Jobs that take a moment to stop, so the start arrives while they stop.
  god.write(
    "storm",
    shLoader(
      "storm",
      names.map((job) => numberedJob(job, 10)),
    ),
  );
  const rounds = Math.max(1, Math.round(seconds));
  try {
    await god.start();
    const notRunning = await god.allRunning(120_000);
    if (notRunning.length > 0) throw new Error(`not running at the start: ${notRunning.join(", ")}`);
    const fdsBefore = await god.baselineFds();
    const rssBefore = god.rss();
    let rssPeak = rssBefore;
    const outcomes = { ok: 0, error: 0 };
    const tally = (answers) => {
      for (const a of answers) {
        if (a.result) outcomes.ok++;
        else if (a.error) outcomes.error++;
      }
    };
    for (let round = 0; round < rounds && !god.crashed; round++) {
      tally(
        await Promise.all(names.flatMap((job) => [god.call("stop", { job }), god.call("start", { job })])),
      );
      rssPeak = Math.max(rssPeak, god.rss() ?? 0);
      tally(
        await Promise.all(
          names.flatMap((job) => [god.call("restart", { job }), god.call("reload", { job })]),
        ),
      );
      const some = names.filter(() => rng.chance(0.2));
      tally(await Promise.all(some.map((job) => god.call("scale", { job, count: "3" }))));
      tally(await Promise.all(some.map((job) => god.call("scale", { job, count: "1" }))));
      rssPeak = Math.max(rssPeak, god.rss() ?? 0);
    }
    tally(await Promise.all(names.map((job) => god.call("start", { job }))));
    const left = await god.allRunning(120_000);
    const fdsAfter = await god.settleFds(fdsBefore, 60_000);
    const rssAfter = god.rss();
    await Promise.all(names.map((job) => god.call("stop", { job })));
    const checked = checkJobs(god.logs, names);
    return {
      rssBefore,
      rssPeak,
      rssAfter,
      fdsBefore,
      fdsAfter,
      ...god.tally(),
      ...checked,
      notes: [
        `${rounds} round(s) over ${count} jobs; answers: ${outcomes.ok} outcomes, ${outcomes.error} errors`,
      ],
      problems: left.length > 0 ? [`not running after the storm: ${left.join(", ")}`] : [],
    };
  } finally {
    await god.stop();
    god.cleanup();
  }
}
