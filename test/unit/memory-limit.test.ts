// The memory rule on readings: 3 in a row over the limit replace the instance (once per process), with the
// figures in the reason; a reading under the limit resets the count, and so does a new process (a new group).

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatMemory, MemoryLimit } from "../../src/daemon/memory-limit.js";
import type { GroupReading } from "../../src/daemon/usage-sampler.js";

const MiB = 1024 * 1024;

function reading(pgid: number, rssMiB: number, limitMiB: number | null = 256): GroupReading {
  return {
    job: "api",
    index: 1,
    pgid,
    rssBytes: rssMiB * MiB,
    cpuPercent: null,
    maxMemory: limitMiB === null ? null : limitMiB * MiB,
  };
}

function rig() {
  const acts: Array<[string, number, string]> = [];
  const limit = new MemoryLimit((job, index, why) => acts.push([job, index, why]), 1000);
  return { acts, limit };
}

test("three readings in a row over the limit replace the instance once, the figures in the reason", () => {
  const { acts, limit } = rig();
  limit.observe([reading(10, 300)]);
  limit.observe([reading(10, 310)]);
  assert.equal(acts.length, 0);
  limit.observe([reading(10, 312.4)]);
  assert.deepEqual(acts, [
    ["api", 1, "RSS 312.4 MiB of its process group is over its maxMemory 256 MiB for 3 s"],
  ]);
  limit.observe([reading(10, 320)]);
  limit.observe([reading(10, 330)]);
  assert.equal(acts.length, 1, "one replacement per process, while it is being replaced");
});

test("a reading under the limit resets the count; so does a new process; no limit, no action", () => {
  const { acts, limit } = rig();
  limit.observe([reading(10, 300)]);
  limit.observe([reading(10, 300)]);
  limit.observe([reading(10, 200)]);
  limit.observe([reading(10, 300)]);
  limit.observe([reading(10, 300)]);
  assert.equal(acts.length, 0);
  // The process is replaced by another (a new group): its count starts at zero.
  limit.observe([reading(11, 300)]);
  limit.observe([reading(11, 300)]);
  assert.equal(acts.length, 0);
  limit.observe([reading(11, 300)]);
  assert.equal(acts.length, 1);
  for (let i = 0; i < 5; i++) limit.observe([reading(12, 5000, null)]);
  assert.equal(acts.length, 1);
  // Exactly at the limit is not over it.
  for (let i = 0; i < 5; i++) limit.observe([reading(13, 256)]);
  assert.equal(acts.length, 1);
});

test("sizes read in the unit that suits them", () => {
  assert.equal(formatMemory(256 * MiB), "256 MiB");
  assert.equal(formatMemory(312.44 * MiB), "312.4 MiB");
  assert.equal(formatMemory(512 * 1024), "512 KiB");
  assert.equal(formatMemory(1.5 * 1024 * MiB), "1.5 GiB");
  assert.equal(formatMemory(900), "900 bytes");
});
