// Durations in the library's options: numbers of milliseconds and "500ms" / "5s" / "2m" / "1h" strings.

import assert from "node:assert/strict";
import { test } from "node:test";
import { durationMs, MAX_DURATION_MS, parseDuration } from "../../src/lib/duration.js";

test("numbers are milliseconds, rounded to whole ones", () => {
  assert.equal(parseDuration(0), 0);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration(1000 / 3), 333);
  assert.equal(parseDuration(MAX_DURATION_MS), MAX_DURATION_MS);
});

test("strings take ms, s, m and h, with fractions", () => {
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("5s"), 5000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration(".5s" as "0.5s"), 500);
  assert.equal(parseDuration("0ms"), 0);
});

test("anything else is refused with the accepted forms", () => {
  for (const bad of ["5", "5 sec", "s", "-1s", "1d", "", "1e3ms", "5S", "24h1m"]) {
    assert.equal(durationMs(bad), null, bad);
  }
  for (const bad of [
    -1,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    MAX_DURATION_MS + 1,
    null,
    undefined,
    {},
    [5],
  ]) {
    assert.equal(durationMs(bad), null, String(bad));
  }
  assert.equal(durationMs("600h"), null, "beyond a Node timer's range");
  assert.throws(() => parseDuration("soon" as "1s"), {
    name: "TypeError",
    message: /expected a duration .*"500ms".*got "soon"/,
  });
});
