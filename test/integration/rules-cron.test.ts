// cron on a real god, at seconds resolution (`*/2 * * * * *`): a running job is restarted on the schedule (two
// fires, never closer than the schedule allows); a job whose readiness takes longer than the period is not
// started over while it is starting (the fire is skipped and logged), and is restarted once it is ready.

import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { SupervisorChange } from "../../src/protocol/control.js";
import { Sandbox } from "../helpers/god.js";
import { godLines, helloLoader } from "../helpers/hello-loader.js";

const SCHEDULE = "*/2 * * * * *";

function statesOf(changes: SupervisorChange[], name: string): string[] {
  const out: string[] = [];
  for (const change of changes) {
    if (change.type !== "job" || change.job.name !== name) continue;
    if (out[out.length - 1] !== change.job.state) out.push(change.job.state);
  }
  return out;
}

describe("cron", { timeout: 90_000 }, () => {
  it("restarts on the schedule, and skips a fire while the last run is still starting", async (t) => {
    const sb = new Sandbox("god-rules-cron-");
    t.after(() => sb.cleanup());
    const trigger = join(sb.root, "ready-now");
    helloLoader(sb, "app", [
      { name: "tick", exec: ["sleep", "100000"], auto: true, cron: SCHEDULE },
      {
        name: "slow",
        exec: ["sleep", "100000"],
        auto: true,
        // Ready (its first ok check) only once the test creates the trigger file.
        check: { intervalMs: 300, failures: 1000, graceMs: 60_000, probe: { exec: ["test", "-e", trigger] } },
        cron: { schedule: SCHEDULE, timeZone: "UTC" },
      },
    ]);
    sb.startGod();
    const events = await sb.events();
    sb.track((await sb.untilState("tick", "running")).pid);

    const restarts = (name: string) =>
      godLines(sb).filter((l) => l.msg === `job ${name}: cron ${SCHEDULE}; restarting it`);
    const fired = await sb.until("two cron restarts of tick", () => {
      const lines = restarts("tick");
      return lines.length >= 2 ? lines : undefined;
    });
    // A timer never fires early: two fires of */2 are at least two seconds apart.
    assert.ok(fired[1]!.time - fired[0]!.time >= 1900, `fires at ${fired[0]!.time} and ${fired[1]!.time}`);
    const tick = await sb.until("tick running again", async () => {
      const j = await sb.job("tick");
      return j?.state === "running" && j.restarts >= 2 ? j : undefined;
    });
    sb.track(tick.pid);

    // slow is starting until the trigger exists: every fire meanwhile is skipped.
    const starting = await sb.job("slow");
    assert.equal(starting?.state, "starting");
    sb.track(starting?.pid);
    await sb.until("a skipped fire", () =>
      godLines(sb).find(
        (l) => l.msg === `job slow: cron ${SCHEDULE} skipped: its last run is still starting`,
      ),
    );
    assert.equal(restarts("slow").length, 0);
    assert.equal(statesOf(events.changes, "slow").includes("stopping"), false);
    writeFileSync(trigger, "");
    assert.ok(existsSync(trigger));
    await sb.untilState("slow", "running");
    await sb.until("slow restarted by cron once ready", () => restarts("slow").length >= 1);
    const seen = statesOf(events.changes, "slow");
    // starting -> running with no stop between: the skipped fires did nothing.
    assert.deepEqual(seen.slice(seen.indexOf("starting"), seen.indexOf("running") + 1), [
      "starting",
      "running",
    ]);
    sb.track((await sb.job("slow"))?.pid);
  });
});
