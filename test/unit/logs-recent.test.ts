// `god logs` without a follower: the newest lines from memory, topped up from JOB.log and its rotated files
// (in either format), and merged in time order across jobs. Streams here are in-process; the real pipes and
// processes are in test/integration/logs-*.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { test } from "node:test";
import { JobLog } from "../../src/logs/job-log.js";
import type { LogsConfig } from "../../src/logs/line-format.js";
import { parseLogLine, readRecentRecords } from "../../src/logs/log-files.js";
import type { LogRecord } from "../../src/logs/log-record.js";
import { LogsService, mergeNewest } from "../../src/logs/logs-service.js";
import { RecentLines } from "../../src/logs/recent-lines.js";

const TEXT: LogsConfig = { timestamps: true, format: "text", redact: [], maxLineBytes: 65536, merge: false };
const JSON_LOGS: LogsConfig = { ...TEXT, format: "json" };
const T0 = Date.parse("2026-11-25T15:00:00.000Z");

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-logs-recent-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A clock the test moves by hand. */
function clock(): { now: () => number; tick: (ms?: number) => void } {
  let at = T0;
  return { now: () => at, tick: (ms = 1) => (at += ms) };
}

/** Writes the text to a stream attached to the log, and waits until the log has taken it. */
async function feed(log: JobLog, pid: number, text: string, stream: "out" | "err" = "out"): Promise<void> {
  const input = new PassThrough();
  const done = stream === "out" ? log.attach(pid, { out: input, err: null }) : attachErr(log, pid, input);
  input.end(text);
  await done;
}

function attachErr(log: JobLog, pid: number, input: PassThrough): Promise<void> {
  const out = new PassThrough();
  out.end();
  return log.attach(pid, { out, err: input });
}

function msgs(records: LogRecord[]): string[] {
  return records.map((r) => r.msg);
}

test("RecentLines keeps at least `capacity` lines in whole batches, and all not yet on disk", () => {
  const ring = new RecentLines(3);
  let seq = 0;
  const text = (lines: string[]) => Buffer.from(lines.map((l) => `P| ${l}\n`).join(""));
  const batch = (lines: string[]) => {
    seq += lines.length;
    return {
      data: text(lines),
      lines: lines.length,
      prefixBytes: 3,
      json: false,
      t: "T",
      pid: 1,
      instance: null,
      stream: "out" as const,
      endSeq: seq,
    };
  };
  ring.push(batch(["a", "b"]), 2);
  ring.push(batch(["c", "d"]), 2);
  assert.equal(ring.size, 4);
  ring.push(batch(["e", "f", "g"]), 2);
  // c, d are past the capacity but not on disk yet: kept.
  assert.equal(ring.size, 5);
  ring.trim(9);
  assert.equal(ring.size, 3);
  assert.deepEqual(msgs(ring.last(10, "j")), ["e", "f", "g"]);
  assert.deepEqual(msgs(ring.last(2, "j")), ["f", "g"]);
  seq += 1;
  ring.push(
    {
      data: Buffer.from('{"msg":"x \\"y\\""}\n'),
      lines: 1,
      prefixBytes: 7,
      json: true,
      t: "T",
      pid: 1,
      instance: null,
      stream: "err",
      endSeq: seq,
    },
    seq,
  );
  assert.deepEqual(ring.last(1, "j"), [{ t: "T", job: "j", pid: 1, stream: "err", msg: 'x "y"' }]);
});

