// Reads a job's log files back (JOB.log.N oldest .. JOB.log) and checks the numbered lines of
// fixtures/numbered.mjs: per instance (pid and tag) and per stream (every tenth number goes to stderr, read by god apart from
// stdout), every number from 0 to the last exactly once (to N-1 when its last line "end N" is there), and no
// torn line. A pid whose first lines were rotated away is checked from the first number kept in each stream.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const NUMBERED = /\| chaos (\d+-[0-9a-f]{8}) (\d+) x{40}$/;
const END = /\| chaos (\d+-[0-9a-f]{8}) end (\d+)$/;

export function checkLines(logsDir, job) {
  const rotated = readdirSync(logsDir)
    .map((name) => new RegExp(`^${job.replace(/\./g, "\\.")}\\.log\\.(\\d+)$`).exec(name))
    .filter(Boolean)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  const files = [...rotated.map((n) => join(logsDir, `${job}.log.${n}`)), join(logsDir, `${job}.log`)].filter(
    (f) => existsSync(f),
  );
  const pids = new Map();
  let lines = 0;
  let torn = 0;
  let duplicated = 0;
  let firstPid = null;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    for (const line of text.split("\n")) {
      if (line === "") continue;
      if (!line.includes("| chaos ")) continue;
      const numbered = NUMBERED.exec(line);
      const end = numbered ? null : END.exec(line);
      if (!numbered && !end) {
        torn++;
        continue;
      }
      const pid = (numbered ?? end)[1];
      firstPid ??= pid;
      let seen = pids.get(pid);
      if (!seen) {
        seen = { streams: [newStream(), newStream()], end: null };
        pids.set(pid, seen);
      }
      if (end) {
        seen.end = Number(end[2]);
        continue;
      }
      lines++;
      const n = Number(numbered[2]);
      const stream = seen.streams[n % 10 === 9 ? 1 : 0];
      if (stream.numbers.has(n)) duplicated++;
      stream.numbers.add(n);
      stream.min = Math.min(stream.min, n);
      stream.max = Math.max(stream.max, n);
    }
  }
  // Rotation drops whole old files: only the oldest pid kept may have lost its head that way.
  const rotatedAway = rotated.length >= 5;
  let lost = 0;
  for (const [pid, seen] of pids) {
    for (const [index, stream] of seen.streams.entries()) {
      const mine = (n) => (n % 10 === 9) === (index === 1);
      const headless = rotatedAway && pid === firstPid && Number.isFinite(stream.min);
      const from = headless ? stream.min : 0;
      const to = seen.end !== null ? seen.end - 1 : stream.max;
      let expected = 0;
      // Counted arithmetically: every tenth number is stderr's.
      for (let n = from; n <= to; n++) if (mine(n)) expected++;
      let have = 0;
      for (const n of stream.numbers) if (n >= from && n <= to) have++;
      lost += Math.max(0, expected - have);
    }
  }
  let written = 0;
  for (const seen of pids.values()) written += seen.end ?? 0;
  return { lines, lost, torn, duplicated, instances: pids.size, written };
}

function newStream() {
  return { numbers: new Set(), min: Number.POSITIVE_INFINITY, max: -1 };
}

/** checkLines of every job, summed. */
export function checkJobs(logsDir, jobs) {
  return jobs
    .map((job) => checkLines(logsDir, job))
    .reduce(
      (sum, r) => ({
        lines: sum.lines + r.lines,
        lost: sum.lost + r.lost,
        torn: sum.torn + r.torn,
        duplicated: sum.duplicated + r.duplicated,
        instances: sum.instances + r.instances,
      }),
      { lines: 0, lost: 0, torn: 0, duplicated: 0, instances: 0 },
    );
}
