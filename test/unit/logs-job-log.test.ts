// JobLog's life cycle with in-process streams: close() while a stream is still open, a stream that errors, one
// already ended, string chunks, and the merge labelling (err null: every line "out").

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { JobLog } from "../../src/logs/job-log.js";
import type { LogsConfig } from "../../src/logs/line-format.js";

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
