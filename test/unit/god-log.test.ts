// god's own log: rotated by size like a job's log (no line torn or lost), a budget of lines a minute per loader
// with the rest counted and reported, and long messages cut.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { GodLog, MAX_MSG_CHARS } from "../../src/logs/god-log.js";
import { LineBudget } from "../../src/logs/line-budget.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-godlog-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

type Line = { level: number; msg: string; loader?: string; dropped?: number; n?: number };

function readLines(path: string): Line[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Line);
}

test("god.log is rotated by size: files within the size, only `keep` of them, every line whole", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "god.log");
  const log = new GodLog({ file: path, fd: null, rotate: { maxBytes: 2000, keep: 2 } });
  for (let n = 0; n < 200; n++) log.info(`line ${n}`, { n });
  log.close();
  assert.ok(existsSync(`${path}.1`) && existsSync(`${path}.2`));
  assert.ok(!existsSync(`${path}.3`), "only 2 rotated files are kept");
  const kept: number[] = [];
  for (const file of [`${path}.2`, `${path}.1`, path]) {
    assert.ok(readFileSync(file).length <= 2000, `${file} is within its size`);
    kept.push(...readLines(file).map((l) => l.n!));
  }
  // The newest lines, in order, none missing between the first kept and the last.
  assert.equal(kept.at(-1), 199);
  assert.deepEqual(
    kept,
    Array.from({ length: kept.length }, (_, i) => 200 - kept.length + i),
  );
});

test("lines about one loader: the first 100 a minute, then one note, then the count when the minute ends", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "god.log");
  let now = 1_000_000;
  const log = new GodLog({ file: path, fd: null, now: () => now });
  for (let i = 0; i < 150; i++) log.info(`stderr ${i}`, { loader: "/l/noisy", stream: "stderr" });
  for (let i = 0; i < 10; i++) log.warn(`quiet ${i}`, { loader: "/l/quiet" });
  for (let i = 0; i < 5; i++) log.info(`god ${i}`);
  now += 60_000;
  log.info("after a minute", { loader: "/l/noisy" });
  log.close();
  const lines = readLines(path);
  const noisy = lines.filter((l) => l.loader === "/l/noisy");
  assert.equal(noisy.filter((l) => l.msg.startsWith("stderr ")).length, 100);
  assert.deepEqual(
    noisy.filter((l) => !l.msg.startsWith("stderr ")).map((l) => l.msg),
    [
      "loader /l/noisy has had more than 100 lines in this log this minute; the rest of the minute's are counted, not logged (see its own output)",
      "50 line(s) about loader /l/noisy were left out of this log in the last minute",
      "after a minute",
    ],
  );
  assert.equal(lines.filter((l) => l.loader === "/l/quiet").length, 10);
  assert.equal(lines.filter((l) => l.msg.startsWith("god ")).length, 5);
});

test("a message longer than MAX_MSG_CHARS is cut, saying how long it was", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "god.log");
  const log = new GodLog({ file: path, fd: null });
  log.info("y".repeat(70_000));
  log.close();
  const [line] = readLines(path);
  assert.equal(line!.msg, `${"y".repeat(MAX_MSG_CHARS)}... (70000 characters)`);
});

test("LineBudget reports the count when the window ends, even if the source fell silent", async () => {
  const reports: Array<[string, number, boolean]> = [];
  let done: () => void = () => {};
  const final = new Promise<void>((resolve) => {
    done = resolve;
  });
  const budget = new LineBudget({
    perWindow: 3,
    windowMs: 50,
    report: (key, dropped, isFinal) => {
      reports.push([key, dropped, isFinal]);
      if (isFinal) done();
    },
  });
  const taken = Array.from({ length: 10 }, () => budget.take("a"));
  assert.deepEqual(taken, [true, true, true, false, false, false, false, false, false, false]);
  // The budget's timer does not hold god's loop open; this one holds the test's until the report.
  const hold = setTimeout(() => {}, 10_000);
  await final;
  clearTimeout(hold);
  assert.deepEqual(reports, [
    ["a", 1, false],
    ["a", 7, true],
  ]);
  // A new window: the budget is whole again.
  assert.equal(budget.take("a"), true);
  budget.close();
});
