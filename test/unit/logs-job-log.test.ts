// JobLog's life cycle with in-process streams: close() while a stream is still open, a stream that errors, one
// already ended, string chunks, and the merge labelling (err null: every line "out").

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { JobLog } from "../../src/logs/job-log.js";
import type { LogsConfig } from "../../src/logs/line-format.js";
import { createPipe } from "../../src/logs/output-pipe.js";

const LOGS: LogsConfig = { timestamps: false, format: "text", redact: [], maxLineBytes: 65536, merge: false };

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-logs-joblog-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("close() with a stream still open: what was read is written, the unfinished line too", async (t) => {
  const dir = tempDir(t);
  const log = new JobLog({ job: "j", dir, logs: LOGS });
  const out = new PassThrough();
  const attached = log.attach(9, { out, err: null });
  out.write("whole\nhalf a li");
  await new Promise((resolve) => setImmediate(resolve));
  await log.close();
  await attached;
  assert.equal(readFileSync(log.path, "utf8"), "j[9] out| whole\nj[9] out| half a li\n");
  // Lines after the close go nowhere, and nothing throws.
  out.end("late\n");
  await log.close();
});

test("close() with a real pipe still holding the job's last lines: they are written and the pipe is closed", async (t) => {
  const dir = tempDir(t);
  const log = new JobLog({ job: "j", dir, logs: LOGS });
  const pipe = await createPipe(dir);
  const attached = log.attach(7, { out: pipe.readable, err: null });
  // Written and closed in this same tick: god has read none of it when the log closes (a removed job).
  writeSync(pipe.writeFd, "first\nlast words\nno newline");
  pipe.closeWriteEnd();
  await log.close();
  await attached;
  assert.equal(
    readFileSync(log.path, "utf8"),
    "j[7] out| first\nj[7] out| last words\nj[7] out| no newline\n",
  );
  assert.ok(pipe.readable.destroyed, "the read end is closed: nobody else would ever close it");
});

test("a pipe attached after the close (a job removed while it was spawned) is closed, not left open", async (t) => {
  const dir = tempDir(t);
  const log = new JobLog({ job: "j", dir, logs: LOGS });
  await log.close();
  const pipe = await createPipe(dir);
  pipe.closeWriteEnd();
  await log.attach(3, { out: pipe.readable, err: null });
  assert.ok(pipe.readable.destroyed);
});

test("a stream that errors ends its attach with the lines read so far", async (t) => {
  const dir = tempDir(t);
  const log = new JobLog({ job: "j", dir, logs: LOGS });
  const out = new PassThrough();
  const err = new PassThrough();
  const attached = log.attach(1, { out, err });
  out.write("before\n");
  await new Promise((resolve) => setImmediate(resolve));
  out.destroy(new Error("EIO"));
  err.end("e\n");
  await attached;
  await log.close();
  assert.equal(readFileSync(log.path, "utf8"), "j[1] out| before\nj[1] err| e\n");
});

test("a stream that has ended already resolves at once; string chunks are lines too", async (t) => {
  const dir = tempDir(t);
  const log = new JobLog({ job: "j", dir, logs: LOGS });
  const done = new PassThrough();
  done.resume();
  done.end();
  await new Promise((resolve) => done.once("end", resolve));
  await log.attach(1, { out: done, err: null });
  const text = new PassThrough();
  text.setEncoding("utf8");
  const attached = log.attach(2, { out: text, err: null });
  text.end("é\nü");
  await attached;
  await log.close();
  assert.equal(readFileSync(log.path, "utf8"), "j[2] out| é\nj[2] out| ü\n");
});

test("a job writing a line at a time does not pin a pooled 4 KiB buffer per line in its recent lines", async (t) => {
  const dir = tempDir(t);
  const log = new JobLog({ job: "j", dir, logs: LOGS });
  const out = new PassThrough();
  const attached = log.attach(1, { out, err: null });
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  const before = process.memoryUsage().arrayBuffers;
  // 2000 batches of one line each: the recent lines keep the newest 1000 of them.
  for (let i = 0; i < 2000; i++) {
    out.write(`line ${i} ${"x".repeat(60)}\n`);
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc();
  const grewKiB = (process.memoryUsage().arrayBuffers - before) / 1024;
  // 1000 lines of ~80 bytes: well under 1 MiB; with a 4 KiB buffer each it was 4 MiB.
  assert.ok(grewKiB < 1024, `the recent lines hold ${grewKiB.toFixed(0)} KiB of buffers`);
  out.end();
  await attached;
  await log.close();
});
