// Measure 8 (issue 14): the supervisor killed -9 under load, then a new one. Each system runs two jobs: a log
// flood (jobs/survive-flood.mjs, ~2,000 numbered lines a second, each process numbering its own lines) and the
// HTTP server of the requests measure (jobs/server.cjs) on a fixed loopback port, with wrk on it for the whole
// run. `rounds` times: the supervisor's daemon process alone gets SIGKILL, the bench waits 3 s, then starts a new
// one the way its user would (god: `god run` again; PM2: `pm2 resurrect`; supervisord: supervisord again), and
// waits until it runs both jobs again. Figures: job processes restarted (a pid before the kill that is not among
// the pids after), processes left running outside the supervisor, log lines lost and duplicated (per process,
// against the last number it says it wrote), failed requests, and for god the time from the new god's start to
// every instance adopted. The systems take their turn one after another, each alone on the machine.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sleep, until } from "../clock.mjs";
import { rotatedFiles } from "../log-files.mjs";
import { freePort, httpOk } from "../ports.mjs";
import { alive, startTime } from "../proc.mjs";
import { max, median } from "../stats.mjs";
import { startWrk } from "../wrk.mjs";
import { startAll, stopAll } from "./systems.mjs";

const FLOOD = fileURLToPath(new URL("../jobs/survive-flood.mjs", import.meta.url));
const SERVER = fileURLToPath(new URL("../jobs/server.cjs", import.meta.url));
const IDS = ["god", "pm2", "supervisord"];
const JOBS = ["flood", "web"];
/** How long each system is left without its supervisor. */
const AWAY_MS = 3000;

export async function survive(ctx) {
  const rounds = ctx.opts.survivals;
  const samples = {};
  const failures = [];
  for (const id of IDS.filter((x) => ctx.systems.has(x))) {
    ctx.progress(
      `survive: ${id}, ${rounds} × (kill -9 of the supervisor, ${AWAY_MS / 1000} s, a new one) under wrk`,
    );
    try {
      samples[id] = await surviveOnce(ctx, id, rounds, failures);
    } catch (error) {
      failures.push({ key: id, reason: error.message });
      ctx.progress(`  ${id}: ${error.message}`);
    }
  }
  return rows(samples, failures, rounds);
}

