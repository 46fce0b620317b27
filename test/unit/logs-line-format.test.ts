// The file format of a job's lines (SPEC 7): text and JSON, with and without timestamps, redaction, U+FFFD for
// invalid bytes; the byte-level JSON escaping agrees with JSON.stringify for every character class.

import assert from "node:assert/strict";
import { test } from "node:test";
import { LineFormat, LineHead, type LogsConfig } from "../../src/logs/line-format.js";
import { LineBatch, LineSplitter } from "../../src/logs/line-splitter.js";

const BASE: LogsConfig = { timestamps: true, format: "text", redact: [], maxLineBytes: 65536, merge: false };
const AT = Date.parse("2026-11-25T15:00:00.123Z");

function encode(logs: Partial<LogsConfig>, input: Buffer | string, msgs: string[] | null = null): string {
  const format = new LineFormat("backend", { ...BASE, ...logs });
  const head = new LineHead(4242, "out");
  head.update(format, AT);
  const batch = new LineBatch();
  const splitter = new LineSplitter(65536);
  splitter.push(typeof input === "string" ? Buffer.from(input) : input, batch);
  splitter.end(batch);
  return format.encode(batch, head, msgs).toString("utf8");
}

test("text: TIME JOB[PID] STREAM| msg, one line each", () => {
  assert.equal(
    encode({}, "the line\nsecond\n"),
    "2026-11-25T15:00:00.123Z backend[4242] out| the line\n2026-11-25T15:00:00.123Z backend[4242] out| second\n",
  );
  assert.equal(encode({ timestamps: false }, "x"), "backend[4242] out| x\n");
});

test("json: one object a line with t, job, pid, stream, msg; t left out without timestamps", () => {
  const out = encode({ format: "json" }, 'say "hi"\\\n');
  assert.equal(
    out,
    '{"t":"2026-11-25T15:00:00.123Z","job":"backend","pid":4242,"stream":"out","msg":"say \\"hi\\"\\\\"}\n',
  );
  assert.deepEqual(JSON.parse(out), {
    t: "2026-11-25T15:00:00.123Z",
    job: "backend",
    pid: 4242,
    stream: "out",
    msg: 'say "hi"\\',
  });
  assert.deepEqual(JSON.parse(encode({ format: "json", timestamps: false }, "x")), {
    job: "backend",
    pid: 4242,
    stream: "out",
    msg: "x",
  });
});

test("json: the byte path escapes exactly as JSON.stringify does", () => {
  const chars: string[] = [];
  for (let c = 0; c < 0x80; c++) if (c !== 0x0a) chars.push(String.fromCharCode(c));
  const msg = chars.join("") + "é日本🙂\u2028\u2029" + "x".repeat(100) + "\t\r";
  const out = encode({ format: "json", timestamps: false }, msg);
  const expected = `{"job":"backend","pid":4242,"stream":"out","msg":${JSON.stringify(msg)}}\n`;
  assert.equal(out, expected);
});

test("redact: every match of every pattern becomes [redacted], in text and in JSON", () => {
  const logs = { redact: ["password=\\S+", "tok_[a-z0-9]+"] };
  assert.equal(
    encode({ ...logs, timestamps: false }, "login password=hunter2 tok_abc1 and tok_zz9\n"),
    "backend[4242] out| login [redacted] [redacted] and [redacted]\n",
  );
  const json = JSON.parse(encode({ ...logs, format: "json" }, "password=x"));
  assert.equal(json.msg, "[redacted]");
  const msgs: string[] = [];
  encode(logs, "a password=1\nb\n", msgs);
  assert.deepEqual(msgs, ["a [redacted]", "b"]);
});

test("invalid UTF-8 is written with U+FFFD, and the file stays valid UTF-8", () => {
  const input = Buffer.from([0x61, 0xff, 0xfe, 0x62, 0x0a, 0xc3, 0x28, 0x0a, 0xe6, 0x97]);
  const text = encode({ timestamps: false }, input);
  assert.equal(
    text,
    "backend[4242] out| a\uFFFD\uFFFDb\nbackend[4242] out| \uFFFD(\nbackend[4242] out| \uFFFD\n",
  );
  const json = encode({ format: "json", timestamps: false }, input)
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line).msg);
  assert.deepEqual(json, ["a\uFFFD\uFFFDb", "\uFFFD(", "\uFFFD"]);
});

test("the messages handed out match the lines, whichever path encodes them", () => {
  for (const logs of [{}, { format: "json" as const }, { redact: ["zzz"] }]) {
    const msgs: string[] = [];
    encode(logs, "one\ntwo é\n\nthree", msgs);
    assert.deepEqual(msgs, ["one", "two é", "", "three"]);
  }
});

test("the line head is rebuilt only when the millisecond or the format changes", () => {
  const format = new LineFormat("j", BASE);
  const head = new LineHead(1, "err");
  head.update(format, AT);
  const first = head.bytes;
  head.update(format, AT);
  assert.equal(head.bytes, first);
  head.update(format, AT + 1);
  assert.equal(head.text, "2026-11-25T15:00:00.124Z j[1] err| ");
  const json = new LineFormat("j", { ...BASE, format: "json" });
  head.update(json, AT + 1);
  assert.equal(head.text, '{"t":"2026-11-25T15:00:00.124Z","job":"j","pid":1,"stream":"err","msg":');
});

test("an instance of a job that runs several: JOB.K[PID] in text, instance in JSON (SPEC 12)", () => {
  const batchOf = (text: string) => {
    const batch = new LineBatch();
    const splitter = new LineSplitter(65536);
    splitter.push(Buffer.from(text), batch);
    return batch;
  };
  const text = new LineFormat("backend", BASE);
  const head = new LineHead(4242, "out", 2);
  head.update(text, AT);
  assert.equal(
    text.encode(batchOf("x\n"), head, null).toString(),
    "2026-11-25T15:00:00.123Z backend.2[4242] out| x\n",
  );
  const json = new LineFormat("backend", { ...BASE, format: "json" });
  head.update(json, AT);
  assert.deepEqual(JSON.parse(json.encode(batchOf("x\n"), head, null).toString()), {
    t: "2026-11-25T15:00:00.123Z",
    job: "backend",
    pid: 4242,
    instance: 2,
    stream: "out",
    msg: "x",
  });
});
