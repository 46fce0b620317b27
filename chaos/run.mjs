// `npm run chaos`: god under abuse, on this machine, loopback only, from the built dist/ (issue 18). Each
// scenario starts a god of its own in a temp dir, abuses it for a bounded time and prints its figures: god's
// RSS before, at its peak and after, its fds before and after (after: once what the scenario opened is closed),
// commands sent and left unanswered, god's crashes, and the numbered lines its jobs wrote that are missing from
// their log files (lost), torn or duplicated.
// Usage: node chaos/run.mjs [--short] [--only NAME[,NAME]] [--seconds N] [--minutes N] [--seed N] [--json FILE]
//   NAME: kills, loader-fuzz, control-fuzz, http-fuzz, flood, storm (default: all).
//   --short: the CI run, under 2 minutes. --seconds/--minutes: how long each timed scenario runs.
// Exit 1 when a scenario saw a crash, an unanswered command, a lost, torn or duplicated line, or god's fds not
// back where they were; never because of time.
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { ROOT, stopAll } from "./lib/god.mjs";
import { otherFdsDiff } from "./lib/proc.mjs";
import { Random } from "./lib/random.mjs";
import * as controlFuzz from "./scenarios/control-fuzz.mjs";
import * as flood from "./scenarios/flood.mjs";
import * as httpFuzz from "./scenarios/http-fuzz.mjs";
import * as kills from "./scenarios/kills.mjs";
import * as loaderFuzz from "./scenarios/loader-fuzz.mjs";
import * as storm from "./scenarios/storm.mjs";

const SCENARIOS = [kills, loaderFuzz, controlFuzz, httpFuzz, flood, storm];
/** Seconds each scenario runs: short (CI), default, and its share of --minutes. */
const SHORT = { kills: 15, "loader-fuzz": 15, "control-fuzz": 10, "http-fuzz": 10, flood: 10, storm: 3 };
const DEFAULT = {
  kills: 120,
  "loader-fuzz": 120,
  "control-fuzz": 60,
  "http-fuzz": 60,
  flood: 120,
  storm: 10,
};

const { values } = parseArgs({
  options: {
    short: { type: "boolean", default: false },
    only: { type: "string" },
    seconds: { type: "string" },
    minutes: { type: "string" },
    seed: { type: "string" },
    json: { type: "string" },
  },
});
const wanted = (values.only ?? SCENARIOS.map((s) => s.name).join(",")).split(",").map((s) => s.trim());
for (const name of wanted) {
  if (!SCENARIOS.some((s) => s.name === name)) {
    process.stderr.write(
      `chaos: unknown scenario "${name}"; choose from ${SCENARIOS.map((s) => s.name).join(", ")}\n`,
    );
    process.exit(2);
  }
}
const fixed =
  values.minutes !== undefined
    ? Number(values.minutes) * 60
    : values.seconds !== undefined
      ? Number(values.seconds)
      : null;
if (fixed !== null && !(fixed > 0 && fixed <= 24 * 3600)) {
  process.stderr.write("chaos: --seconds and --minutes take a positive number\n");
  process.exit(2);
}
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const say = (text) => process.stdout.write(`${text}\n`);
const mb = (bytes) => (bytes === null || bytes === undefined ? "?" : `${(bytes / 2 ** 20).toFixed(1)} MB`);

// Interrupted: no god, job or loader of this run may outlive it.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    say(`\nchaos: ${signal}: stopping what this run started`);
    void stopAll().finally(() => process.exit(130));
  });
}

say(`chaos: seed ${seed}${values.short ? " (short)" : ""}; god from ${ROOT}/dist`);
const results = [];
let failed = false;
for (const scenario of SCENARIOS.filter((s) => wanted.includes(s.name))) {
  const seconds = fixed ?? (values.short ? SHORT : DEFAULT)[scenario.name];
  say(`\n${scenario.name}: ${scenario.about} (${seconds} s)`);
  const startedMs = Date.now();
  let figures;
  try {
    figures = await scenario.run({ seconds, rng: new Random(seed), root: ROOT, say, short: values.short });
  } catch (error) {
    figures = { problems: [`the scenario failed: ${error.stack ?? error}`], crashes: [] };
  }
  const problems = [...(figures.problems ?? [])];
  for (const crash of figures.crashes ?? []) problems.push(`god crashed: ${crash}`);
  if (figures.unanswered > 0) problems.push(`${figures.unanswered} command(s) unanswered`);
  if (figures.lost > 0) problems.push(`${figures.lost} line(s) lost`);
  if (figures.torn > 0) problems.push(`${figures.torn} torn line(s)`);
  if (figures.duplicated > 0) problems.push(`${figures.duplicated} duplicated line(s)`);
  if (figures.fdsAfter && figures.fdsAfter.settled === false) {
    const { others: _b, ...before } = figures.fdsBefore ?? {};
    const { others: _a, ...after } = figures.fdsAfter;
    const diff = otherFdsDiff(figures.fdsBefore, figures.fdsAfter);
    problems.push(
      `god's fds did not return to where they were: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}${diff.length > 0 ? `; other fds: ${diff.join(", ")}` : ""}`,
    );
  }
  if (figures.rssBefore !== undefined)
    say(
      `  god RSS: ${mb(figures.rssBefore)} before, ${mb(figures.rssPeak)} peak, ${mb(figures.rssAfter)} after`,
    );
  if (figures.fdsBefore) {
    const [b, a] = [figures.fdsBefore, figures.fdsAfter ?? {}];
    say(
      `  god fds: ${b.total} before, ${a.total ?? "?"} after (sockets, files and loaders' pipes ${b.other} -> ${a.other}; instances' pipes ${b.instance} -> ${a.instance}; spare pipes ${b.pool} -> ${a.pool}; warm starts ${b.warmStarts ?? 0} -> ${a.warmStarts ?? "?"}, their fds ${b.warm ?? 0} -> ${a.warm ?? "?"})`,
    );
  }
  if (figures.commands !== undefined)
    say(
      `  commands: ${figures.commands} sent, ${figures.unanswered} unanswered; crashes: ${(figures.crashes ?? []).length}`,
    );
  if (figures.lines !== undefined)
    say(
      `  lines: ${figures.lines} checked over ${figures.instances} instance(s); lost ${figures.lost}, torn ${figures.torn}, duplicated ${figures.duplicated}`,
    );
  for (const line of figures.notes ?? []) say(`  ${line}`);
  say(`  ${problems.length === 0 ? "ok" : "FAILED"} in ${((Date.now() - startedMs) / 1000).toFixed(0)} s`);
  for (const problem of problems) say(`  - ${problem}`);
  failed ||= problems.length > 0;
  results.push({ scenario: scenario.name, seconds, ...figures, problems });
}
if (values.json)
  writeFileSync(values.json, `${JSON.stringify({ seed, short: values.short, results }, null, 1)}\n`);
say(`\nchaos: ${failed ? "FAILED" : "ok"} (seed ${seed})`);
process.exit(failed ? 1 : 0);
