// The usage sampler with a fake /proc and a fake clock: CPU % from the tick delta between two readings (none on
// the first), RSS of the whole group, a reload's two groups added up in the instance's history, the history's
// ring (600 samples, oldest first, null where no process lived, a gap for a stretch without readings), `since`
// for the samples after an earlier answer, and a job's history dropped or trimmed with the job.

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import {
  DEMAND_MS,
  type GroupReading,
  type SampledGroup,
  UsageSampler,
} from "../../src/daemon/usage-sampler.js";
import type { GroupUsage } from "../../src/process/group-usage.js";

interface Rig {
  sampler: UsageSampler;
  groups: SampledGroup[];
  usage: Map<number, GroupUsage>;
  readings: GroupReading[][];
  /** Advances the clocks by `ms` and lets the sampler's timer run. */
  step(ms?: number): void;
}

function rig(samples = 600): Rig {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_700_000_000_000 });
  // The sampler times readings with performance.now(); here it follows the mocked Date.
  mock.method(performance, "now", () => Date.now());
  const groups: SampledGroup[] = [];
  const usage = new Map<number, GroupUsage>();
  const readings: GroupReading[][] = [];
  const sampler = new UsageSampler({
    groups: () => groups,
    read: (pgids) => new Map([...usage].filter(([pgid]) => pgids.has(pgid))),
    onReading: (r) => readings.push([...r]),
    historySamples: samples,
  });
  return {
    sampler,
    groups,
    usage,
    readings,
    step: (ms = 1000) => mock.timers.tick(ms),
  };
}

const MiB = 1024 * 1024;

test("CPU % comes from the delta of two readings; RSS is the group's; a job's history has both", (t) => {
  const r = rig();
  t.after(() => {
    mock.timers.reset();
    mock.restoreAll();
  });
  r.groups.push({ job: "api", index: 0, pgid: 100, maxMemory: 256 * MiB });
  r.usage.set(100, { cpuSeconds: 10, rssBytes: 50 * MiB, processes: 2 });
  r.sampler.wake();
  r.step(0);
  assert.equal(r.sampler.usageOf(100), null, "no CPU % from one reading");
  assert.deepEqual(r.readings[0], [
    { job: "api", index: 0, pgid: 100, maxMemory: 256 * MiB, rssBytes: 50 * MiB, cpuPercent: null },
  ]);
  r.usage.set(100, { cpuSeconds: 10.5, rssBytes: 60 * MiB, processes: 2 });
  r.step(1000);
  assert.deepEqual(r.sampler.usageOf(100), { cpuPercent: 50, rssBytes: 60 * MiB });
  const history = r.sampler.history([], null);
  assert.equal(history.samples, 600);
  assert.equal(history.intervalMs, 1000);
  assert.equal(history.endMs, 1_700_000_001_000);
  const api = history.jobs[0]!;
  assert.equal(api.name, "api");
  assert.equal(api.instances[0]!.rssBytes.length, 600);
  assert.deepEqual(api.instances[0]!.rssBytes.slice(-3), [null, 50 * MiB, 60 * MiB]);
  assert.equal(api.instances[0]!.cpuPercent.at(-2), null);
  assert.equal(api.instances[0]!.cpuPercent.at(-1), 50);
  assert.equal(r.sampler.bytesPerInstance, 4800);
});

test("the sampler stops when no group lives and leaves the idle stretch as a gap", (t) => {
  const r = rig(10);
  t.after(() => {
    mock.timers.reset();
    mock.restoreAll();
  });
  r.groups.push({ job: "w", index: 0, pgid: 7, maxMemory: null });
  r.usage.set(7, { cpuSeconds: 0, rssBytes: 1000, processes: 1 });
  r.sampler.demand();
  r.step(0);
  r.step(1000);
  assert.equal(r.readings.length, 2);
  r.groups.length = 0;
  r.step(1000);
  assert.equal(r.readings.length, 2, "no reading without a live group");
  r.step(5000);
  assert.equal(r.readings.length, 2, "and no timer either");
  r.groups.push({ job: "w", index: 0, pgid: 8, maxMemory: null });
  r.usage.set(8, { cpuSeconds: 0, rssBytes: 2000, processes: 1 });
  r.sampler.demand();
  r.step(0);
  const h = r.sampler.history(["w"], null);
  assert.equal(h.endMs, 1_700_000_007_000);
  // Samples at 0 s and 1 s, nothing from 2 s to 6 s, the new process at 7 s.
  assert.deepEqual(h.jobs[0]!.instances[0]!.rssBytes, [
    null,
    null,
    1000,
    1000,
    null,
    null,
    null,
    null,
    null,
    2000,
  ]);
  assert.deepEqual(r.sampler.history(["w"], 1_700_000_005_000).jobs[0]!.instances[0]!.rssBytes, [null, 2000]);
  assert.deepEqual(r.sampler.history(["w"], 1_700_000_007_000).jobs[0]!.instances[0]!.rssBytes, []);
});