test("file lines parse back into records, text or JSON, with or without time", () => {
  const fallback = "2000-01-01T00:00:00.000Z";
  assert.deepEqual(parseLogLine("2026-11-25T15:00:00.123Z backend[4242] err| a | b", "backend", fallback), {
    t: "2026-11-25T15:00:00.123Z",
    job: "backend",
    pid: 4242,
    stream: "err",
    msg: "a | b",
  });
  assert.deepEqual(parseLogLine("backend[7] out| x", "backend", fallback), {
    t: fallback,
    job: "backend",
    pid: 7,
    stream: "out",
    msg: "x",
  });
  assert.deepEqual(
    parseLogLine(
      '{"t":"2026-11-25T15:00:00.123Z","job":"backend","pid":1,"stream":"out","msg":"{"}',
      "backend",
      fallback,
    ),
    { t: "2026-11-25T15:00:00.123Z", job: "backend", pid: 1, stream: "out", msg: "{" },
  );
  assert.deepEqual(parseLogLine("2026-11-25T15:00:00.123Z web.v2.3[99] out| hi", "web.v2", fallback), {
    t: "2026-11-25T15:00:00.123Z",
    job: "web.v2",
    pid: 99,
    instance: 3,
    stream: "out",
    msg: "hi",
  });
  assert.deepEqual(
    parseLogLine('{"job":"web","pid":5,"instance":1,"stream":"out","msg":"m"}', "web", fallback).instance,
    1,
  );
  assert.deepEqual(parseLogLine("something else", "backend", fallback), {
    t: fallback,
    job: "backend",
    pid: 0,
    stream: "out",
    msg: "something else",
  });
});

test("readRecentRecords reads the last lines across JOB.log and its rotated files, skipping on request", (t) => {
  const dir = tempDir(t);
  const line = (i: number) => `2026-11-25T15:00:00.${String(i).padStart(3, "0")}Z web[1] out| ${i}\n`;
  const range = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => line(from + k)).join("");
  writeFileSync(join(dir, "web.log.2"), range(0, 10));
  writeFileSync(join(dir, "web.log.1"), range(10, 20));
  writeFileSync(join(dir, "web.log"), range(20, 25));
  assert.deepEqual(msgs(readRecentRecords(dir, "web", 3)), ["22", "23", "24"]);
  assert.deepEqual(msgs(readRecentRecords(dir, "web", 8)), ["17", "18", "19", "20", "21", "22", "23", "24"]);
  assert.deepEqual(msgs(readRecentRecords(dir, "web", 2, { skip: 5 })), ["18", "19"]);
  assert.equal(readRecentRecords(dir, "web", 100).length, 25);
  assert.deepEqual(readRecentRecords(dir, "nothing", 5), []);
  // A long file read block by block, with a final line that has no newline.
  writeFileSync(join(dir, "big.log"), `${"z".repeat(200_000)}\n${"q".repeat(70_000)}\nlast`);
  assert.deepEqual(
    readRecentRecords(dir, "big", 3).map((r) => r.msg.length),
    [200_000, 70_000, 4],
  );
});

test("JobLog.recent: memory first, then the files, with no line twice", async (t) => {
  const dir = tempDir(t);
  const { now, tick } = clock();
  // An earlier god wrote three lines.
  const earlier = new JobLog({ job: "api", dir, logs: TEXT, now });
  await feed(earlier, 1, "old 1\nold 2\nold 3\n");
  await earlier.close();
  tick();
  const log = new JobLog({
    job: "api",
    dir,
    logs: TEXT,
    ringLines: 2,
    now,
    rotate: { maxBytes: 200, keep: 9 },
  });
  await feed(log, 2, "new 1\nnew 2\nnew 3\nnew 4\n");
  assert.deepEqual(msgs(log.recent(2)), ["new 3", "new 4"]);
  // Written lines reach the disk asynchronously: wait for close, then everything is on disk.
  await log.close();
  assert.deepEqual(msgs(log.recent(5)), ["old 3", "new 1", "new 2", "new 3", "new 4"]);
  assert.deepEqual(msgs(log.recent(100)), ["old 1", "old 2", "old 3", "new 1", "new 2", "new 3", "new 4"]);
  assert.deepEqual(
    log.recent(5).map((r) => r.pid),
    [1, 2, 2, 2, 2],
  );
});

test("JobLog.recent while lines are still queued for the disk: no duplicate, no reordering", async (t) => {
  const dir = tempDir(t);
  const log = new JobLog({ job: "q", dir, logs: JSON_LOGS, ringLines: 5 });
  const lines = Array.from({ length: 50 }, (_, i) => `l${i}`);
  const input = new PassThrough();
  const done = log.attach(3, { out: input, err: null });
  for (const line of lines) input.write(`${line}\n`);
  input.end();
  await done;
  // Whatever has or has not been written yet, the answer is the 20 newest lines in order.
  assert.deepEqual(msgs(log.recent(20)), lines.slice(-20));
  await log.close();
  assert.deepEqual(msgs(log.recent(20)), lines.slice(-20));
});

