// Cron timers on a mocked clock: the first fire is the next time after now (never at start), each fire arms the
// next, a changed schedule re-arms and a removed one is cleared, a delay past setTimeout's 2^31-1 ms is waited
// for in steps and fires once, on time. And what a fire does to a job in each state (cronAction).

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { CronTimers, cronAction, MAX_TIMER_MS } from "../../src/daemon/cron-timer.js";
import { JOB_STATES } from "../../src/protocol/states.js";

function rig(startIso: string, stepMs?: number) {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: Date.parse(startIso) });
  const fires: Array<[string, string]> = [];
  const problems: string[] = [];
  const timers = new CronTimers({
    fire: (job) => fires.push([job, new Date(Date.now()).toISOString()]),
    problem: (_job, message) => problems.push(message),
    now: () => Date.now(),
    ...(stepMs === undefined ? {} : { stepMs }),
  });
  return { fires, problems, timers };
}

/** Mock timers move Date to the end of a tick before they run its timers: walk in small steps. */
function walk(ms: number, stepMs = 250): void {
  for (let done = 0; done < ms; done += stepMs) mock.timers.tick(Math.min(stepMs, ms - done));
}

test("fires at each time of the schedule, never at start; a new schedule re-arms, null clears", (t) => {
  t.after(() => mock.timers.reset());
  const { fires, timers } = rig("2024-05-01T10:00:00.000Z");
  timers.set("tick", { schedule: "*/2 * * * * *", timeZone: "UTC" });
  mock.timers.tick(0);
  assert.deepEqual(fires, [], "not at start, though 10:00:00 is in the schedule");
  walk(4500);
  assert.deepEqual(fires, [
    ["tick", "2024-05-01T10:00:02.000Z"],
    ["tick", "2024-05-01T10:00:04.000Z"],
  ]);
  // The same schedule again (a loader's new hello with no change): the timer is kept.
  timers.set("tick", { schedule: "*/2 * * * * *", timeZone: "UTC" });
  walk(1500);
  assert.equal(fires.length, 3);
  timers.set("tick", { schedule: "30 * * * * *", timeZone: "UTC" });
  walk(60_000);
  assert.deepEqual(fires.slice(3), [["tick", "2024-05-01T10:00:30.000Z"]]);
  timers.set("tick", null);
  walk(120_000, 1000);
  assert.equal(fires.length, 4);
  timers.close();
});

test("a delay past what setTimeout holds is waited for in steps and fires once, on time", (t) => {
  t.after(() => mock.timers.reset());
  // Steps as long as a timer can be, so that a year is a few of them here (god's are a minute).
  const { fires, timers } = rig("2024-01-01T00:00:01.000Z", MAX_TIMER_MS);
  // The next 1 January is a year away: about 15 steps of 2^31-1 ms.
  timers.set("yearly", { schedule: "@yearly", timeZone: "UTC" });
  const year = Date.parse("2025-01-01T00:00:00.000Z") - Date.now();
  assert.ok(year > 10 * MAX_TIMER_MS);
  for (let waited = 0; waited < year - MAX_TIMER_MS; waited += MAX_TIMER_MS) {
    mock.timers.tick(MAX_TIMER_MS);
    assert.deepEqual(fires, [], `nothing after ${waited + MAX_TIMER_MS} ms`);
  }
  mock.timers.tick(year % MAX_TIMER_MS);
  assert.deepEqual(fires, [["yearly", "2025-01-01T00:00:00.000Z"]]);
  timers.close();
});

test("a clock set forward (or a machine suspended) fires within a step, once; a clock set back waits", (t) => {
  t.after(() => mock.timers.reset());
  let skewMs = 0;
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: Date.parse("2024-05-01T02:59:00.000Z") });
  const fires: number[] = [];
  const timers = new CronTimers({
    fire: () => fires.push(Date.now() + skewMs),
    problem: () => {},
    now: () => Date.now() + skewMs,
    stepMs: 60_000,
  });
  // Hourly; the first fire is at 03:00. The wall clock jumps five hours ahead after 10 s: the wait ends at the
  // next step, with one fire (not five), and the next one is armed from then.
  timers.set("hourly", { schedule: "0 * * * *", timeZone: "UTC" });
  mock.timers.tick(10_000);
  skewMs = 5 * 3_600_000;
  mock.timers.tick(50_000);
  assert.deepEqual(
    fires.map((f) => new Date(f).toISOString()),
    ["2024-05-01T08:00:00.000Z"],
  );
  // Set back two hours: the 09:00 fire waits for the wall clock to reach 09:00 again.
  skewMs -= 2 * 3_600_000;
  for (let i = 0; i < 179; i++) mock.timers.tick(60_000);
  assert.equal(fires.length, 1);
  for (let i = 0; i < 2; i++) mock.timers.tick(60_000);
  assert.deepEqual(fires.map((f) => new Date(f).toISOString()).slice(1), ["2024-05-01T09:00:00.000Z"]);
  timers.close();
});

test("cronAction: running restarts, resting starts, starting skips, a stopped auto job stays stopped", () => {
  const seen: Record<string, string> = {};
  for (const state of JOB_STATES) {
    const action = cronAction({ state, want: "up", auto: false });
    seen[state] = action.type;
  }
  assert.deepEqual(seen, {
    stopped: "start",
    waiting: "start",
    starting: "skip",
    running: "restart",
    degraded: "restart",
    stopping: "start",
    backoff: "start",
    exited: "start",
    failed: "start",
  });
  assert.deepEqual(cronAction({ state: "starting", want: "up", auto: true }), {
    type: "skip",
    why: "its last run is still starting",
  });
  assert.equal(cronAction({ state: "stopped", want: "down", auto: true }).type, "skip");
  assert.equal(cronAction({ state: "exited", want: "down", auto: false }).type, "start");
  assert.equal(cronAction({ state: "running", want: "up", auto: true }).type, "restart");
});
