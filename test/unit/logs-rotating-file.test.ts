// The job's log file: rotation by size at line boundaries (JOB.log.1 newest .. JOB.log.keep), nothing lost or
// torn across rotations, keep 0, reopen after an external move, the high-water mark and its drain, and a file
// that cannot be written (held back, then dropped and counted, then resumed).

import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { RotatingFile } from "../../src/logs/rotating-file.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-logs-file-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function lines(from: number, count: number, width: number): Buffer {
  let text = "";
  for (let i = from; i < from + count; i++) text += `line ${i} `.padEnd(width - 1, "x") + "\n";
  return Buffer.from(text);
}

function read(path: string): string {
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

test("rotates by size at line boundaries: no line lost, torn or duplicated", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  const file = new RotatingFile(path, { rotate: { maxBytes: 1000, keep: 100 } });
  // 600 lines of 32 bytes in batches of varying size: many batches straddle a rotation.
  let next = 0;
  for (const count of [1, 7, 50, 3, 31, 100, 2, 200, 6, 200]) {
    file.write(lines(next, count, 32), count);
    next += count;
  }
  await file.close();
  const files = [path];
  for (let i = 1; existsSync(`${path}.${i}`); i++) files.push(`${path}.${i}`);
  const all: string[] = [];
  for (const f of files.reverse()) {
    const text = read(f);
    assert.ok(text.length <= 1000, `${f} has ${text.length} bytes`);
    assert.ok(text === "" || text.endsWith("\n"), `${f} ends inside a line`);
    all.push(...text.split("\n").filter((l) => l !== ""));
  }
  assert.equal(all.length, next);
  for (const [i, line] of all.entries()) assert.ok(line.startsWith(`line ${i} `), `line ${i} is "${line}"`);
  // 1000-byte files hold 31 lines of 32 bytes.
  assert.equal(files.length, Math.ceil(next / 31));
});

test("keeps only `keep` rotated files, the newest as .1", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  const file = new RotatingFile(path, { rotate: { maxBytes: 64, keep: 2 } });
  for (let i = 0; i < 5; i++) file.write(Buffer.from(`batch ${i} `.padEnd(63, ".") + "\n"), 1);
  await file.close();
  assert.match(read(path), /^batch 4 /);
  assert.match(read(`${path}.1`), /^batch 3 /);
  assert.match(read(`${path}.2`), /^batch 2 /);
  assert.equal(existsSync(`${path}.3`), false);
});

test("keep 0 keeps no rotated file", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  const file = new RotatingFile(path, { rotate: { maxBytes: 64, keep: 0 } });
  for (let i = 0; i < 3; i++) file.write(Buffer.from(`batch ${i} `.padEnd(63, ".") + "\n"), 1);
  await file.close();
  assert.match(read(path), /^batch 2 /);
  assert.equal(existsSync(`${path}.1`), false);
});

test("a line longer than a whole file is written whole, alone", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  const file = new RotatingFile(path, { rotate: { maxBytes: 100, keep: 5 } });
  file.write(Buffer.from("short\n"), 1);
  file.write(Buffer.from("y".repeat(250) + "\n"), 1);
  file.write(Buffer.from("after\n"), 1);
  await file.close();
  assert.equal(read(`${path}.2`), "short\n");
  assert.equal(read(`${path}.1`), "y".repeat(250) + "\n");
  assert.equal(read(path), "after\n");
});

test("an existing file counts towards the size; appends go after it", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  const first = new RotatingFile(path, { rotate: { maxBytes: 100, keep: 5 } });
  first.write(Buffer.from("a".repeat(79) + "\n"), 1);
  await first.close();
  const second = new RotatingFile(path, { rotate: { maxBytes: 100, keep: 5 } });
  second.write(Buffer.from("b".repeat(39) + "\n"), 1);
  await second.close();
  assert.equal(read(`${path}.1`), "a".repeat(79) + "\n");
  assert.equal(read(path), "b".repeat(39) + "\n");
});

test("reopen: after an external logrotate moved the file, lines go to a new file at the path", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  const file = new RotatingFile(path);
  file.write(Buffer.from("before\n"), 1);
  // Wait for the write: a rename while it is in flight would still be safe, but this test wants a clean split.
  while (file.completedLines < 1) await new Promise((resolve) => setImmediate(resolve));
  renameSync(path, `${path}.rotated`);
  file.reopen();
  file.write(Buffer.from("after\n"), 1);
  await file.close();
  assert.equal(read(`${path}.rotated`), "before\n");
  assert.equal(read(path), "after\n");
});

test("a healthy file is written at once: what write() was given is on disk when it returns", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  const file = new RotatingFile(path, { highWaterBytes: 1024 });
  assert.equal(file.write(Buffer.from("a\n".repeat(256)), 256), true);
  assert.equal(file.write(Buffer.from("b\n".repeat(300)), 300), true, "no queue, so no high-water mark");
  // No await: a god killed now has lost nothing it was given.
  assert.equal(readFileSync(path, "utf8").length, 1112);
  assert.equal(file.completedLines, 556);
  assert.equal(file.pending, 0);
});

