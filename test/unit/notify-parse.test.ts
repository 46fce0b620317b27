// The sd_notify datagram parser: every key god reads, the values each may have, and what counts as bad.

import assert from "node:assert/strict";
import { test } from "node:test";
import { cutStatus, NOTIFY_STATUS_MAX_CHARS, parseNotifyDatagram } from "../../src/protocol/notify.js";

const parse = (text: string) => parseNotifyDatagram(Buffer.from(text, "utf8"));

test("each known key gives its message", () => {
  const table: Array<[string, unknown]> = [
    ["READY=1", { type: "ready" }],
    ["STOPPING=1", { type: "stopping" }],
    ["RELOADING=1", { type: "reloading" }],
    ["WATCHDOG=1", { type: "watchdog" }],
    ["WATCHDOG=trigger", { type: "watchdog-trigger" }],
    ["STATUS=serving 12 clients", { type: "status", text: "serving 12 clients" }],
    ["STATUS=", { type: "status", text: "" }],
    ["STATUS=a=b", { type: "status", text: "a=b" }],
    ["EXTEND_TIMEOUT_USEC=5000000", { type: "extend-timeout", timeoutMs: 5000 }],
    ["EXTEND_TIMEOUT_USEC=1", { type: "extend-timeout", timeoutMs: 1 }],
    ["EXTEND_TIMEOUT_USEC=0", { type: "extend-timeout", timeoutMs: 0 }],
    ["MAINPID=4242", { type: "mainpid", pid: 4242 }],
  ];
  for (const [text, message] of table) {
    assert.deepEqual(parse(text), { messages: [message], bad: 0 }, text);
  }
});

test("several assignments in one datagram keep their order; a trailing newline is fine", () => {
  assert.deepEqual(parse("STATUS=warming up\nREADY=1\nSTATUS=up\n"), {
    messages: [{ type: "status", text: "warming up" }, { type: "ready" }, { type: "status", text: "up" }],
    bad: 0,
  });
  assert.deepEqual(parse(""), { messages: [], bad: 0 });
  assert.deepEqual(parse("\n\n"), { messages: [], bad: 0 });
});

test("unknown keys are ignored, not bad", () => {
  assert.deepEqual(parse("ERRNO=2\nBUSERROR=org.x\nFDSTORE=1\nX_CUSTOM=1\nREADY=1"), {
    messages: [{ type: "ready" }],
    bad: 0,
  });
});

test("a line without =, an empty key, or a value a known key cannot have is bad; the rest still counts", () => {
  const table: Array<[string, number]> = [
    ["READY", 1],
    ["=1", 1],
    ["READY=0", 1],
    ["READY=yes", 1],
    ["READY=1\r", 1],
    ["STOPPING=0", 1],
    ["RELOADING=true", 1],
    ["WATCHDOG=0", 1],
    ["EXTEND_TIMEOUT_USEC=-1", 1],
    ["EXTEND_TIMEOUT_USEC=1e6", 1],
    ["EXTEND_TIMEOUT_USEC=", 1],
    ["EXTEND_TIMEOUT_USEC=99999999999999999999", 1],
    ["MAINPID=0", 1],
    ["MAINPID=abc", 1],
    ["MAINPID= 12", 1],
  ];
  for (const [text, bad] of table) assert.deepEqual(parse(text), { messages: [], bad }, text);
  assert.deepEqual(parse("hello\nREADY=1\nMAINPID=x"), { messages: [{ type: "ready" }], bad: 2 });
});

test("a datagram that is not UTF-8 is one bad and gives nothing, even with good lines in it", () => {
  const data = Buffer.concat([Buffer.from("READY=1\nSTATUS="), Buffer.from([0xff, 0xfe]), Buffer.from("\n")]);
  assert.deepEqual(parseNotifyDatagram(data), { messages: [], bad: 1 });
  assert.deepEqual(parseNotifyDatagram(Buffer.from([0xc3])), { messages: [], bad: 1 });
});

test("STATUS keeps at most 1000 characters, counted in code points, and shows control characters as U+FFFD", () => {
  const long = "é".repeat(NOTIFY_STATUS_MAX_CHARS + 50);
  const [message] = parse(`STATUS=${long}`).messages;
  assert.deepEqual(message, { type: "status", text: "é".repeat(NOTIFY_STATUS_MAX_CHARS) });
  const emoji = "😀".repeat(NOTIFY_STATUS_MAX_CHARS + 1);
  assert.equal(cutStatus(emoji), "😀".repeat(NOTIFY_STATUS_MAX_CHARS));
  assert.equal(cutStatus("red \u001b[31mtext\u0007"), "red \uFFFD[31mtext\uFFFD");
  assert.equal(cutStatus("two\nlines"), "two\uFFFDlines");
  assert.equal(cutStatus("plain"), "plain");
});
