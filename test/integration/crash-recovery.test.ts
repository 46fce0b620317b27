// After `kill -9` of god: its jobs survive it, and the next god on the same home started with --no-adopt finds
// them through state.json and stops them (stop signal, SIGKILL after the timeout, what is left of a group whose
// leader died meanwhile) before it starts any instance (adoption, the default, is tested in adoption.test.ts); a
// pid reused by an unrelated process is left alone; records it cannot adopt are stopped the same way; the stale
// socket and lock are replaced, with a note.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  alive,
  exitOf,
  exitWithin,
  godLines,
  groupMembers,
  readLines,
  recorderJob,
  shLoader,
  sq,
  startTimeOf,
  stubbornJob,
} from "../fixtures/proc-tools.js";
import { runCli, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 120_000;

interface StateFile {
  god: number;
  instances: Array<{ job: string; pid: number; pgid: number; startTime: number }>;
}

function readStateFile(sb: Sandbox): StateFile | null {
  try {
    return JSON.parse(readFileSync(`${sb.home}/state.json`, "utf8")) as StateFile;
  } catch {
    return null;
  }
}

async function crash(sb: Sandbox): Promise<void> {
  const god = sb.god!;
  god.kill("SIGKILL");
  assert.equal(await exitWithin(god, 10_000, "god after SIGKILL"), "SIGKILL");
}

describe("a new god after kill -9 of the old one", { timeout: TIMEOUT_MS }, () => {
  it("stops the survivors before it starts any instance, and logs what it found", async (t) => {
    const sb = new Sandbox("god-crash-");
    t.after(() => sb.cleanup());
    const record = `${sb.root}/record.txt`;
    const stubbornGc = `${sb.root}/stubborn-gc.pid`;
    const orphanGc = `${sb.root}/orphan-gc.pid`;
    sb.write(
      "jobs",
      shLoader([
        { name: "stubborn", exec: stubbornJob(stubbornGc), auto: true, stop: { timeoutMs: 500 } },
        {
          name: "orphaned",
          exec: ["sh", "-c", `sleep 1000 & echo $! > ${sq(orphanGc)}; while :; do sleep 0.1; done`],
          auto: true,
        },
      ]),
    );
    // A resident library loader: it must go away by itself when god dies (its stdin ends).
    sb.libLoader(
      "resident",
      `job("rec", { exec: ${JSON.stringify(recorderJob("rec", record))}, auto: true, check: { every: "200ms", run: () => "ok" } });`,
    );
    sb.startGod();
    const names = ["rec", "stubborn", "orphaned"];
    const old = new Map<string, number>();
    for (const name of names) {
      const j = await sb.untilState(name, "running");
      sb.track(j.pid);
      old.set(name, j.pid!);
    }
    const loaders = JSON.parse((await sb.ctl(["loaders", "--json"])).stdout) as {
      loaders: Array<{ path: string; pid: number | null }>;
    };
    const loaderPid = loaders.loaders.find((l) => l.path.endsWith("/resident"))?.pid;
    assert.ok(loaderPid, "the resident loader is up");
    sb.track(loaderPid);
    const gc = await sb.until("both grandchildren", () => {
      const found = [stubbornGc, orphanGc].map((f) => Number(readLines(f)[0] ?? 0));
      return found.every((p) => p > 0) ? found : undefined;
    });
    for (const pid of gc) sb.track(pid);
    await sb.until("state.json to record all three", () => {
      const s = readStateFile(sb);
      return names.every((n) =>
        s?.instances.some((i) => i.job === n && i.pid === old.get(n) && i.pgid === i.pid),
      );
    });
    const recorded = readStateFile(sb)!;
    for (const i of recorded.instances)
      assert.equal(i.startTime, startTimeOf(i.pid), `${i.job}'s start time`);

    await crash(sb);
    for (const [name, pid] of old) assert.ok(alive(pid), `${name} survives god`);
    await sb.until("the resident loader to exit on the end of its stdin", () => !alive(loaderPid));
    // The orphaned job's leader dies while no god runs; its grandchild stays behind in the group.
    const orphanLeader = old.get("orphaned")!;
    process.kill(orphanLeader, "SIGKILL");
    await sb.until("the orphaned job's leader gone", () => !alive(orphanLeader));
    assert.ok(alive(gc[1]!), "its grandchild is still there");

    const outputBefore = sb.godOutput.length;
    sb.startGod(["--no-adopt"]);
    const fresh = await sb.untilState("rec", "running");
    sb.track(fresh.pid);
    assert.notEqual(fresh.pid, old.get("rec"));
    for (const name of ["stubborn", "orphaned"]) sb.track((await sb.untilState(name, "running")).pid);

    // The recorder's own account: the old instance stopped before the new one started.
    const lines = readLines(record);
    const oldStop = lines.indexOf(`stop rec ${old.get("rec")}`);
    const newStart = lines.indexOf(`start rec ${fresh.pid}`);
    assert.ok(oldStop >= 0 && newStart > oldStop, lines.join("\n"));
    for (const pid of [...old.values(), ...gc]) {
      assert.ok(!alive(pid), `${pid} was stopped`);
      assert.deepEqual(groupMembers(pid), [], `group ${pid} is empty`);
    }

    const log = godLines(sb.godOutput.slice(outputBefore));
    const found = log.findIndex((l) => /^found 3 instance\(s\) left by a god that crashed/.test(l.msg));
    const stopped = log.findIndex((l) => l.msg === "the survivors are stopped");
    const firstRunning = log.findIndex((l) => / -> (starting|running)$/.test(l.msg));
    assert.ok(found >= 0, sb.godOutput.slice(outputBefore));
    assert.ok(stopped > found && firstRunning > stopped, "found, stopped, then started");
    const outcomes = (log[stopped]?.["survivors"] ?? []) as Array<{ job: string; outcome: string }>;
    const byJob = Object.fromEntries(outcomes.map((o) => [o.job, o.outcome]));
    // The orphaned group's sleep dies of SIGTERM; the stubborn one needed SIGKILL after its 500 ms.
    assert.deepEqual(byJob, { rec: "stopped", stubborn: "killed", orphaned: "stopped" });
    const seen = (log[found]?.["survivors"] ?? []) as Array<{ job: string; processes: number[] }>;
    assert.deepEqual(seen.find((s) => s.job === "orphaned")?.processes, [gc[1]], "found through its group");
  });
});

describe("a state.json naming other processes", { timeout: TIMEOUT_MS }, () => {
  it("leaves a reused pid and a foreign group alone, and stops a recorded process", async (t) => {
    const sb = new Sandbox("god-crash-reuse-");
    t.after(() => sb.cleanup());
    const sleeper = (): ChildProcess => {
      const child = spawn("sleep", ["1000"], { detached: true, stdio: "ignore" });
      sb.track(child.pid);
      return child;
    };
    // reused: alive, but not the recorded process (another start time). recorded: the very process.
    // forged: the very process, but its record names the group of `bystander`, which must not be signalled.
    const reused = sleeper();
    const recorded = sleeper();
    const forged = sleeper();
    const bystander = sleeper();
    const pid = (c: ChildProcess) => c.pid!;
    const instances = [
      { job: "reused", pid: pid(reused), pgid: pid(reused), startTime: startTimeOf(pid(reused)) - 1 },
      {
        job: "recorded",
        pid: pid(recorded),
        pgid: pid(recorded),
        startTime: startTimeOf(pid(recorded)),
        stopSignal: "SIGTERM",
        stopTimeoutMs: 1000,
      },
      { job: "forged", pid: pid(forged), pgid: pid(bystander), startTime: startTimeOf(pid(forged)) },
    ];
    mkdirSync(sb.home, { mode: 0o700 });
    writeFileSync(`${sb.home}/state.json`, JSON.stringify({ god: 999_999, instances }));
    const outputBefore = sb.godOutput.length;
    sb.startGod();
    await sb.until("god's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);

    assert.equal(await exitWithin(recorded, 10_000, "the recorded process"), "SIGTERM");
    assert.equal(await exitWithin(forged, 10_000, "the forged record's process"), "SIGTERM");
    assert.ok(alive(pid(reused)), "a process that merely reuses a recorded pid is left alone");
    assert.ok(alive(pid(bystander)), "a group named by a record but led by another process is left alone");
    const log = godLines(sb.godOutput.slice(outputBefore));
    const found = log.find((l) => /^found 2 instance\(s\) left by a god that crashed/.test(l.msg));
    assert.ok(found, sb.godOutput.slice(outputBefore));
    const jobs = (found["survivors"] as Array<{ job: string }>).map((s) => s.job).sort();
    assert.deepEqual(jobs, ["forged", "recorded"]);
    for (const c of [reused, bystander]) c.kill("SIGKILL");
    await Promise.all([exitOf(reused), exitOf(bystander)]);
  });
});

describe("the socket and lock of a crashed god", { timeout: TIMEOUT_MS }, () => {
  it("replaces the stale socket and takes over the stale lock, with a note for each", async (t) => {
    const sb = new Sandbox("god-crash-sock-");
    t.after(() => sb.cleanup());
    const first = sb.startGod();
    await sb.until("god's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);
    await crash(sb);
    assert.ok(existsSync(`${sb.home}/god.sock`), "a crash leaves the socket file");
    assert.equal(readFileSync(`${sb.home}/god.lock`, "utf8").split(" ")[0], String(first.pid));
    const none = await sb.ctl(["status"]);
    assert.equal(none.code, 3, "nobody answers on a stale socket");

    const outputBefore = sb.godOutput.length;
    const second = sb.startGod();
    await sb.until("the new god's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);
    const msgs = godLines(sb.godOutput.slice(outputBefore)).map((l) => l.msg);
    assert.ok(
      msgs.some((m) => /^removed the stale socket .*god\.sock left by a god that is gone$/.test(m)),
      msgs.join("\n"),
    );
    assert.ok(
      msgs.some((m) => /^took over the lock of a god that is gone/.test(m)),
      msgs.join("\n"),
    );
    assert.equal(readFileSync(`${sb.home}/god.lock`, "utf8").split(" ")[0], String(second.pid));
    sb.god!.kill("SIGTERM");
    assert.equal(await exitWithin(second, 30_000, "god after SIGTERM"), 0);
    assert.ok(!existsSync(`${sb.home}/god.lock`), "a clean exit removes the lock");
  });

  it("takes over a lock whose pid now belongs to another process", async (t) => {
    const sb = new Sandbox("god-crash-lock-");
    t.after(() => sb.cleanup());
    // This test process is alive, but it is not the god that wrote the lock: its start time differs.
    mkdirSync(sb.home, { mode: 0o700 });
    writeFileSync(`${sb.home}/god.lock`, `${process.pid} ${startTimeOf(process.pid) + 1}\n`, { flag: "w" });
    sb.startGod();
    await sb.until("god's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);
    assert.ok(godLines(sb.godOutput).some((l) => /^took over the lock of a god that is gone/.test(l.msg)));
  });

  it("lets exactly one of several gods started at once take a stale lock", async (t) => {
    const sb = new Sandbox("god-crash-race-");
    t.after(() => sb.cleanup());
    mkdirSync(sb.home, { mode: 0o700 });
    // pid_max is at most 2^22, so no process has this pid: the lock is stale.
    writeFileSync(`${sb.home}/god.lock`, "99999999 12345\n");
    const gods = Array.from({ length: 6 }, () => sb.startGod());
    const refused: ChildProcess[] = [];
    await sb.until("all but one to give up", () => {
      refused.splice(0, refused.length, ...gods.filter((g) => g.exitCode !== null));
      return refused.length >= gods.length - 1;
    });
    const [winner, ...others] = gods.filter((g) => g.exitCode === null);
    assert.ok(winner, "one god runs");
    assert.deepEqual(others, [], "only one god runs");
    for (const g of refused) assert.equal(g.exitCode, 1);
    assert.match(sb.godOutput, /god: (a god is already running at|another god \(pid \d+\) is starting at) /);
    await sb.until("the winner's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);
    assert.equal(readFileSync(`${sb.home}/god.lock`, "utf8").split(" ")[0], String(winner.pid));
    winner.kill("SIGTERM");
    assert.equal(await exitWithin(winner, 30_000, "the winner after SIGTERM"), 0);
  });

  it("refuses to start while a god answers on the socket, even if its lock file was removed", async (t) => {
    const sb = new Sandbox("god-crash-nolock-");
    t.after(() => sb.cleanup());
    sb.startGod();
    await sb.until("god's socket", async () => (await sb.ctl(["status", "--json"])).code === 0);
    rmSync(`${sb.home}/god.lock`);
    const r = await runCli(["run", "--dir", sb.dir, "--home", sb.home], { timeoutMs: 20_000 });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /something already answers on .*god\.sock without holding the lock/);
    assert.equal((await sb.ctl(["status", "--json"])).code, 0, "the first god is untouched");
  });
});
