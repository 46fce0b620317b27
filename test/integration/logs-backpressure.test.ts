// Backpressure, not loss: when the file is slower than the job, god stops reading that job's pipe, the job
// blocks on its full pipe, god's queue stays bounded, other jobs are not slowed, and once the file catches up
// every line arrives. A follower that stops reading is dropped without slowing the job.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { JobLog } from "../../src/logs/job-log.js";
import type { LogsConfig } from "../../src/logs/line-format.js";
import { LogsService } from "../../src/logs/logs-service.js";
import type { LogSink } from "../../src/logs/rotating-file.js";
import { FLOOD, floodProblem, kill, readLogLines, startJob } from "../fixtures/logs-harness.js";

const LOGS: LogsConfig = { timestamps: true, format: "text", redact: [], maxLineBytes: 65536, merge: false };
const TIMEOUT_MS = 120_000;
const HIGH_WATER = 256 * 1024;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-logs-bp-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A disk that takes nothing until released: writes queue up, and say false past the high-water mark. */
class StalledSink implements LogSink {
  readonly received: Buffer[] = [];
  receivedBytes = 0;
  completedLines = 0;
  completedSize = 0;
  private pendingBytes = 0;
  private stalled = true;
  private readonly drains: Array<() => void> = [];
  private firstRefusal: (() => void) | null = null;
  /** Resolves at the first write that says false. */
  readonly refused = new Promise<void>((resolve) => {
    this.firstRefusal = resolve;
  });

  write(data: Buffer, lines: number): boolean {
    this.received.push(data);
    this.receivedBytes += data.length;
    if (!this.stalled) {
      this.completedLines += lines;
      return true;
    }
    this.pendingBytes += data.length;
    if (this.pendingBytes < HIGH_WATER) return true;
    this.firstRefusal?.();
    this.firstRefusal = null;
    return false;
  }
  onDrain(fn: () => void): void {
    this.drains.push(fn);
  }
  release(): void {
    this.stalled = false;
    this.pendingBytes = 0;
    for (const fn of this.drains) fn();
  }
  reopen(): void {}
  async close(): Promise<void> {}
}

/** Waits until the process sleeps in a pipe write: blocked on its full stdout or stderr. */
async function blockedOnPipe(pid: number): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    let wchan = "";
    try {
      wchan = readFileSync(`/proc/${pid}/wchan`, "utf8");
    } catch {
      return false;
    }
    if (/pipe/.test(wchan)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

test("a stalled file stops the reading: the job blocks, god's queue stays bounded, others run", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const dir = tempDir(t);
  const sink = new StalledSink();
  const slow = new JobLog({ job: "flood", dir, logs: LOGS, sink });
  const count = 1_000_000;
  const job = await startJob(FLOOD, [String(count), "both"], "pipes");
  t.after(() => kill(job));
  const done = slow.attach(job.pid, job.streams);
  let finished = false;
  void done.then(() => {
    finished = true;
  });

  await sink.refused;
  if (process.platform === "linux")
    assert.ok(await blockedOnPipe(job.pid), "the job never blocked on its pipe");
  // Everything god holds for this job: what the sink got (one batch per stream past the mark at most).
  const held = sink.receivedBytes;
  assert.ok(held < HIGH_WATER + 2 * 512 * 1024, `god took ${held} bytes from a stalled job`);
  assert.equal(finished, false);
  assert.equal(job.child.exitCode, null);

  // Another job meanwhile runs at its own pace and finishes.
  const other = new JobLog({ job: "other", dir, logs: LOGS });
  const otherJob = await startJob(FLOOD, ["50000", "both"], "pipes");
  t.after(() => kill(otherJob));
  await other.attach(otherJob.pid, otherJob.streams);
  assert.equal(await otherJob.exited, 0);
  await other.close();
  assert.equal(floodProblem(readLogLines(other.path), 50_000, "other", otherJob.pid, false), null);
  assert.equal(sink.receivedBytes, held, "the stalled job's pipe was read while the file was stalled");

  // The disk catches up: the job resumes and every line arrives, in order per stream.
  sink.release();
  await done;
  assert.equal(await job.exited, 0);
  const text = Buffer.concat(sink.received).toString("utf8");
  const lines = text.split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(floodProblem(lines, count, "flood", job.pid, false), null);
});

test("a follower that stops reading is dropped; the job and its file lose nothing", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const dir = tempDir(t);
  const service = new LogsService({ dir: join(dir, "logs"), followerMaxBytes: 1024 * 1024 });
  t.after(() => service.closeAll());

  // A real connection whose reader never reads: the kernel buffers fill, then Node's write buffer grows.
  const server = createServer();
  const path = join(dir, "follow.sock");
  await new Promise<void>((resolve) => server.listen(path, resolve));
  t.after(() => server.close());
  const accepted = new Promise<Socket>((resolve) => server.once("connection", resolve));
  const reader = createConnection(path);
  reader.pause();
  t.after(() => reader.destroy());
  const socket = await accepted;
  socket.on("error", () => {});
  let dropped: string | null = null;
  let sent = 0;
  service.follow([], {
    send: (record) => {
      sent++;
      socket.write(JSON.stringify({ jsonrpc: "2.0", method: "log", params: record }) + "\n");
    },
    bufferedBytes: () => socket.writableLength,
    close: (reason) => {
      dropped = reason;
      socket.destroy();
    },
  });

  const count = 400_000;
  const log = service.jobLog("flood", LOGS);
  const job = await startJob(FLOOD, [String(count), "both"], "pipes");
  t.after(() => kill(job));
  await log.attach(job.pid, job.streams);
  assert.equal(await job.exited, 0);
  assert.match(String(dropped), /fell behind/);
  assert.ok(sent < count, `the follower got all ${sent} lines`);
  await service.closeAll();
  assert.equal(floodProblem(readLogLines(log.path), count, "flood", job.pid, false), null);
});