test("a reload's two groups add up in the instance's history; trim and drop forget instances and jobs", (t) => {
  const r = rig(4);
  t.after(() => {
    mock.timers.reset();
    mock.restoreAll();
  });
  r.groups.push({ job: "web", index: 0, pgid: 1, maxMemory: null });
  r.groups.push({ job: "web", index: 0, pgid: 2, maxMemory: null });
  r.groups.push({ job: "web", index: 1, pgid: 3, maxMemory: null });
  r.usage.set(1, { cpuSeconds: 0, rssBytes: 100, processes: 1 });
  r.usage.set(2, { cpuSeconds: 0, rssBytes: 30, processes: 1 });
  r.usage.set(3, { cpuSeconds: 0, rssBytes: 7, processes: 1 });
  r.sampler.demand();
  r.step(0);
  const web = r.sampler.history([], null).jobs[0]!;
  assert.deepEqual(
    web.instances.map((i) => [i.index, i.rssBytes.at(-1)]),
    [
      [0, 130],
      [1, 7],
    ],
  );
  r.sampler.trim("web", 1);
  assert.deepEqual(
    r.sampler.history([], null).jobs[0]!.instances.map((i) => i.index),
    [0],
  );
  r.sampler.drop("web");
  assert.deepEqual(r.sampler.history([], null).jobs, []);
  r.sampler.close();
});

test("without a limit nothing is read until someone looks; then for DEMAND_MS; a limit's groups always", (t) => {
  const r = rig(10);
  t.after(() => {
    mock.timers.reset();
    mock.restoreAll();
  });
  r.groups.push({ job: "idle", index: 0, pgid: 1, maxMemory: null });
  r.usage.set(1, { cpuSeconds: 0, rssBytes: 10, processes: 1 });
  r.sampler.wake();
  r.step(0);
  r.step(5000);
  assert.equal(r.readings.length, 0, "an idle god with no limit reads nothing");
  r.sampler.demand();
  r.step(0);
  for (let i = 0; i < 15; i++) r.step(1000);
  // Readings at 0 s .. 9 s after the demand, none after DEMAND_MS.
  assert.equal(r.readings.length, DEMAND_MS / 1000);
  r.groups.push({ job: "capped", index: 0, pgid: 2, maxMemory: 100 });
  r.usage.set(2, { cpuSeconds: 0, rssBytes: 20, processes: 1 });
  r.readings.length = 0;
  r.sampler.wake();
  r.step(0);
  r.step(1000);
  assert.deepEqual(
    r.readings.map((x) => x.map((g) => g.job)),
    [["capped"], ["capped"]],
    "only the limited job is read without a demand",
  );
  r.sampler.close();
});

test("CPU %: 100 is one core, from the cumulative CPU seconds of the group", (t) => {
  const r = rig();
  t.after(() => {
    mock.timers.reset();
    mock.restoreAll();
  });
  r.groups.push({ job: "busy", index: 0, pgid: 5, maxMemory: null });
  r.usage.set(5, { cpuSeconds: 0, rssBytes: 1, processes: 1 });
  r.sampler.demand();
  r.step(0);
  // Two busy cores for one second, then half a core; a group whose CPU time drops (a member reaped elsewhere)
  // reads 0, never negative.
  for (const cpuSeconds of [2, 2.5, 2.4]) {
    r.usage.set(5, { cpuSeconds, rssBytes: 1, processes: 1 });
    r.step(1000);
  }
  assert.deepEqual(
    r.readings.map((x) => x[0]!.cpuPercent),
    [null, 200, 50, 0],
  );
  r.sampler.close();
});