async function surviveOnce(ctx, id, rounds, failures) {
  const stampDir = join(ctx.tmp, `survive-${id}-stamps`);
  mkdirSync(stampDir, { recursive: true });
  const port = await freePort();
  const jobs = [
    { name: "flood", argv: [process.execPath, FLOOD, stampDir], restart: true, log: { merge: true } },
    {
      name: "web",
      argv: [process.execPath, SERVER],
      env: { BENCH_PORT: String(port) },
      restart: true,
      server: { port, script: SERVER, mode: "cluster", ready: true },
    },
  ];
  const [started] = await startAll(ctx, [{ key: id, id, jobs }], "survive", failures);
  if (!started) throw new Error("did not start");
  const { system, dir } = started;
  const adapter = ctx.systems.get(id);
  /** Every pid the supervisor ever showed for a job, with its start time (a reused pid is not the same). */
  const seen = new Map();
  const remember = (pids) => {
    for (const [job, list] of pids) {
      for (const pid of list) {
        const began = startTime(pid);
        if (!seen.has(pid) && began !== null) seen.set(pid, { job, began });
      }
    }
  };
  let wrk = null;
  try {
    await until(`${id}'s server to answer on port ${port}`, () => httpOk(port), { timeoutMs: 30_000 });
    if (system.save) await system.save();
    wrk = startWrk(`http://127.0.0.1:${port}/`, { threads: 1, connections: 8, maxSeconds: 60 + rounds * 30 });
    await sleep(500);
    const perRound = [];
    const deadline = Date.now() + rounds * 30_000;
    // The pids of each round's start are those listed at the end of the one before: a process that changes
    // meanwhile (the supervisor restarting it) counts as restarted too.
    let before = await system.jobPids();
    remember(before);
    const errors = [];
    for (let round = 0; round < rounds && Date.now() < deadline; round++) {
      let daemonPid;
      let adopt = null;
      let adoptError = null;
      let backMs;
      try {
        daemonPid = await system.killDaemon();
        await sleep(AWAY_MS);
        const t0 = performance.now();
        await system.revive();
        if (system.adopted) {
          try {
            adopt = await system.adopted(JOBS);
          } catch (error) {
            // Not adopted in time: still wait for the jobs to run (restarted, then) and go on.
            adoptError = error.message;
            ctx.progress(`  ${id} round ${round + 1}: ${adoptError}`);
            await bothRunning(system);
          }
        } else await bothRunning(system);
        backMs = performance.now() - t0;
      } catch (error) {
        errors.push(`round ${round + 1}: ${error.message}`);
        ctx.progress(`  ${id} round ${round + 1}: ${error.message}; no more rounds`);
        break;
      }
      const after = await system.jobPids();
      remember(after);
      const managed = new Set([...after.values()].flat());
      let restarted = 0;
      let left = 0;
      for (const [job, list] of before) {
        for (const pid of list) {
          const same = alive(pid, seen.get(pid)?.began);
          if (!(same && after.get(job)?.includes(pid))) restarted++;
          if (same && !managed.has(pid)) left++;
        }
      }
      const adoptMs = adopt?.ms ?? null;
      const answerMs = adopt?.firstAnswerMs ?? null;
      const startedAt = system.spawnedEpochMs ?? null;
      perRound.push({
        daemonPid,
        restarted,
        left,
        adoptMs,
        adoptError,
        answerMs,
        backMs,
        startedAt,
        socketsMs: null,
      });
      ctx.progress(
        `  ${id} round ${round + 1}/${rounds}: ${restarted} restarted, ${left} left outside, back in ${Math.round(backMs)} ms${adopt ? `; god answered at ${Math.round(answerMs)} ms, all adopted at ${Math.round(adoptMs)} ms` : ""}`,
      );
      before = after;
      await sleep(250);
    }
    // The flood stops writing; once its log has stopped growing, the lines are counted.
    writeFileSync(join(stampDir, "stop"), "");
    const logFile = adapter.logFile(dir, "flood");
    await settle(logFile);
    const load = await wrk.stop();
    wrk = null;
    const now = await system.jobPids();
    remember(now);
    for (const pid of stampPids(stampDir)) {
      const began = startTime(pid);
      if (!seen.has(pid) && began !== null) seen.set(pid, { job: "flood", began });
      system.pids.track(pid);
    }
    // god: when its log says it holds the server's listening sockets again, after each new god's start.
    const socketTimes = system.socketTimes?.() ?? [];
    perRound.forEach((r, i) => {
      const next = perRound[i + 1]?.startedAt ?? Number.POSITIVE_INFINITY;
      const t = socketTimes.find((x) => x >= r.startedAt && x < next);
      if (t !== undefined) r.socketsMs = t - r.startedAt;
    });
    const managed = new Set([...now.values()].flat());
    const strays = [...seen]
      .filter(([pid, s]) => !managed.has(pid) && alive(pid, s.began))
      .map(([pid, s]) => `${s.job} ${pid}`);
    return {
      rounds: perRound,
      errors,
      restarted: perRound.reduce((n, r) => n + r.restarted, 0),
      strays,
      ...checkFlood(rotatedFiles(logFile), stampDir, adapter.logPattern),
      load,
      serverFailures: serverFailures(id, dir, logFile),
    };
  } finally {
    if (wrk) await wrk.stop().catch(() => {});
    await stopAll([started]);
  }
}

/** Until the supervisor lists a running process for each job (bounded). */
async function bothRunning(system) {
  await until(
    "both jobs to run again",
    async () => {
      const pids = await system.jobPids();
      return JOBS.every((j) => (pids.get(j)?.length ?? 0) > 0);
    },
    { timeoutMs: 60_000, everyMs: 100 },
  );
}

/** Until the log (and its rotations) has not grown for 1 s; at most 15 s. */
async function settle(logFile) {
  const size = () => rotatedFiles(logFile).reduce((n, f) => n + statSync(f).size, 0);
  const deadline = Date.now() + 15_000;
  let last = -1;
  let since = Date.now();
  while (Date.now() < deadline) {
    const now = size();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= 1000) return;
    await sleep(100);
  }
}

