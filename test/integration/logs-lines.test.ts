// What a real job can throw at the line framing: a 10 MB line with no newline, binary garbage and invalid
// UTF-8 on both streams, a final line without a newline; and the transforms on a real job: redact and JSON.

import assert from "node:assert/strict";
import { isUtf8 } from "node:buffer";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { JobLog } from "../../src/logs/job-log.js";
import type { LogsConfig } from "../../src/logs/line-format.js";
import { EMIT, kill, type PipeKind, readLogLines, startJob } from "../fixtures/logs-harness.js";

const LOGS: LogsConfig = { timestamps: false, format: "text", redact: [], maxLineBytes: 65536, merge: false };
const TIMEOUT_MS = 60_000;

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "god-logs-lines-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs logs-emit with these bytes on stdout (and stderr) through a JobLog; returns the log's path and pid. */
async function emit(
  t: { after: (fn: () => void) => void },
  logs: LogsConfig,
  out: Buffer,
  err: Buffer | null,
  kind: PipeKind = "pipes",
  chunk = 4096,
): Promise<{ path: string; pid: number; log: JobLog }> {
  const dir = tempDir(t);
  writeFileSync(join(dir, "out.bin"), out);
  const args = [join(dir, "out.bin")];
  if (err !== null) {
    writeFileSync(join(dir, "err.bin"), err);
    args.push(join(dir, "err.bin"));
  } else {
    args.push("");
  }
  args.push(String(chunk));
  const log = new JobLog({ job: "job", dir: join(dir, "logs"), logs });
  const job = await startJob(EMIT, args, kind);
  t.after(() => kill(job));
  await log.attach(job.pid, job.streams);
  assert.equal(await job.exited, 0);
  await log.close();
  return { path: log.path, pid: job.pid, log };
}

/** Messages of a text log without timestamps, per stream. */
function messages(lines: string[], pid: number): { out: string[]; err: string[] } {
  const result = { out: [] as string[], err: [] as string[] };
  for (const line of lines) {
    const head = `job[${pid}] `;
    assert.ok(line.startsWith(head), line.slice(0, 80));
    const stream = line.slice(head.length, head.length + 3) as "out" | "err";
    result[stream].push(line.slice(head.length + 5));
  }
  return result;
}

/** The lines a stream's bytes should give: split on "\n", a final partial line kept, each decoded. */
function expectedLines(data: Buffer): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, start)) {
    lines.push(data.toString("utf8", start, nl));
    start = nl + 1;
  }
  if (start < data.length) lines.push(data.toString("utf8", start));
  return lines;
}

function pseudoRandom(bytes: number, seed: number): Buffer {
  const data = Buffer.alloc(bytes);
  let x = seed;
  for (let i = 0; i < bytes; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    data[i] = x >>> 24;
  }
  return data;
}

test("a 10 MB line with no newline arrives split into maxLineBytes pieces, whole when joined", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const line = Buffer.alloc(10_000_000);
  for (let i = 0; i < line.length; i++) line[i] = 0x30 + ((i * 7) % 43);
  const { path, pid } = await emit(t, LOGS, line, null, "pipes", 1 << 20);
  const { out, err } = messages(readLogLines(path), pid);
  assert.equal(err.length, 0);
  assert.equal(out.length, Math.ceil(10_000_000 / 65536));
  for (const piece of out.slice(0, -1)) assert.equal(piece.length, 65536);
  assert.equal(out.join(""), line.toString("latin1"));
});

test("binary garbage and invalid UTF-8 on both streams: no crash, nothing lost, the file stays UTF-8", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const out = pseudoRandom(2_000_000, 1);
  const err = pseudoRandom(1_000_000, 2);
  for (const kind of ["pipes", "node"] as const) {
    const { path, pid } = await emit(t, LOGS, out, err, kind, 777);
    assert.ok(isUtf8(readFileSync(path)));
    const got = messages(readLogLines(path), pid);
    assert.deepEqual(got.out, expectedLines(out), kind);
    assert.deepEqual(got.err, expectedLines(err), kind);
  }
});

test("a final line with no newline is kept, on each stream", { timeout: TIMEOUT_MS }, async (t) => {
  const { path, pid } = await emit(t, LOGS, Buffer.from("one\ntwo"), Buffer.from("three"));
  assert.deepEqual(messages(readLogLines(path), pid), { out: ["one", "two"], err: ["three"] });
});

test("redact and JSON on a real job: secrets gone from the file and from recent()", {
  timeout: TIMEOUT_MS,
}, async (t) => {
  const logs: LogsConfig = {
    ...LOGS,
    timestamps: true,
    format: "json",
    redact: ["password=\\S+", "Bearer [A-Za-z0-9._-]+"],
  };
  const out = Buffer.from('login user=ann password=hunter2 ok\n"quoted" \\ back\tslash\n');
  const err = Buffer.from("Authorization: Bearer abc.def-123\nplain é\n");
  const { path, pid, log } = await emit(t, logs, out, err);
  const records = readLogLines(path).map((line) => JSON.parse(line) as Record<string, unknown>);
  const byStream = (stream: string) => records.filter((r) => r["stream"] === stream).map((r) => r["msg"]);
  assert.deepEqual(byStream("out"), ["login user=ann [redacted] ok", '"quoted" \\ back\tslash']);
  assert.deepEqual(byStream("err"), ["Authorization: [redacted]", "plain é"]);
  for (const record of records) {
    assert.deepEqual(Object.keys(record), ["t", "job", "pid", "stream", "msg"]);
    assert.equal(record["job"], "job");
    assert.equal(record["pid"], pid);
    assert.match(String(record["t"]), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  const text = readFileSync(path, "utf8");
  assert.ok(!text.includes("hunter2") && !text.includes("abc.def"));
  const recent = log.recent(10).map((r) => r.msg);
  assert.equal(recent.length, 4);
  assert.ok(recent.includes("login user=ann [redacted] ok"));
  assert.ok(!recent.some((m) => m.includes("hunter2")));
});
