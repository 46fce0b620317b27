// Line framing on bytes: lines whole whatever the chunking, long lines cut into pieces at character
// boundaries and whole when joined, the final line without a newline kept, invalid UTF-8 flagged.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cutPoint, LineBatch, LineSplitter } from "../../src/logs/line-splitter.js";

/** Feeds the chunks and returns every line (as Buffers) and whether every batch was valid UTF-8. */
function frame(chunks: Buffer[], maxLineBytes: number): { lines: Buffer[]; valid: boolean } {
  const splitter = new LineSplitter(maxLineBytes);
  const lines: Buffer[] = [];
  let valid = true;
  const batch = new LineBatch();
  const collect = () => {
    for (let i = 0; i < batch.count; i++) {
      lines.push(Buffer.from(batch.bufs[i]!.subarray(batch.starts[i], batch.ends[i])));
    }
    valid &&= batch.valid;
    batch.clear();
  };
  for (const chunk of chunks) {
    // A reused read buffer: the splitter must not keep views into it.
    const reused = Buffer.from(chunk);
    splitter.push(reused, batch);
    collect();
    reused.fill(0x21);
  }
  splitter.end(batch);
  collect();
  return { lines, valid };
}

function strings(lines: Buffer[]): string[] {
  return lines.map((line) => line.toString("utf8"));
}

test("lines are the same whatever the chunk boundaries", () => {
  const text = Buffer.from("alpha\nbeta\n\ngamma é ü 日本 🙂\ndelta");
  const expected = ["alpha", "beta", "", "gamma é ü 日本 🙂", "delta"];
  for (let a = 0; a <= text.length; a++) {
    for (let b = a; b <= text.length; b += 3) {
      const chunks = [text.subarray(0, a), text.subarray(a, b), text.subarray(b)];
      const { lines, valid } = frame(chunks, 64);
      assert.deepEqual(strings(lines), expected, `cut at ${a}, ${b}`);
      assert.equal(valid, true);
    }
  }
});

test("a final line without a newline is kept; a trailing newline adds no empty line", () => {
  assert.deepEqual(strings(frame([Buffer.from("one\ntwo")], 64).lines), ["one", "two"]);
  assert.deepEqual(strings(frame([Buffer.from("one\ntwo\n")], 64).lines), ["one", "two"]);
  assert.deepEqual(strings(frame([Buffer.from("\n")], 64).lines), [""]);
  assert.deepEqual(frame([], 64).lines, []);
});

test("a line longer than maxLineBytes is split into pieces of maxLineBytes, never dropped", () => {
  const line = "x".repeat(64 * 3 + 10);
  for (const chunkSize of [1, 7, 64, 65, 200, 1000]) {
    const data = Buffer.from(`${line}\nnext\n`);
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
    const { lines } = frame(chunks, 64);
    assert.deepEqual(
      lines.map((l) => l.length),
      [64, 64, 64, 10, 4],
      `chunk size ${chunkSize}`,
    );
    assert.equal(Buffer.concat(lines.slice(0, 4)).toString(), line);
  }
});

test("a line of exactly maxLineBytes, or a multiple, gives no empty piece", () => {
  assert.deepEqual(
    frame([Buffer.from(`${"a".repeat(64)}\n`)], 64).lines.map((l) => l.length),
    [64],
  );
  assert.deepEqual(
    frame([Buffer.from("a".repeat(128))], 64).lines.map((l) => l.length),
    [64, 64],
  );
  assert.deepEqual(
    frame([Buffer.from("a".repeat(64)), Buffer.from("a".repeat(64)), Buffer.from("\n")], 64).lines.map(
      (l) => l.length,
    ),
    [64, 64],
  );
});

test("pieces end on character boundaries, so each decodes alone and they join into the line", () => {
  const line = "é".repeat(100) + "🙂".repeat(50) + "日本".repeat(40);
  for (const chunkSize of [3, 50, 64, 4096]) {
    const data = Buffer.from(line);
    const chunks: Buffer[] = [];
    for (let i = 0; i < data.length; i += chunkSize) chunks.push(data.subarray(i, i + chunkSize));
    const { lines, valid } = frame(chunks, 64);
    assert.equal(valid, true, `chunk size ${chunkSize}`);
    lines.forEach((piece, i) => {
      assert.ok(piece.length <= 64);
      if (i < lines.length - 1) assert.ok(piece.length >= 61, `piece ${i} has ${piece.length} bytes`);
      assert.ok(!piece.toString("utf8").includes("\uFFFD"));
    });
    assert.equal(strings(lines).join(""), line);
  }
});

test("cutPoint backs off at most three continuation bytes", () => {
  const buf = Buffer.from("ab🙂cd");
  // 🙂 is 4 bytes at 2..5: a cut at 3, 4 or 5 moves back to 2.
  assert.equal(cutPoint(buf, 0, 3), 2);
  assert.equal(cutPoint(buf, 0, 5), 2);
  assert.equal(cutPoint(buf, 0, 6), 6);
  // Garbage continuation bytes: cut at the limit rather than loop.
  const garbage = Buffer.alloc(10, 0x80);
  assert.equal(cutPoint(garbage, 0, 5), 5);
});

test("invalid UTF-8 and binary bytes are framed and flagged, never thrown on", () => {
  const binary = Buffer.alloc(4096);
  let seed = 7;
  for (let i = 0; i < binary.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    binary[i] = seed & 0xff;
  }
  const { lines, valid } = frame([binary.subarray(0, 1000), binary.subarray(1000)], 64);
  assert.equal(valid, false);
  const newlines = binary.filter((b) => b === 0x0a).length;
  assert.ok(lines.length >= newlines);
  // Nothing lost: the pieces and newlines make up the input again.
  const joinedLength = lines.reduce((sum, l) => sum + l.length, 0);
  assert.equal(joinedLength + newlines, binary.length);
});