function stampPids(stampDir) {
  return readdirSync(stampDir)
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/**
 * The flood's lines "n PID SEQ" in `files` (each line of the log as `pattern` reads it, group `msg`), against
 * what each process says it wrote (STAMPDIR/PID: its last SEQ). Lost: numbers from 1 to the last written (or the
 * last seen, if higher) that are not in the log; duplicated: extra copies; torn: lines that are not whole lines of
 * the job. Also the first gaps, to say where lines went missing.
 */
function checkFlood(files, stampDir, pattern) {
  const written = new Map(stampPids(stampDir).map((pid) => [pid, readStamp(join(stampDir, String(pid)))]));
  const got = new Map();
  let lines = 0;
  let duplicated = 0;
  let torn = 0;
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const all = text.split("\n");
    if (all.at(-1) !== "") torn++;
    for (const line of all.slice(0, -1)) {
      lines++;
      const msg = pattern.exec(line)?.groups?.msg;
      const m = msg === undefined ? null : /^n (\d+) (\d+)$/.exec(msg);
      if (!m) {
        torn++;
        continue;
      }
      const pid = Number(m[1]);
      const set = got.get(pid) ?? new Set();
      got.set(pid, set);
      const seq = Number(m[2]);
      if (set.has(seq)) duplicated++;
      else set.add(seq);
    }
  }
  let lost = 0;
  const gaps = [];
  for (const pid of new Set([...written.keys(), ...got.keys()])) {
    const set = got.get(pid) ?? new Set();
    let last = written.get(pid) ?? 0;
    for (const seq of set) if (seq > last) last = seq;
    let from = null;
    for (let seq = 1; seq <= last + 1; seq++) {
      const missing = seq <= last && !set.has(seq);
      if (missing) {
        lost++;
        if (from === null) from = seq;
      } else if (from !== null) {
        if (gaps.length < 12)
          gaps.push(`${pid}: ${from === seq - 1 ? from : `${from}–${seq - 1}`} of ${last}`);
        from = null;
      }
    }
  }
  return { lines, processes: got.size, lost, duplicated, torn, gaps };
}

function readStamp(file) {
  try {
    return Number(readFileSync(file, "utf8").trim()) || 0;
  } catch {
    return 0;
  }
}

/**
 * How many times the server failed to start: supervisord's log lines "exited: web (exit status N" with N > 0
 * (its child logs are cleared each time it starts); for the others, lines of "listen EADDRINUSE" in the logs
 * under dir, not the flood's.
 */
function serverFailures(id, dir, floodLog) {
  if (id === "supervisord") {
    const text = readFileSync(join(dir, "supervisord.log"), "utf8");
    return text.split("\n").filter((line) => /exited: web \(exit status [1-9]/.test(line)).length;
  }
  let count = 0;
  const walk = (path, depth) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory() && depth < 4) walk(full, depth + 1);
      else if (entry.isFile() && /\.log(\.\d+)?$/.test(entry.name) && !full.startsWith(floodLog)) {
        if (statSync(full).size > 64 * 1024 * 1024) continue;
        for (const line of readFileSync(full, "utf8").split("\n"))
          if (/listen EADDRINUSE/.test(line)) count++;
      }
    }
  };
  if (existsSync(dir)) walk(dir, 0);
  return count;
}

