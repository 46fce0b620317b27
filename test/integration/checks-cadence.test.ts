// One loader, two jobs: a check that never answers (each call hits its timeout) beside a fast one. The loader
// records every check call with its time; the fast job keeps its cadence while the slow one times out.

import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Sandbox } from "../helpers/god.js";

const SLOW_TIMEOUT_MS = 800;
const INTERVAL_MS = 100;

/** The times (ms) at which the loader was asked to check, one line each. */
function calls(path: string): number[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map(Number);
}

describe("a slow check next to a fast one", () => {
  const sb = new Sandbox("god-checks-cadence-");
  const slowLog = `${sb.root}/slow.calls`;
  const fastLog = `${sb.root}/fast.calls`;
  before(async () => {
    sb.libLoader(
      "pair",
      `import { appendFileSync } from "node:fs";
job("slow", {
  exec: ["sleep", "1000"],
  auto: true,
  check: {
    every: ${INTERVAL_MS},
    timeout: ${SLOW_TIMEOUT_MS},
    failures: 1000,
    run: () => { appendFileSync(${JSON.stringify(slowLog)}, Date.now() + "\\n"); return new Promise(() => {}); },
  },
});
job("fast", {
  exec: ["sleep", "1000"],
  auto: true,
  check: {
    every: ${INTERVAL_MS},
    run: () => { appendFileSync(${JSON.stringify(fastLog)}, Date.now() + "\\n"); return "ok"; },
  },
});`,
    );
    sb.startGod();
  });
  after(() => sb.cleanup());

  it("keeps the fast job's cadence while every slow check takes its whole timeout", async () => {
    const fast = await sb.untilState("fast", "running");
    sb.track(fast.pid);
    sb.track((await sb.job("slow"))?.pid);
    // A window that holds several slow checks: each one takes the timeout, then the interval.
    const startSlow = calls(slowLog).length;
    const startFast = calls(fastLog).length;
    await sb.until("four more slow checks", () => calls(slowLog).length >= startSlow + 4, 30_000);
    const slow = calls(slowLog).slice(startSlow);
    const fastCalls = calls(fastLog).slice(startFast);
    assert.ok(
      fastCalls.length >= 3 * slow.length,
      `fast checks (${fastCalls.length}) should outnumber slow ones (${slow.length}) by far`,
    );
    const gaps = fastCalls.slice(1).map((t, i) => t - fastCalls[i]!);
    const slowGaps = slow.slice(1).map((t, i) => t - slow[i]!);
    assert.ok(
      Math.max(...gaps) < SLOW_TIMEOUT_MS,
      `no fast check waited for a slow one: the longest gap was ${Math.max(...gaps)} ms`,
    );
    assert.ok(
      Math.min(...slowGaps) >= SLOW_TIMEOUT_MS,
      `a slow check starts only after the previous one timed out (at most one in flight): ${slowGaps}`,
    );
    const slowJob = await sb.job("slow");
    assert.equal(slowJob?.state, "starting", "its fails fall in the grace period");
    assert.equal(slowJob?.check?.status, "fail");
    assert.equal(slowJob?.check?.message, `check timed out after ${SLOW_TIMEOUT_MS} ms`);
    const fastJob = await sb.job("fast");
    assert.equal(fastJob?.state, "running");
    assert.equal(fastJob?.restarts, 0);
  });
});
