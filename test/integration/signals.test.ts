// Every catchable signal has a meaning (issue 18): those that mean nothing to god are logged and ignored, with
// god and its jobs untouched (SIGUSR2 used to kill god with nothing stopped or recorded); SIGQUIT makes god
// leave its jobs running for the next god, which adopts them.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IGNORED_SIGNALS } from "../../src/daemon/signals.js";
import { alive, exitWithin, shLoader } from "../fixtures/proc-tools.js";
import { Sandbox } from "../helpers/god.js";

const TIMEOUT_MS = 60_000;

function setUp(sb: Sandbox): void {
  sb.write("tick.js", `setInterval(() => {}, 1000);`, { inDir: false });
  const jobs = [{ name: "tick", exec: [process.execPath, `${sb.root}/tick.js`], auto: true }];
  sb.write("jobs", shLoader(jobs));
}

describe("signals", { timeout: TIMEOUT_MS }, () => {
  it("a signal that means nothing to god is logged and ignored: god and its jobs go on", async (t) => {
    const sb = new Sandbox("god-signals-");
    t.after(() => sb.cleanup());
    setUp(sb);
    const god = sb.startGod();
    const before = await sb.untilState("tick", "running");
    sb.track(before.pid);
    assert.ok(IGNORED_SIGNALS.includes("SIGUSR2"));
    for (const signal of IGNORED_SIGNALS) {
      god.kill(signal);
      await sb.until(`god's note of ${signal}`, () =>
        sb.godOutput.includes(`received ${signal}, which means nothing to god: ignored`),
      );
    }
    assert.equal(god.exitCode, null, "god is still running");
    assert.equal(god.signalCode, null);
    const after = await sb.ctl(["status", "--json"]);
    assert.equal(after.code, 0, after.stderr);
    const tick = JSON.parse(after.stdout).jobs[0];
    assert.equal(tick.pid, before.pid, "the job was not touched");
    assert.equal(tick.restarts, 0);
  });

  it("SIGQUIT: god leaves every job running, and the next god adopts them", async (t) => {
    const sb = new Sandbox("god-sigquit-");
    t.after(() => sb.cleanup());
    setUp(sb);
    const god = sb.startGod();
    const before = await sb.untilState("tick", "running");
    sb.track(before.pid);
    god.kill("SIGQUIT");
    assert.equal(await exitWithin(god, 10_000, "god after SIGQUIT"), 0);
    assert.match(sb.godOutput, /exiting \(SIGQUIT\): every job keeps running for the next god to adopt/);
    assert.ok(alive(before.pid!), "the job outlives god");
    sb.startGod();
    const adopted = await sb.until("the job adopted", async () => {
      const j = await sb.job("tick");
      return j?.instances[0]?.adopted ? j : undefined;
    });
    assert.equal(adopted.pid, before.pid);
  });
});