test("past the high-water mark write() says false, and the drain comes once the queue is gone", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  // A failing file queues its writes (/dev/full: ENOSPC); they are dropped after holdMs, which drains.
  symlinkSync("/dev/full", path);
  const file = new RotatingFile(path, { highWaterBytes: 1024, holdMs: 100, retryMs: 20 });
  let drains = 0;
  const drained = new Promise<void>((resolve) =>
    file.onDrain(() => {
      drains++;
      resolve();
    }),
  );
  assert.equal(file.write(Buffer.alloc(512, 0x61), 0), true);
  assert.equal(file.write(Buffer.alloc(600, 0x62), 0), false);
  assert.ok(file.pending >= 1024);
  await drained;
  assert.equal(drains, 1);
  assert.ok(file.pending < 1024);
  await file.close();
});

test("a file that cannot be written holds its writer back for holdMs, then drops and counts, then resumes", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "job.log");
  // /dev/full fails every write with ENOSPC: a full disk without root.
  symlinkSync("/dev/full", path);
  const dropped: number[] = [];
  const errors: string[] = [];
  let resumed = 0;
  let onDrop: () => void = () => {};
  let onResume: () => void = () => {};
  const file = new RotatingFile(path, {
    holdMs: 150,
    retryMs: 20,
    highWaterBytes: 100,
    onError: (error) => errors.push((error as NodeJS.ErrnoException).code ?? error.message),
    onDropped: (lines) => {
      dropped.push(lines);
      onDrop();
    },
    onResumed: () => {
      resumed++;
      onResume();
    },
  });
  const next = <T>(set: (fn: () => void) => void, value: () => T) =>
    new Promise<T>((resolve) => set(() => resolve(value())));
  const heldThenDropped = next(
    (fn) => (onDrop = fn),
    () => Date.now(),
  );
  const drained = new Promise<void>((resolve) => file.onDrain(resolve));
  const startedMs = Date.now();
  assert.equal(file.write(lines(0, 2, 32), 2), true);
  // Past the high-water mark: the writer waits (nothing lost yet), as it would on a slow disk.
  assert.equal(file.write(lines(2, 4, 32), 4), false);
  const droppedAtMs = await heldThenDropped;
  assert.ok(droppedAtMs - startedMs >= 150, `dropped after ${droppedAtMs - startedMs} ms, before holdMs`);
  await drained;
  assert.deepEqual(errors, ["ENOSPC"], "the failure is reported once for the spell");
  // Dropping now: each new batch is tried once and counted at once if it fails.
  const droppedAgain = next(
    (fn) => (onDrop = fn),
    () => dropped.length,
  );
  assert.equal(file.write(lines(6, 3, 32), 3), true);
  await droppedAgain;
  assert.equal(
    dropped.reduce((a, b) => a + b, 0),
    9,
  );
  // Space returns (here: the path is a real file again): the next batch is written and the spell ends.
  rmSync(path);
  writeFileSync(path, "");
  file.reopen();
  const back = next(
    (fn) => (onResume = fn),
    () => resumed,
  );
  file.write(lines(9, 2, 32), 2);
  assert.equal(await back, 1);
  assert.equal(file.completedLines, 11, "dropped lines count as done: memory does not keep them");
  await file.close();
  assert.equal(read(path), lines(9, 2, 32).toString());
});

test("a removed directory: reported once, not at every retry; the file comes back when the directory does", async (t) => {
  const dir = tempDir(t);
  const logs = join(dir, "logs");
  mkdirSync(logs);
  const path = join(logs, "job.log");
  const errors: string[] = [];
  let dropped = 0;
  let onDrop: () => void = () => {};
  let onResume: () => void = () => {};
  const file = new RotatingFile(path, {
    holdMs: 100,
    retryMs: 10,
    onError: (error) => errors.push((error as NodeJS.ErrnoException).code ?? error.message),
    onDropped: (lines) => {
      dropped += lines;
      onDrop();
    },
    onResumed: () => onResume(),
  });
  rmSync(logs, { recursive: true });
  file.reopen();
  const gone = new Promise<void>((resolve) => {
    onDrop = resolve;
  });
  file.write(lines(0, 3, 32), 3);
  await gone;
  assert.equal(dropped, 3);
  assert.deepEqual(errors, ["ENOENT"], "reported once for the spell");
  mkdirSync(logs);
  file.reopen();
  const back = new Promise<void>((resolve) => {
    onResume = resolve;
  });
  file.write(lines(3, 1, 32), 1);
  await back;
  await file.close();
  assert.equal(read(path), lines(3, 1, 32).toString());
});