test("LogsService.recent merges jobs in time order and keeps each job's own order", async (t) => {
  const dir = tempDir(t);
  const { now, tick } = clock();
  const service = new LogsService({ dir, now });
  t.after(() => service.closeAll());
  const web = service.jobLog("web", TEXT);
  const db = service.jobLog("db", JSON_LOGS);
  await feed(web, 10, "web a\n");
  tick();
  await feed(db, 20, "db a\ndb b\n");
  tick();
  await feed(web, 10, "web b\n", "err");
  tick();
  await feed(db, 20, "db c\n");
  assert.deepEqual(msgs(service.recent([], 10)), ["web a", "db a", "db b", "web b", "db c"]);
  assert.deepEqual(msgs(service.recent([], 3)), ["db b", "web b", "db c"]);
  assert.deepEqual(msgs(service.recent(["web"], 10)), ["web a", "web b"]);
  assert.deepEqual(
    service.recent(["web"], 10).map((r) => r.stream),
    ["out", "err"],
  );
  assert.deepEqual(service.recent([], 0), []);
  // A job with files but no log in this god (an earlier run) is read from its files; a bad name is nothing.
  writeFileSync(join(dir, "gone.log"), "2026-11-25T14:00:00.000Z gone[5] out| from before\n");
  assert.deepEqual(msgs(service.recent(["gone", "web"], 10)), ["from before", "web a", "web b"]);
  assert.deepEqual(service.recent(["../etc/passwd"], 10), []);
});

test("mergeNewest keeps each list's order even when its times go backwards", () => {
  const r = (job: string, t: string): LogRecord => ({ t, job, pid: 1, stream: "out", msg: `${job}${t}` });
  const a = [r("a", "3"), r("a", "1"), r("a", "5")];
  const b = [r("b", "2"), r("b", "4")];
  const merged = mergeNewest([a, b], 10).map((x) => x.msg);
  assert.deepEqual(
    merged.filter((m) => m.startsWith("a")),
    ["a3", "a1", "a5"],
  );
  assert.deepEqual(
    merged.filter((m) => m.startsWith("b")),
    ["b2", "b4"],
  );
  assert.equal(merged.length, 5);
  assert.deepEqual(
    mergeNewest([a, b], 2).map((x) => x.msg),
    ["b4", "a5"],
  );
});

test("follow: every new line of the followed jobs, until unsubscribed; a lagging follower is dropped", async (t) => {
  const dir = tempDir(t);
  const service = new LogsService({ dir, followerMaxBytes: 100 });
  t.after(() => service.closeAll());
  const web = service.jobLog("web", TEXT);
  const db = service.jobLog("db", TEXT);
  const got: string[] = [];
  const stop = service.follow(["web"], {
    send: (record) => got.push(`${record.job}:${record.msg}`),
    bufferedBytes: () => 0,
    close: () => assert.fail("not dropped"),
  });
  await feed(web, 1, "one\ntwo\n");
  await feed(db, 2, "not followed\n");
  stop();
  await feed(web, 1, "after\n");
  assert.deepEqual(got, ["web:one", "web:two"]);

  // A follower of every job that never reads: dropped once 100 bytes are waiting, with a reason.
  let buffered = 0;
  let reason: string | null = null;
  service.follow([], {
    send: (record) => {
      buffered += record.msg.length;
    },
    bufferedBytes: () => buffered,
    close: (why) => {
      reason = why;
    },
  });
  const later = service.jobLog("later", TEXT);
  await feed(later, 3, `${"x".repeat(60)}\n`.repeat(5));
  assert.match(String(reason), /fell behind/);
  assert.equal(buffered, 120);
  // The job itself lost nothing.
  assert.equal(later.recent(10).length, 5);
});

test("setConfig applies to the lines read after it", async (t) => {
  const dir = tempDir(t);
  const service = new LogsService({ dir });
  t.after(() => service.closeAll());
  const log = service.jobLog("cfg", TEXT);
  await feed(log, 1, "token=abc\n");
  assert.equal(service.jobLog("cfg", { ...TEXT, redact: ["token=\\w+"] }), log);
  await feed(log, 1, "token=abc\n");
  assert.deepEqual(msgs(log.recent(2)), ["token=abc", "[redacted]"]);
});
