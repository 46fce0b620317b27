// A log flood: one job writing numbered lines as fast as god takes them (stdout and stderr), for the whole
// run, god's RSS sampled throughout. Printed: RSS at the start, its min / median / max after the first minute
// (after the first quarter in a short run), lines per second, and the numbered lines checked in the files
// kept (10 MiB x 5 rotated files: older lines rotate away, but no line in what is kept is missing or torn).
import { ChaosGod, numberedJob, shLoader } from "../lib/god.mjs";
import { checkLines } from "../lib/lines.mjs";
import { sleep } from "../lib/proc.mjs";

export const name = "flood";
export const about = "one job writing as fast as god takes it, RSS sampled";

export async function run({ seconds }) {
  const god = new ChaosGod(name);
  god.write("flood", shLoader("flood", [numberedJob("flood", 0)]));
  try {
    await god.start();
    const notRunning = await god.allRunning();
    if (notRunning.length > 0) throw new Error(`not running at the start: ${notRunning.join(", ")}`);
    const fdsBefore = await god.baselineFds();
    const rssBefore = god.rss();
    const samples = [];
    const startedMs = Date.now();
    const everyMs = seconds >= 120 ? 5000 : 1000;
    const warmupMs = Math.min(60_000, (seconds * 1000) / 4);
    while (Date.now() - startedMs < seconds * 1000 && !god.crashed) {
      await sleep(everyMs);
      samples.push({ atMs: Date.now() - startedMs, rss: god.rss() });
    }
    const steady = samples
      .filter((s) => s.atMs >= warmupMs)
      .map((s) => s.rss)
      .sort((a, b) => a - b);
    const median = steady[Math.floor(steady.length / 2)];
    await god.call("stop", { job: "flood" });
    const fdsAfter = await god.settleFds(fdsBefore);
    const rssAfter = god.rss();
    const { written, ...checked } = checkLines(god.logs, "flood");
    const mb = (b) => `${(b / 2 ** 20).toFixed(1)}`;
    const notes = [
      `RSS after the first ${warmupMs / 1000} s: min ${mb(steady[0])}, median ${mb(median)}, max ${mb(steady.at(-1))} MB (${steady.length} samples, every ${everyMs / 1000} s); flat within ${(((steady.at(-1) - steady[0]) / median) * 100).toFixed(1)}%`,
      `${written} lines written, ${Math.round(written / seconds)} a second`,
      `RSS samples (s: MB): ${samples.map((s) => `${Math.round(s.atMs / 1000)}: ${mb(s.rss)}`).join(", ")}`,
    ];
    return {
      rssBefore,
      rssPeak: Math.max(...samples.map((s) => s.rss)),
      rssAfter,
      fdsBefore,
      fdsAfter,
      ...god.tally(),
      ...checked,
      notes,
      samples,
      problems: [],
    };
  } finally {
    await god.stop();
    god.cleanup();
  }
}
