// The pipes god gives an instance: a real pipe read as an ordinary Readable by anyone else, EOF once the child
// and god's write end are closed, and the socketpair fallback where mkfifo is missing (this file's process only:
// the fallback is remembered).

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { JobLog } from "../../src/logs/job-log.js";
import type { LogsConfig } from "../../src/logs/line-format.js";
import { createPipe, createPipes, PipeReadable } from "../../src/logs/output-pipe.js";
import { FLOOD, floodProblem, kill, readLogLines, startJob } from "../fixtures/logs-harness.js";

const LOGS: LogsConfig = { timestamps: true, format: "text", redact: [], maxLineBytes: 65536, merge: false };
const TIMEOUT_MS = 60_000;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-logs-pipes-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("a pipe is an ordinary Readable too, and ends when the child and god's write end are closed", {
  timeout: TIMEOUT_MS,
}, async () => {
  const pipe = await createPipe();
  assert.ok(pipe.readable instanceof PipeReadable);
  const child = spawn(process.execPath, ["-e", "require('fs').writeSync(1, 'a'.repeat(200000) + '\\nend')"], {
    stdio: ["ignore", pipe.writeFd, "inherit"],
  });
  pipe.closeWriteEnd();
  pipe.closeWriteEnd();
  const chunks: Buffer[] = [];
  pipe.readable.on("data", (chunk: Buffer) => chunks.push(chunk));
  await new Promise((resolve) => pipe.readable.once("end", resolve));
  await new Promise((resolve) => child.once("exit", resolve));
  const text = Buffer.concat(chunks).toString();
  assert.equal(text, "a".repeat(200000) + "\nend");
});

test("without mkfifo, a socketpair takes its place and loses nothing", { timeout: TIMEOUT_MS }, async (t) => {
  const path = process.env["PATH"];
  process.env["PATH"] = "";
  let pipes: Awaited<ReturnType<typeof createPipes>>;
  try {
    pipes = await createPipes(2);
  } finally {
    process.env["PATH"] = path;
  }
  assert.equal(pipes[0]!.readable instanceof PipeReadable, false);
  for (const pipe of pipes) pipe.closeWriteEnd();
  // From now on this process uses the fallback: a flood through it, both streams, then merged.
  const dir = tempDir(t);
  for (const kind of ["pipes", "merged"] as const) {
    const log = new JobLog({ job: kind, dir, logs: LOGS });
    const job = await startJob(FLOOD, ["100000", "both"], kind);
    t.after(() => kill(job));
    await log.attach(job.pid, job.streams);
    assert.equal(await job.exited, 0);
    await log.close();
    assert.equal(floodProblem(readLogLines(log.path), 100_000, kind, job.pid, kind === "merged"), null);
  }
});
