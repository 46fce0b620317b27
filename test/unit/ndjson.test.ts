// NDJSON framing: lines come out whole however the bytes are chunked, multi-byte UTF-8 included; the line limit
// is enforced without buffering past it, and the stream recovers on the next line.

import assert from "node:assert/strict";
import { test } from "node:test";
import { encodeLine, type FrameEvent, LineDecoder, MAX_LINE_BYTES } from "../../src/protocol/ndjson.js";

const LINES = ["héllo wörld", "€100 and ¢5", "😀 grin 😀", "", "plain ascii", '{"k":"é€😀","n":1}', "ÿ"];
const INPUT = Buffer.from(LINES.map((l) => l + "\n").join(""), "utf8");

function lines(events: FrameEvent[]): string[] {
  return events.map((e) => (e.type === "line" ? e.text : `<overflow ${e.bytes}>`));
}

function feed(decoder: LineDecoder, chunks: Buffer[]): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (const chunk of chunks) out.push(...decoder.push(chunk));
  const last = decoder.end();
  if (last) out.push(last);
  return out;
}

/** What the decoder is holding between pushes. It keeps this private; the limit is about exactly this. */
function heldBytes(decoder: LineDecoder): number {
  const inside = decoder as unknown as { parts: Buffer[]; pending: number };
  const sum = inside.parts.reduce((n, b) => n + b.length, 0);
  assert.equal(sum, inside.pending);
  return sum;
}

test("the input really contains 2-, 3- and 4-byte characters", () => {
  assert.ok(INPUT.length > LINES.join("\n").length + 10);
  assert.ok(INPUT.includes(Buffer.from("😀")));
});

test("one chunk gives every line, empty lines included", () => {
  assert.deepEqual(lines(feed(new LineDecoder(), [INPUT])), LINES);
});

test("a split at every byte offset gives identical lines", () => {
  for (let i = 0; i <= INPUT.length; i++) {
    const got = lines(feed(new LineDecoder(), [INPUT.subarray(0, i), INPUT.subarray(i)]));
    assert.deepEqual(got, LINES, `split at byte ${i}`);
  }
});

test("splits at every pair of byte offsets give identical lines", () => {
  for (let i = 0; i <= INPUT.length; i++) {
    for (let j = i; j <= INPUT.length; j++) {
      const chunks = [INPUT.subarray(0, i), INPUT.subarray(i, j), INPUT.subarray(j)];
      assert.deepEqual(lines(feed(new LineDecoder(), chunks)), LINES, `split at bytes ${i} and ${j}`);
    }
  }
});

test("1-byte chunks give identical lines", () => {
  const chunks = [...INPUT].map((byte) => Buffer.from([byte]));
  assert.deepEqual(lines(feed(new LineDecoder(), chunks)), LINES);
});

test("a partial line does not alias the caller's buffer, which may be reused", () => {
  const pool = Buffer.from("first\nsecond-hal", "utf8");
  const decoder = new LineDecoder();
  assert.deepEqual(lines(decoder.push(pool.subarray(0, pool.length))), ["first"]);
  pool.fill(0x58); // the caller reuses its buffer for something else
  assert.deepEqual(lines(decoder.push(Buffer.from("f\n"))), ["second-half"]);
});

test("\\r\\n endings lose the \\r, even when \\r and \\n arrive apart; a \\r inside a line stays", () => {
  assert.deepEqual(lines(feed(new LineDecoder(), [Buffer.from("a\r\nb\r\n")])), ["a", "b"]);
  assert.deepEqual(lines(feed(new LineDecoder(), [Buffer.from("a\r"), Buffer.from("\nb\n")])), ["a", "b"]);
  assert.deepEqual(lines(feed(new LineDecoder(), [Buffer.from("a\rb\n")])), ["a\rb"]);
});

test("end() returns the bytes after the last newline, or null when there are none", () => {
  const decoder = new LineDecoder();
  assert.deepEqual(lines(decoder.push(Buffer.from("one\ntwo €"))), ["one"]);
  assert.deepEqual(decoder.end(), { type: "line", text: "two €" });
  assert.equal(decoder.end(), null);

  const complete = new LineDecoder();
  complete.push(Buffer.from("one\n"));
  assert.equal(complete.end(), null);
  assert.equal(new LineDecoder().end(), null);
});

test("end() with a partial multi-byte character split over chunks decodes it whole", () => {
  const euro = Buffer.from("€", "utf8");
  const decoder = new LineDecoder();
  decoder.push(euro.subarray(0, 1));
  decoder.push(euro.subarray(1));
  assert.deepEqual(decoder.end(), { type: "line", text: "€" });
});

test("a line of exactly the limit passes; one byte more is an overflow, and the next line is read", () => {
  const decoder = new LineDecoder(16);
  const input = "x".repeat(16) + "\n" + "y".repeat(17) + "\nafter\n";
  assert.deepEqual(lines(decoder.push(Buffer.from(input))), ["x".repeat(16), "<overflow 17>", "after"]);
});

test("an overflow fed in small chunks never holds more than the limit, is reported once, and recovers", () => {
  const limit = 1000;
  const decoder = new LineDecoder(limit);
  const events: FrameEvent[] = [];
  const chunk = Buffer.alloc(97, 0x61);
  let sent = 0;
  for (let i = 0; i < 100; i++) {
    events.push(...decoder.push(chunk));
    sent += chunk.length;
    assert.ok(heldBytes(decoder) <= limit, `holding ${heldBytes(decoder)} bytes after ${sent}`);
  }
  assert.equal(events.length, 0);
  events.push(...decoder.push(Buffer.from("tail\nnext line\n")));
  assert.deepEqual(lines(events), [`<overflow ${sent + 4}>`, "next line"]);
  assert.equal(heldBytes(decoder), 0);
});

test("the default limit is 1 MiB", () => {
  assert.equal(MAX_LINE_BYTES, 1024 * 1024);
  const decoder = new LineDecoder();
  const exact = Buffer.alloc(MAX_LINE_BYTES, 0x62);
  const over = Buffer.alloc(MAX_LINE_BYTES + 1, 0x63);
  const events = feed(decoder, [exact, Buffer.from("\n"), over, Buffer.from("\n{}\n")]);
  assert.equal(events.length, 3);
  assert.equal(events[0]?.type === "line" && events[0].text.length, MAX_LINE_BYTES);
  assert.deepEqual(events[1], { type: "overflow", bytes: MAX_LINE_BYTES + 1 });
  assert.deepEqual(events[2], { type: "line", text: "{}" });
});

test("a stream that ends inside an overlong line reports the overflow at end()", () => {
  const decoder = new LineDecoder(8);
  assert.deepEqual(decoder.push(Buffer.from("0123456789")), []);
  assert.deepEqual(decoder.end(), { type: "overflow", bytes: 10 });
  assert.equal(decoder.end(), null);
});

test("encodeLine writes one JSON value and a newline, with no newline inside", () => {
  const line = encodeLine({ text: "two\nlines", euro: "€" });
  assert.equal(line, '{"text":"two\\nlines","euro":"€"}\n');
  assert.equal(line.indexOf("\n"), line.length - 1);
  assert.deepEqual(lines(feed(new LineDecoder(), [Buffer.from(line)])), [line.slice(0, -1)]);
});
