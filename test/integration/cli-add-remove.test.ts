// `god add` and `god remove` end to end (SPEC 14): a job kept in GOD_HOME/jobs/NAME.json, written with no god
// running and run by a plain `god run`; added to a running god and waited for; taken names refused; a job that
// cannot start reported with its reason; removal stops and forgets the job; a job of another loader is refused.

import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { isAlive, runCli, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 120_000;

/** `god ARGS` at the sandbox's home: --home before any `--` (after it, words are the job's command). */
function god(sb: Sandbox, args: string[]) {
  const split = args.indexOf("--");
  const own = split === -1 ? args : args.slice(0, split);
  const command = split === -1 ? [] : args.slice(split);
  return runCli([...own, "--home", sb.home, ...command], { env: { ...process.env, GOD_HOME: sb.home } });
}

describe("god add and god remove", { timeout: TIMEOUT_MS }, () => {
  it("with no god: the file is written and a plain `god run` runs it", async (t) => {
    const sb = new Sandbox("god-add-offline-");
    t.after(() => sb.cleanup());
    const added = await runCli(
      [
        "add",
        "solo",
        "--home",
        sb.home,
        "--env",
        "GREETING=hi there",
        "--",
        "sh",
        "-c",
        'echo "$GREETING from $PWD"; exec sleep 100000',
      ],
      { cwd: sb.root },
    );
    assert.equal(added.code, 0, added.stderr);
    const file = join(sb.home, "jobs", "solo.json");
    assert.match(added.stdout, new RegExp(`solo: added to ${file}; no god is running at ${sb.home}`));
    assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), {
      jobs: [
        {
          name: "solo",
          exec: ["sh", "-c", 'echo "$GREETING from $PWD"; exec sleep 100000'],
          cwd: sb.root,
          auto: true,
          env: { GREETING: "hi there" },
        },
      ],
    });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(sb.home, "jobs")).mode & 0o777, 0o700);

    sb.startGodWith(["run", "--home", sb.home]);
    sb.track((await sb.untilState("solo", "running")).pid);
    await sb.until("solo's line", () => {
      const log = join(sb.home, "logs", "solo.log");
      return existsSync(log) && readFileSync(log, "utf8").includes(`hi there from ${sb.root}`);
    });
  });

  it("with a god: add waits until the job runs, refuses taken names, reports a failed start; remove stops and forgets", async (t) => {
    const sb = new Sandbox("god-add-");
    t.after(() => sb.cleanup());
    const taken = sb.write(
      "taken.json",
      JSON.stringify({ jobs: [{ name: "taken", exec: ["sleep", "100000"], auto: true }] }),
      { mode: 0o644 },
    );
    sb.startGod();
    sb.track((await sb.untilState("taken", "running")).pid);

    const added = await god(sb, ["add", "web", "-i", "2", "--", "sleep", "100000"]);
    assert.equal(added.code, 0, added.stderr);
    const pid = Number(/^web: running \(pid (\d+)\)\n$/.exec(added.stdout)?.[1]);
    assert.ok(pid > 0 && isAlive(pid), `add returned once the job runs: ${added.stdout}`);
    const web = await sb.until("web's two instances running", async () => {
      const j = await sb.job("web");
      return j?.instances.length === 2 && j.instances.every((i) => i.state === "running") ? j : undefined;
    });
    const pids = web.instances.map((i) => i.pid!);
    for (const pid of pids) sb.track(pid);

    const again = await god(sb, ["add", "web", "--", "sleep", "1"]);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^god: a job named web was already added at .*web\.json\); `god remove web` it first, or choose another name\.\n$/,
    );
    const other = await god(sb, ["add", "taken", "--", "sleep", "1"]);
    assert.equal(other.code, 1);
    assert.equal(
      other.stderr,
      `god: the god at ${sb.home} already runs a job named taken, declared by ${taken}; choose another name.\n`,
    );
    assert.equal(existsSync(join(sb.home, "jobs", "taken.json")), false, "a refused name writes no file");

    const idle = await god(sb, ["add", "idle", "--no-auto", "--", "sleep", "100000"]);
    assert.equal(idle.code, 0, idle.stderr);
    assert.match(idle.stdout, /^idle: stopped; declared, not started \(--no-auto\)/);
    await sb.untilState("idle", "stopped");

    const bad = await god(sb, ["add", "bad", "--", join(sb.root, "no-such-program")]);
    assert.equal(bad.code, 1);
    assert.match(
      bad.stderr,
      /^god: bad failed to start \((backoff|failed): .*no-such-program.*`god remove bad` deletes it\.\n$/,
    );

    const removed = await god(sb, ["remove", "web"]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /^web: stopped and removed/);
    assert.equal(existsSync(join(sb.home, "jobs", "web.json")), false);
    await sb.until("god to forget web", async () => (await sb.job("web")) === undefined);
    for (const pid of pids) assert.equal(isAlive(pid), false, `instance ${pid} is stopped`);
    for (const name of ["bad", "idle"]) assert.equal((await god(sb, ["remove", name])).code, 0);

    const notOurs = await god(sb, ["remove", "taken"]);
    assert.equal(notOurs.code, 1);
    assert.equal(
      notOurs.stderr,
      `god: job taken was not made by \`god add\`: it comes from the loader ${taken}; remove it there.\n`,
    );
    const unknown = await god(sb, ["remove", "nope"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^god: no job nope was added at .*; `god status` lists the jobs\.\n$/);
    assert.equal((await sb.job("taken"))?.state, "running", "the refusals touched nothing");
  });
});
