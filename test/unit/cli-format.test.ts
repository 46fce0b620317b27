// Durations as the command line prints them: uptimes in two units, configured durations exact and short.

import assert from "node:assert/strict";
import { test } from "node:test";
import { formatDurationMs, formatUptime } from "../../src/cli/render.js";

test("uptime: seconds, then two units with the second padded", () => {
  const cases: Array<[number, string]> = [
    [0, "0s"],
    [999, "0s"],
    [4_000, "4s"],
    [59_999, "59s"],
    [60_000, "1m00s"],
    [192_000, "3m12s"],
    [3_599_000, "59m59s"],
    [3_600_000, "1h00m"],
    [2 * 3_600_000 + 5 * 60_000 + 59_000, "2h05m"],
    [86_399_000, "23h59m"],
    [86_400_000, "1d00h"],
    [3 * 86_400_000 + 4 * 3_600_000 + 59 * 60_000, "3d04h"],
    [400 * 86_400_000, "400d00h"],
  ];
  for (const [ms, text] of cases) assert.equal(formatUptime(ms), text, `${ms} ms`);
});

test("uptime: nonsense reads as 0s rather than NaN", () => {
  assert.equal(formatUptime(-5), "0s");
  assert.equal(formatUptime(Number.NaN), "0s");
});

test("configured durations are exact", () => {
  const cases: Array<[number, string]> = [
    [0, "0ms"],
    [250, "250ms"],
    [1000, "1s"],
    [1500, "1.5s"],
    [30_000, "30s"],
    [60_000, "1m"],
    [90_000, "1m30s"],
    [90_500, "90.5s"],
    [3_600_000, "1h"],
    [3_660_000, "1h1m"],
  ];
  for (const [ms, text] of cases) assert.equal(formatDurationMs(ms), text, `${ms} ms`);
});
