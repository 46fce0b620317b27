// `god upgrade` (SPEC 13): the running god hands over to the installed one and no job is restarted. Without a
// service manager the CLI starts the new god itself, the same way (arguments, directory, environment); under the
// unit of `god startup` the old god exits with 75 and systemd starts the new one (played here by the test).

import assert from "node:assert/strict";
import { readFileSync, readlinkSync } from "node:fs";
import { describe, it } from "node:test";
import { alive, exitWithin, shLoader } from "../fixtures/proc-tools.js";
import { runCli, Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 120_000;

function setUp(sb: Sandbox): void {
  sb.write("tick.js", `setInterval(() => console.log("tick " + Date.now()), 50);`, { inDir: false });
  const jobs = [{ name: "tick", exec: [process.execPath, `${sb.root}/tick.js`], auto: true }];
  sb.write("jobs", shLoader(jobs));
}

describe("god upgrade", { timeout: TIMEOUT_MS }, () => {
  it("starts the installed god the same way; it adopts every instance and restarts none", async (t) => {
    const sb = new Sandbox("god-upgrade-");
    t.after(async () => {
      await runCli(["shutdown", "--home", sb.home]);
      await sb.cleanup();
    });
    setUp(sb);
    process.env["GOD_TEST_MARK"] = "kept-across-upgrade";
    try {
      sb.startGod();
    } finally {
      delete process.env["GOD_TEST_MARK"];
    }
    const before = await sb.untilState("tick", "running");
    sb.track(before.pid);
    const old = sb.god!;

    const upgraded = await sb.ctl(["upgrade"]);
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.equal(await exitWithin(old, 10_000, "the old god"), 0);
    assert.match(upgraded.stdout, /1 of 1 instance\(s\) adopted, none restarted/);
    const pid = Number(/\(pid (\d+)\); its log/.exec(upgraded.stdout)?.[1]);
    assert.ok(pid > 0, upgraded.stdout);
    sb.track(pid);

    const after = (await sb.job("tick"))!;
    assert.equal(after.pid, before.pid, "the same process");
    assert.equal(after.instances[0]!.adopted, true);
    assert.equal(after.restarts, 0);
    assert.ok(alive(before.pid!));
    // Started as the old one was: its environment and its working directory.
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    assert.ok(environ.includes("GOD_TEST_MARK=kept-across-upgrade"));
    assert.equal(readlinkSync(`/proc/${pid}/cwd`), process.cwd());
  });

  it("under systemd's unit: the old god exits with 75 and the god the unit starts adopts the jobs", async (t) => {
    const sb = new Sandbox("god-upgrade-unit-");
    t.after(() => sb.cleanup());
    setUp(sb);
    process.env["GOD_UNIT"] = "watchgod.service";
    try {
      sb.startGod();
    } finally {
      delete process.env["GOD_UNIT"];
    }
    const before = await sb.untilState("tick", "running");
    sb.track(before.pid);
    const old = sb.god!;

    const upgrade = sb.ctl(["upgrade"]);
    assert.equal(await exitWithin(old, 10_000, "the old god"), 75);
    assert.ok(alive(before.pid!), "the job outlives the old god");
    // What RestartForceExitStatus=75 makes systemd do.
    sb.startGod();
    const upgraded = await upgrade;
    assert.equal(upgraded.code, 0, upgraded.stderr);
    assert.match(upgraded.stdout, /systemd started god/);
    assert.match(upgraded.stdout, /1 of 1 instance\(s\) adopted, none restarted/);
    const after = (await sb.job("tick"))!;
    assert.equal(after.pid, before.pid);
    assert.equal(after.instances[0]!.adopted, true);
  });

  it("is refused by a god that runs with --no-adopt, which then keeps running", async (t) => {
    const sb = new Sandbox("god-upgrade-noadopt-");
    t.after(() => sb.cleanup());
    setUp(sb);
    sb.startGod(["--no-adopt"]);
    const before = await sb.untilState("tick", "running");
    sb.track(before.pid);
    const result = await sb.ctl(["upgrade"]);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /this god runs with --no-adopt, so the next one would stop every job/);
    assert.equal((await sb.job("tick"))!.pid, before.pid);
    assert.equal(sb.god!.exitCode, null, "god keeps running");
  });

  it("says so when no god runs", async (t) => {
    const sb = new Sandbox("god-upgrade-none-");
    t.after(() => sb.cleanup());
    const result = await sb.ctl(["upgrade"]);
    assert.equal(result.code, 3);
    assert.match(result.stderr, /no god is running at/);
  });
});
