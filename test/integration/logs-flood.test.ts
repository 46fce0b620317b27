// A million numbered lines at full speed from a real child, a write(2) a line, stdout and stderr interleaved:
// every line exactly once and in order per stream, also across many rotations in the middle of the flood; with
// logs.merge, the exact order of both streams. Through god's pipes and through Node's stdio "pipe".

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { JobLog } from "../../src/logs/job-log.js";
import type { LogsConfig } from "../../src/logs/line-format.js";
import {
  FLOOD,
  floodProblem,
  kill,
  logFiles,
  type PipeKind,
  readLogLines,
  startJob,
} from "../fixtures/logs-harness.js";

const LOGS: LogsConfig = { timestamps: true, format: "text", redact: [], maxLineBytes: 65536, merge: false };
const TIMEOUT_MS = 120_000;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-logs-flood-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function flood(
  t: { after: (fn: () => void) => void },
  count: number,
  kind: PipeKind,
  rotate?: { maxBytes: number; keep: number },
): Promise<{ lines: string[]; pid: number; files: number }> {
  const dir = tempDir(t);
  const log = new JobLog({
    job: "flood",
    dir,
    logs: { ...LOGS, merge: kind === "merged" },
    ...(rotate ? { rotate } : {}),
  });
  const job = await startJob(FLOOD, [String(count), "both"], kind);
  t.after(() => kill(job));
  await log.attach(job.pid, job.streams);
  assert.equal(await job.exited, 0);
  await log.close();
  return { lines: readLogLines(log.path), pid: job.pid, files: logFiles(log.path).length };
}

test("1,000,000 lines, stdout and stderr interleaved: every line once, in order per stream", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const { lines, pid } = await flood(t, 1_000_000, "pipes");
  assert.equal(floodProblem(lines, 1_000_000, "flood", pid, false), null);
});

test("1,000,000 lines with a rotation every MiB: nothing lost, nothing torn", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const { lines, pid, files } = await flood(t, 1_000_000, "pipes", { maxBytes: 1024 * 1024, keep: 200 });
  assert.ok(files > 40, `only ${files} files`);
  assert.equal(floodProblem(lines, 1_000_000, "flood", pid, false), null);
});

test("merge: one pipe keeps the exact order of stdout and stderr", { timeout: TIMEOUT_MS }, async (t) => {
  const { lines, pid } = await flood(t, 300_000, "merged");
  assert.equal(floodProblem(lines, 300_000, "flood", pid, true), null);
});

test("Node's stdio pipes (any Readable) lose nothing either", { timeout: TIMEOUT_MS }, async (t) => {
  const { lines, pid } = await flood(t, 200_000, "node");
  assert.equal(floodProblem(lines, 200_000, "flood", pid, false), null);
});

test("the flood check itself catches a lost, repeated or swapped line", () => {
  const line = (stream: string, n: number) => `2026-11-25T15:00:00.123Z flood[7] ${stream}| ${stream} ${n}`;
  const good = [line("out", 0), line("err", 1), line("out", 2), line("err", 3)];
  assert.equal(floodProblem(good, 4, "flood", 7, false), null);
  assert.match(
    String(floodProblem([good[0]!, good[1]!, good[3]!], 4, "flood", 7, false)),
    /3 lines|expected/,
  );
  assert.notEqual(floodProblem([good[0]!, good[0]!, good[1]!, good[3]!], 4, "flood", 7, false), null);
  assert.notEqual(floodProblem([good[2]!, good[1]!, good[0]!, good[3]!], 4, "flood", 7, false), null);
  assert.notEqual(floodProblem(good, 4, "flood", 7, true), null);
});
