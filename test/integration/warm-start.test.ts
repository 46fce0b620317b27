// Warm starts (god run --warm-starts, docs/processes.md): once an instance has been restarted, god forks its next
// process ahead, a shell that waits to exec it. Checked from outside through /proc: the waiting shell's parent,
// group and argv; after a crash, the new instance's pid is the shell's, its program the job's, and its
// environment, stdin, sockets and log what a fresh spawn gives. A stop, a new spec and god's own death each end
// the shell; a program removed meanwhile gets the usual error from a fresh spawn; the budget is kept.

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { alive, exitWithin } from "../fixtures/proc-tools.js";
import { runCli, Sandbox, type StatusJob } from "../helpers/god.js";
import { godLines, helloLoader } from "../helpers/hello-loader.js";

const TIMEOUT_MS = 90_000;
const PREPARED = /^job (\S+): its next start is prepared \(pid (\d+) waits to exec it\)$/;

/** The pids god said it prepared for `job`, in order. */
function prepared(sb: Sandbox, job: string): number[] {
  return godLines(sb)
    .map((line) => PREPARED.exec(line.msg))
    .filter((m): m is RegExpExecArray => m !== null && m[1] === job)
    .map((m) => Number(m[2]));
}

/** Waits for the `n`th warm start of `job` and gives its pid. */
function nthPrepared(sb: Sandbox, job: string, n: number): Promise<number> {
  return sb.until(`warm start #${n} of ${job}`, () => prepared(sb, job)[n - 1]);
}

/** Waits for a warm start of `job` whose pid is none of `seen` and gives its pid. */
function preparedBesides(sb: Sandbox, job: string, seen: Array<number | null | undefined>): Promise<number> {
  return sb.until(`a warm start of ${job} besides ${seen.join(", ")}`, () =>
    prepared(sb, job).find((pid) => !seen.includes(pid)),
  );
}

/** Kills the running instance of `job` with SIGKILL and waits for the next one to run. */
async function crash(sb: Sandbox, job: string): Promise<StatusJob> {
  const before = await sb.untilState(job, "running");
  process.kill(before.pid!, "SIGKILL");
  const after = await sb.until(`${job} to run again after pid ${before.pid}`, async () => {
    const j = await sb.job(job);
    return j?.state === "running" && j.pid !== before.pid ? j : undefined;
  });
  sb.track(after.pid);
  return after;
}

function stat(pid: number): { ppid: number; pgrp: number } {
  const text = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { ppid: Number(f[1]), pgrp: Number(f[2]) };
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").slice(0, -1);
const environ = (pid: number) =>
  readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean).sort();

function crasher(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    exec: ["sh", "-c", `echo "up $$"; exec sleep 1000`],
    auto: true,
    restart: "always",
    backoff: { initialMs: 0, maxMs: 0, factor: 1 },
    stop: { timeoutMs: 2000 },
    ...extra,
  };
}