function rows(samples, failures, rounds) {
  const value = (pick) =>
    Object.fromEntries([
      ...IDS.map((id) => [id, samples[id] ? pick(samples[id]) : undefined]),
      ["shell", null],
    ]);
  const notes = failures.map((f) => `survive ${f.key}: ${f.reason}`);
  for (const [id, s] of Object.entries(samples)) {
    const back = s.rounds.map((r) => r.backMs);
    const adopt = s.rounds.map((r) => r.adoptMs).filter((x) => x !== null);
    const sockets = s.rounds.map((r) => r.socketsMs).filter((x) => x !== null);
    const l = s.load;
    notes.push(
      [
        `survive ${id}: ${s.rounds.length} rounds${s.errors.length ? ` (stopped: ${s.errors.join("; ")})` : ""}; ${s.restarted} job process(es) restarted`,
        ...s.rounds
          .filter((r) => r.adoptError)
          .map((r) => `round ${s.rounds.indexOf(r) + 1} not adopted: ${r.adoptError}`),
        `${s.rounds.reduce((n, r) => n + r.left, 0)} round-end(s) with an old process running outside the new supervisor, ${s.strays.length} at the end${s.strays.length ? ` (${s.strays.join(", ")})` : ""}`,
        `both jobs listed as running again ${Math.round(median(back))} ms (median; slowest ${Math.round(max(back))} ms) after the new supervisor's start${id === "pm2" ? " (the start of `pm2 resurrect`)" : ""}`,
        ...(adopt.length
          ? [
              `god answered its socket at ${Math.round(median(s.rounds.map((r) => r.answerMs)))} ms (median; slowest ${Math.round(max(s.rounds.map((r) => r.answerMs)))} ms)`,
              `every instance adopted at ${Math.round(median(adopt))} ms (median; slowest ${Math.round(max(adopt))} ms)`,
            ]
          : []),
        ...(sockets.length
          ? [
              `god's log says it holds the server's sockets again at ${Math.round(median(sockets))} ms (median; slowest ${Math.round(max(sockets))} ms)`,
            ]
          : []),
        `flood log: ${s.lines.toLocaleString("en")} lines from ${s.processes} process(es), ${s.lost.toLocaleString("en")} lost${s.gaps.length ? ` (pid: missing numbers of the last written: ${s.gaps.join("; ")})` : ""}, ${s.duplicated} duplicated, ${s.torn} torn`,
        `wrk: ${l.requests.toLocaleString("en")} requests, ${l.failed.toLocaleString("en")} failed (non-2xx ${l.non2xx}, connect ${l.connectErrors}, read ${l.readErrors}, write ${l.writeErrors}, timeout ${l.timeouts}), longest gap ${l.longestGapMs} ms`,
        `the server failed to start ${s.serverFailures} time(s) (${id === "supervisord" ? "exits with a status other than 0 in supervisord.log" : '"listen EADDRINUSE" in its logs'})`,
      ].join("; "),
    );
  }
  const what = `supervisor killed -9 under load, 3 s, a new one; ${rounds} times`;
  return {
    rows: [
      {
        id: "survive-restarted",
        label: `Job processes restarted (flood + web), ${what} (god run / pm2 resurrect / supervisord)`,
        unit: "",
        digits: 0,
        values: value((s) => s.restarted),
        target: { max: 0, text: "0" },
      },
      {
        id: "survive-strays",
        label: "… old job processes still running outside the supervisor at the end",
        unit: "",
        digits: 0,
        values: value((s) => s.strays.length),
        target: { max: 0, text: "0" },
      },
      {
        id: "survive-lost",
        label: "… log lines lost (flood, ~2,000 lines/s)",
        unit: "",
        digits: 0,
        values: value((s) => s.lost),
        target: { max: 0, text: "0" },
      },
      {
        id: "survive-dup",
        label: "… log lines duplicated",
        unit: "",
        digits: 0,
        values: value((s) => s.duplicated),
        target: { max: 0, text: "0" },
      },
      {
        id: "survive-failed",
        label: "… failed requests under wrk -t1 -c8, whole run",
        unit: "",
        digits: 0,
        values: value((s) => s.load.failed),
        target: { max: 0, text: "0" },
      },
      {
        id: "survive-gap",
        label: "… longest time without a successful answer",
        unit: "ms",
        digits: 0,
        values: value((s) => s.load.longestGapMs),
      },
      {
        id: "survive-adopt-ms",
        label: "… new god's start to every instance adopted (status every 20 ms), slowest round",
        unit: "ms",
        digits: 0,
        values: {
          // A round whose instances were not all adopted makes the figure "failed" (the notes say why).
          god: samples.god?.rounds.every((r) => r.adoptMs !== null)
            ? (max(samples.god.rounds.map((r) => r.adoptMs)) ?? undefined)
            : undefined,
          pm2: null,
          supervisord: null,
          shell: null,
        },
        target: { max: 1000, text: "≤ 1 s" },
      },
    ],
    notes,
    raw: { samples },
  };
}