describe("warm starts", { timeout: TIMEOUT_MS }, () => {
  it("after a restart the next process waits forked; a crash only execs it, with what a fresh spawn gives", async (t) => {
    const sb = new Sandbox("god-warm-");
    t.after(() => sb.cleanup());
    const work = join(sb.root, "work");
    mkdirSync(work);
    const sock = join(sb.root, "w.sock");
    helloLoader(sb, "t", [
      crasher("w", {
        exec: ["sh", "-c", 'echo "up $$ stdin=$(readlink /proc/$$/fd/0) listen_pid=$LISTEN_PID"; sleep 1000'],
        cwd: work,
        env: { A: "one two" },
        listen: { http: `unix:${sock}` },
      }),
    ]);
    const god = sb.startGod();
    const first = await sb.untilState("w", "running");
    sb.track(first.pid);
    const log = join(sb.home, "logs", "w.log");
    await sb.until(
      "the first instance's line in the log",
      () => existsSync(log) && readFileSync(log, "utf8").includes(`up ${first.pid} stdin=/dev/null`),
    );
    const coldEnv = environ(first.pid!);
    const coldSocket = readlinkSync(`/proc/${first.pid}/fd/3`);
    assert.deepEqual(prepared(sb, "w"), [], "a first start prepares nothing: the job has not crashed yet");

    await crash(sb, "w");
    const shell = await nthPrepared(sb, "w", 1);
    sb.track(shell);
    assert.ok(alive(shell));
    assert.deepEqual(stat(shell), { ppid: god.pid!, pgrp: shell }, "god's child, in its own group");
    // (Read once its exec is through: /proc shows no argv while one is under way.)
    const argv = await sb.until("the waiting shell's argv", () => {
      const words = cmdline(shell);
      return words[3] === "god-warm-start" ? words : undefined;
    });
    assert.equal(argv[0], "/bin/sh");
    assert.equal(argv[3], "god-warm-start", "ps names it");
    const exec = [
      "sh",
      "-c",
      'echo "up $$ stdin=$(readlink /proc/$$/fd/0) listen_pid=$LISTEN_PID"; sleep 1000',
    ];
    assert.deepEqual(argv.slice(4), exec, "then the job's argv as it gives it");

    const warm = await crash(sb, "w");
    assert.equal(warm.pid, shell, "the restarted instance is the shell that waited");
    assert.equal(warm.restarts, 2);
    // Its first line says it runs the job's program (and not the shell that waited, nor an exec on the way).
    await sb.until(
      "the warm instance's line in the log",
      () =>
        existsSync(log) &&
        readFileSync(log, "utf8").includes(`up ${shell} stdin=/dev/null listen_pid=${shell}`),
    );
    assert.deepEqual(cmdline(shell), exec, "the waiting shell is gone: the job's program runs in its place");
    assert.deepEqual(
      environ(shell).filter((v) => !v.startsWith("LISTEN_PID=")),
      coldEnv.filter((v) => !v.startsWith("LISTEN_PID=")),
      "the environment of a fresh spawn",
    );
    assert.equal(readlinkSync(`/proc/${shell}/cwd`), work);
    assert.equal(readlinkSync(`/proc/${shell}/fd/0`), "/dev/null");
    assert.equal(readlinkSync(`/proc/${shell}/fd/3`), coldSocket, "the same held socket on fd 3");

    // The next one is prepared in turn; a stop ends it.
    const next = await nthPrepared(sb, "w", 2);
    sb.track(next);
    assert.notEqual(next, shell);
    const stop = await sb.ctl(["stop", "w"]);
    assert.equal(stop.code, 0, stop.stderr);
    await sb.until(`the waiting shell ${next} to be gone after the stop`, () => !alive(next));
  });

  it("a new spec ends the waiting shell, and so does god's own death; the next god adopts a warm-started instance", async (t) => {
    const sb = new Sandbox("god-warm-");
    t.after(() => sb.cleanup());
    helloLoader(sb, "t", [crasher("w", { env: { V: "1" } })]);
    const god = sb.startGod();
    await crash(sb, "w");
    const shell = await nthPrepared(sb, "w", 1);
    sb.track(shell);

    // The hello the loader prints changes; the loader script itself is left alone, so that god's watch of the
    // loader directory does not reload it a second time (each hello is a new spec object for the runner).
    const hello = {
      jsonrpc: "2.0",
      method: "hello",
      params: { protocol: "godv1", loader: { name: "t" }, jobs: [crasher("w", { env: { V: "2" } })] },
    };
    writeFileSync(join(sb.root, "t.hello.json"), `${JSON.stringify(hello)}\n`);
    const reload = await sb.ctl(["reload-loaders"]);
    assert.equal(reload.code, 0, reload.stderr);
    await sb.until(`the shell ${shell} made for the old spec to be gone`, () => !alive(shell));
    const replaced = await sb.until("w to run with V=2", async () => {
      const j = await sb.job("w");
      return j?.state === "running" && j.pid && environ(j.pid).includes("V=2") ? j : undefined;
    });
    sb.track(replaced.pid);
    assert.notEqual(replaced.pid, shell);

    // One made with the new spec takes the next crash; then god dies with the one after it waiting.
    // (The reload itself may have used one made with the new spec already: the next one is another pid.)
    const again = await preparedBesides(sb, "w", [shell, replaced.pid]);
    sb.track(again);
    const warm = await crash(sb, "w");
    const story = () =>
      godLines(sb)
        .map((l) => `${l.time} ${l.msg}`)
        .filter((m) => m.includes("job w") || m.includes("w:") || m.includes(" w "))
        .join("\n");
    assert.equal(warm.pid, again, story());
    // /proc/PID/environ reads empty while an exec is under way: read it once the job's own line is out.
    const log = join(sb.home, "logs", "w.log");
    await sb.until(
      `the line of ${again}`,
      () => existsSync(log) && readFileSync(log, "utf8").includes(`up ${again}\n`),
    );
    assert.ok(environ(again).includes("V=2"), `${environ(again).join(" ")}\n${story()}`);
    const third = await preparedBesides(sb, "w", [shell, replaced.pid, again]);
    sb.track(third);
    god.kill("SIGKILL");
    assert.equal(await exitWithin(god, 10_000, "god after SIGKILL"), "SIGKILL");
    await sb.until(`the shell ${third} to exit once god is gone`, () => !alive(third));
    assert.ok(alive(again), "the job itself outlives god");

    // The next god adopts the warm-started instance: its pid and kernel start time match the record.
    sb.startGod();
    const adopted = await sb.until("w adopted", async () => {
      const j = await sb.job("w");
      return j?.state === "running" && j.adopted ? j : undefined;
    });
    assert.equal(adopted.pid, again);
  });

  it("the same spec again (god reload-loaders) keeps the waiting shell", async (t) => {
    const sb = new Sandbox("god-warm-");
    t.after(() => sb.cleanup());
    helloLoader(sb, "t", [crasher("w")]);
    sb.startGod();
    await crash(sb, "w");
    const shell = await nthPrepared(sb, "w", 1);
    sb.track(shell);
    // Answered once the loader's new hello is applied.
    const reload = await sb.ctl(["reload-loaders"]);
    assert.equal(reload.code, 0, reload.stderr);
    const warm = await crash(sb, "w");
    assert.equal(warm.pid, shell, "the shell made before the reload became the instance");
  });

  it("a warm-started instance says itself when it is ready, on its ready fd or its notify socket", async (t) => {
    const sb = new Sandbox("god-warm-");
    t.after(() => sb.cleanup());
    const notify = [
      "python3",
      "-c",
      'import os, socket, time\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.connect(os.environ["NOTIFY_SOCKET"])\ns.send(b"READY=1")\ntime.sleep(1000)',
    ];
    helloLoader(sb, "t", [
      crasher("byfd", { exec: ["sh", "-c", "echo ready >&4; exec sleep 1000"], ready: { fd: 4 } }),
      crasher("bynotify", { exec: notify, ready: "notify" }),
    ]);
    sb.startGod();
    for (const job of ["byfd", "bynotify"]) {
      await crash(sb, job);
      const shell = await nthPrepared(sb, job, 1);
      sb.track(shell);
      // crash() waits for "running": an instance with `ready` is running only once it said so itself.
      const warm = await crash(sb, job);
      assert.equal(warm.pid, shell, `${job}: the warm start became the instance, and it was heard`);
    }
  });

  it("a program removed since its warm start: the restart is a fresh spawn, with the usual error", async (t) => {
    const sb = new Sandbox("god-warm-");
    t.after(() => sb.cleanup());
    const program = sb.write("prog.sh", '#!/bin/sh\necho "up $$"\nexec sleep 1000\n', { inDir: false });
    helloLoader(sb, "t", [crasher("p", { exec: [program] })]);
    sb.startGod();
    await crash(sb, "p");
    const shell = await nthPrepared(sb, "p", 1);
    sb.track(shell);
    rmSync(program);
    const running = await sb.untilState("p", "running");
    process.kill(running.pid!, "SIGKILL");
    await sb.untilOutput("the spawn's error", () =>
      godLines(sb).some((l) =>
        l.msg.includes(
          `job p could not start: "${program}" was not found (looked up in PATH); fix exec[0] of job "p"`,
        ),
      ),
    );
    await sb.until(`the shell ${shell} to be discarded`, () => !alive(shell));
  });

  it("--warm-starts 1: a second restarted job gets none, and god says so once", async (t) => {
    const sb = new Sandbox("god-warm-");
    t.after(() => sb.cleanup());
    helloLoader(sb, "t", [crasher("a"), crasher("b")]);
    sb.startGod(["--warm-starts", "1"]);
    await sb.untilState("b", "running");
    await crash(sb, "a");
    sb.track(await nthPrepared(sb, "a", 1));
    await crash(sb, "b");
    await sb.untilOutput("god to say b has no warm start", () =>
      godLines(sb).some(
        (l) =>
          l.msg ===
          "job b: its next start is not prepared ahead: all 1 warm starts are in use (raise `god run --warm-starts N` for more)",
      ),
    );
    assert.deepEqual(prepared(sb, "b"), []);
  });

  it("--warm-starts takes a count", async () => {
    const bad = await runCli(["run", "--warm-starts", "many", "--home", "/nonexistent-god-home"]);
    assert.equal(bad.code, 2);
    assert.match(
      bad.stderr,
      /--warm-starts many is not a count; give a whole number from 0 \(none\) to 1000\./,
    );
  });
});
